"""HTTP calls the workstation makes for the current call (Qt-free, httpx): 话术, 抓拍, 签名, gates, business."""

from __future__ import annotations

import logging
import ssl
from typing import Any

import httpx
from pydantic import ValidationError

from seat_client.workstation.scripts import CallScript, ScriptError
from seat_client.workstation.snapshot import Snapshot
from seat_client.workstation.texts import N_, T, Text
from wire.rest import LiveFaceObservation
from wire.signature import SignatureReview, SignatureStatus
from wire.wrap_up import WrapUpNotes, WrapUpNotesRequest

logger = logging.getLogger(__name__)

GATE_PATHS = {"network_check": "network-check", "face": "face", "liveness": "liveness", "questions": "questions"}


class WorkstationApiError(Exception):
    """A request failed; ``message`` is Chinese for the teller (``text`` the same, translatable by the views)."""

    def __init__(self, message: str | Text, status: int | None = None) -> None:
        super().__init__(str(message))
        self.text = message
        self.message = str(message)
        self.status = status


class WorkstationApi:
    """The seat's authenticated calls to the server.

    Args:
        server_url: ``http(s)://host:port``.
        token: the seat's bearer token (from sign-in).
        transport: optional httpx transport (tests).
        verify: TLS verification for https (the seat connection's ``ssl_context``: the bank's CA when configured).
    """

    def __init__(
        self,
        server_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=server_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=15,
            transport=transport,
            verify=verify,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._client.request(method, path, **kwargs)
        except (httpx.HTTPError, RuntimeError) as exc:  # RuntimeError: the client was closed (signed out meanwhile)
            logger.warning("%s %s failed: %s", method, path, exc)
            raise WorkstationApiError(N_("Workstation", "无法连接服务器,请稍后重试")) from exc
        if response.status_code >= 400:
            detail: Any = None
            try:
                body = response.json()
                detail = body.get("detail") or body.get("message") if isinstance(body, dict) else None
            except ValueError:
                pass
            text: str | Text = (
                detail
                if isinstance(detail, str)
                else T("Workstation", "服务器拒绝了请求(HTTP {status})").fmt(status=response.status_code)
            )
            raise WorkstationApiError(text, response.status_code)
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    async def script(self, business_type: str) -> CallScript:
        """``GET /api/scripts/{business_type}``."""
        data = await self._request("GET", f"/api/scripts/{business_type}")
        try:
            return CallScript.from_dict(data)
        except ScriptError as exc:
            raise WorkstationApiError(str(exc)) from exc

    async def upload_snapshot(self, snapshot: Snapshot, purpose: str = "manual") -> dict[str, Any]:
        """``POST /api/evidence/sessions/{id}/snapshots`` with the JPEG body."""
        result: dict[str, Any] = await self._request(
            "POST",
            f"/api/evidence/sessions/{snapshot.session_id}/snapshots",
            params={"snapshot_id": snapshot.snapshot_id, "purpose": purpose},
            content=snapshot.jpeg,
            headers={"Content-Type": "image/jpeg"},
        )
        return result

    async def _signature(self, method: str, path: str, **kwargs: Any) -> SignatureStatus:
        data = await self._request(method, path, **kwargs)
        try:
            return SignatureStatus.model_validate(data)
        except ValidationError as exc:
            raise WorkstationApiError(N_("Workstation", "服务器返回的签名状态无法识别")) from exc

    async def request_signature(self, session_id: str) -> SignatureStatus:
        """Ask the customer to sign."""
        return await self._signature("POST", f"/api/sessions/{session_id}/signature/request")

    async def signature_status(self, session_id: str) -> SignatureStatus:
        """The signature status with the latest strokes."""
        return await self._signature("GET", f"/api/sessions/{session_id}/signature")

    async def review_signature(self, session_id: str, review: SignatureReview) -> SignatureStatus:
        """Accept, or reject with a reason."""
        return await self._signature(
            "POST", f"/api/sessions/{session_id}/signature/review", json=review.model_dump(mode="json")
        )

    async def transfer_queues(self) -> list[tuple[str, str]]:
        """``GET /api/routing/queues``: ``(queue_id, name)`` of the queues a call can be transferred to."""
        data = await self._request("GET", "/api/routing/queues")
        if not isinstance(data, list):
            raise WorkstationApiError(N_("Workstation", "服务器返回的队列列表无法识别"))
        return [
            (str(item["queue_id"]), str(item.get("name") or item["queue_id"]))
            for item in data
            if isinstance(item, dict) and item.get("queue_id")
        ]

    async def gates(self, session_id: str) -> dict[str, Any]:
        """``GET /api/sessions/{id}/gates`` (the gate snapshot)."""
        result: dict[str, Any] = await self._request("GET", f"/api/sessions/{session_id}/gates")
        return result

    async def gate_action(self, session_id: str, gate: str) -> dict[str, Any]:
        """Start or retry a gate (the server decides the outcome)."""
        result: dict[str, Any] = await self._request("POST", f"/api/sessions/{session_id}/gates/{GATE_PATHS[gate]}")
        return result

    async def answer_question(self, session_id: str, question_id: str, choice: int | None) -> dict[str, Any]:
        """Mark the option the customer chose for a private question."""
        result: dict[str, Any] = await self._request(
            "POST", f"/api/sessions/{session_id}/gates/questions/{question_id}", json={"choice_index": choice}
        )
        return result

    async def photo(self, session_id: str, kind: str) -> bytes | None:
        """A gate photo (``network_photo``, ``id_portrait``, ``live``...); None when there is none yet."""
        try:
            data = await self._request("GET", f"/api/sessions/{session_id}/gates/photos/{kind}")
        except WorkstationApiError as exc:
            if exc.status in (404, 409):
                return None
            raise
        return data if isinstance(data, bytes) else None

    async def record_live_face(self, session_id: str, observation: LiveFaceObservation) -> None:
        """``POST /api/sessions/{id}/live-face``: a live face warning, or its end, into the session trail."""
        await self._request("POST", f"/api/sessions/{session_id}/live-face", json=observation.model_dump())

    async def submit_business(self, session_id: str, params: dict[str, str]) -> dict[str, Any]:
        """``POST /api/sessions/{id}/business``; the server checks the gates and calls core banking."""
        result: dict[str, Any] = await self._request(
            "POST", f"/api/sessions/{session_id}/business", json={"params": params}
        )
        return result

    async def save_wrap_up(self, session_id: str, note_id: str, notes: str) -> WrapUpNotes:
        """``PUT /api/sessions/{id}/wrap-up``: the 话后小结 of a call this seat answered (after it ended)."""
        body = WrapUpNotesRequest(note_id=note_id, notes=notes)
        data = await self._request("PUT", f"/api/sessions/{session_id}/wrap-up", json=body.model_dump(mode="json"))
        try:
            return WrapUpNotes.model_validate(data)
        except ValidationError as exc:
            raise WorkstationApiError(N_("Workstation", "服务器返回的话后小结无法识别")) from exc
