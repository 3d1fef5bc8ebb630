"""录像查询 client (Qt-free): searches sessions and opens one for playback through the server's recordings API."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

logger = logging.getLogger(__name__)


class RecordingQueryError(Exception):
    """A query failed; ``message`` is Chinese for the teller."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class SearchFilters:
    """What the 录像查询 form asks for (empty fields are not filtered on)."""

    seat_id: str = ""
    date_from: str = ""
    date_to: str = ""
    business_type: str = ""
    customer: str = ""
    page: int = 1
    page_size: int = 20

    def params(self) -> dict[str, Any]:
        """Query parameters for ``GET /api/recordings/sessions``."""
        values: dict[str, Any] = {"page": self.page, "page_size": self.page_size}
        for name in ("seat_id", "date_from", "date_to", "business_type", "customer"):
            value = str(getattr(self, name)).strip()
            if value:
                values[name] = value
        return values


class RecordingQueryClient:
    """Talks to ``/api/recordings/sessions`` with the seat's bearer token.

    Args:
        server_url: the server base URL.
        auth_headers: returns the current ``Authorization`` header.
        transport: optional httpx transport (tests).
        verify: TLS verification (the seat connection's SSL context for https).
    """

    def __init__(
        self,
        server_url: str,
        auth_headers: Callable[[], Mapping[str, str]],
        transport: httpx.AsyncBaseTransport | None = None,
        verify: Any = True,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.auth_headers = auth_headers
        self._client = httpx.AsyncClient(base_url=self.server_url, timeout=60.0, transport=transport, verify=verify)

    async def _get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            res = await self._client.get(path, params=dict(params), headers=dict(self.auth_headers()))
        except httpx.HTTPError as exc:
            raise RecordingQueryError("无法连接服务器，请检查网络后重试") from exc
        if res.status_code != 200:
            try:
                detail = res.json().get("detail")
            except ValueError:
                detail = None
            message = detail if isinstance(detail, str) else f"查询失败（HTTP {res.status_code}）"
            raise RecordingQueryError(message, res.status_code)
        return dict(res.json())

    async def search(self, filters: SearchFilters) -> dict[str, Any]:
        """One page of sessions (newest first) with their recordings."""
        return await self._get("/api/recordings/sessions", filters.params())

    async def open_session(self, session_id: str, purpose: str = "") -> dict[str, Any]:
        """A session's recordings, playable parts (absolute URLs) and trail; the server logs the access."""
        view = await self._get(f"/api/recordings/sessions/{session_id}", {"purpose": purpose})
        for part in view.get("parts", []):
            part["url"] = self.server_url + part["url"]
        return view

    async def aclose(self) -> None:
        """Closes the HTTP client."""
        await self._client.aclose()
