"""录像查询与点播: search sessions and their recordings, stream decrypted playback, retention and legal hold.

Who may see what (the rule):

* ``supervisor``, ``admin`` and ``auditor`` seats may search and play every session;
* any other seat (``teller``) only the sessions it handled (``sessions.seat_id``); its searches are limited to them;
* only ``supervisor`` and ``admin`` may delete a recording (and only after retention) or set/clear a legal hold.

Every view, playback grant, refusal, deletion and hold change is logged as an ``access`` entry in the session's
evidence chain. Playback is decrypted by the server in memory (plaintext never touches its disk) and served as one
MP4 per run of segments that share codec parameters (normally one per recording), with HTTP range requests so a
player can seek. Media players cannot send a bearer token, so the session view hands out part URLs carrying a short
HMAC-signed grant bound to the session, the seat and an expiry.

Endpoints (prefix ``/api/recordings``):

* ``GET /sessions?seat_id=&date_from=&date_to=&business_type=&customer=&page=1&page_size=20`` -> :class:`SearchPage`
* ``GET /sessions/{session_id}?purpose=`` -> :class:`SessionView` (recordings, playback parts, trail, chain check)
* ``GET /sessions/{session_id}/parts/{n}.mp4?grant=`` -> ``video/mp4`` (``Range`` supported)
* ``PUT /{recording_id}/legal-hold`` ``{hold, reason}`` -> :class:`RecordingInfo`
* ``DELETE /{recording_id}?reason=`` -> 200 ``{deleted, files}``; 409 ``retention`` before expiry or under hold
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from server.evidence.chain import RECORDING_DELETED, verify_chain
from server.evidence.verifier import verify_session
from server.recordings.package import stream_package
from server.recordings.playback import PlaybackError, PlaybackService, RecordingPlayback
from server.recordings.router import seat_id_of
from server.recordings.service import RecordingServices
from server.recordings.store import RetentionError

logger = logging.getLogger(__name__)

VIEW_ALL_ROLES = frozenset({"supervisor", "admin", "auditor"})
"""Roles that may search and play every session."""

EXPORT_ROLES = VIEW_ALL_ROLES
"""Roles that may download a session's evidence package (decrypted recordings, manifest, snapshots)."""

RETENTION_ROLES = frozenset({"supervisor", "admin"})
"""Roles that may delete recordings (after retention) and set legal holds."""

GRANT_TTL_S = 600.0
"""How long a playback URL stays valid."""

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def seat_role_of(principal: Any) -> str:
    """The role of the authenticated seat (``teller`` when the principal carries none)."""
    seat = getattr(principal, "seat", principal)
    return str(getattr(seat, "role", "teller") or "teller")


def mask_name(name: str) -> str:
    """``张三丰`` -> ``张**``: the first character and one star per other character."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


class RecordingInfo(BaseModel):
    """One recording of a session."""

    recording_id: str
    seat_id: str
    business_type: str
    segments: int
    complete: bool
    missing: list[int] | None
    duration_s: float
    retain_until: float
    legal_hold: bool
    legal_hold_reason: str
    deleted: bool


class SessionSummary(BaseModel):
    """One search hit."""

    session_id: str
    seat_id: str | None
    business_type: str
    customer: str = Field(description="masked customer name")
    queued_at: str
    answered_at: str | None
    ended_at: str | None
    end_reason: str | None
    recordings: list[RecordingInfo]
    sealed: bool


class SearchPage(BaseModel):
    """A page of search results, newest first."""

    total: int
    page: int
    page_size: int
    items: list[SessionSummary]


class PlaybackPart(BaseModel):
    """A playable MP4: one recording of the session, continuous even where the recorder changed its frame rate."""

    index: int
    url: str
    start_s: float = Field(description="where the recording starts on the session's timeline")
    duration_s: float
    segments: int
    recording_id: str = ""
    size: int = Field(default=0, description="bytes of the MP4 (the playback URL serves byte ranges of it)")


class TrailEntry(BaseModel):
    """One entry of the session's evidence chain."""

    seq: int
    kind: str
    at: float
    payload: dict[str, Any]
    entry_hash: str


class SessionView(BaseModel):
    """A session for the playback window: recordings, parts to play, and the trail beside it."""

    session: SessionSummary
    parts: list[PlaybackPart]
    duration_s: float
    trail: list[TrailEntry]
    chain_ok: bool
    chain_problems: list[str]
    grant_expires_at: float


class LegalHoldRequest(BaseModel):
    """Sets or clears a legal hold (司法冻结/法律保全)."""

    hold: bool
    reason: str = Field(default="", max_length=500)


def build_recordings_access_router(
    get_services: Callable[[], RecordingServices], authenticate_seat: Callable[..., Any]
) -> APIRouter:
    """Builds the search/playback/retention router.

    Args:
        get_services: returns the app's :class:`RecordingServices` (raise 503 while it is not ready).
        authenticate_seat: the seat authentication dependency (``server.deps.current_seat``).
    """
    router = APIRouter(prefix="/api/recordings", tags=["recordings"])
    seat_dep = Depends(authenticate_seat)
    secret = os.urandom(32)

    def sign(session_id: str, seat_id: str, expires: float) -> str:
        body = base64.urlsafe_b64encode(f"{session_id}|{int(expires)}|{seat_id}".encode()).decode().rstrip("=")
        mac = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{body}.{mac}"

    def check_grant(grant: str, session_id: str) -> str:
        body, _, mac = grant.partition(".")
        good = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(mac, good):
            raise HTTPException(403, "播放授权无效")
        sid, expires, seat_id = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().split("|", 2)
        if sid != session_id:
            raise HTTPException(403, "播放授权无效")
        if float(expires) < time.time():
            raise HTTPException(403, "播放授权已过期，请重新打开录像")
        return seat_id

    def session_row(services: RecordingServices, session_id: str) -> dict[str, Any] | None:
        with services.read_database() as conn:
            row = conn.execute("select * from sessions where session_id = ?", (session_id,)).fetchone()
        return dict(row) if row else None

    def may_view(principal: Any, row: dict[str, Any]) -> bool:
        return seat_role_of(principal) in VIEW_ALL_ROLES or row.get("seat_id") == seat_id_of(principal)

    def recording_info(services: RecordingServices, recording_id: str) -> RecordingInfo:
        store = services.store
        rec = store.recording(recording_id)
        segs = [s for s in store.segments_for_session(rec.session_id) if s.recording_id == recording_id]
        missing = store.missing_segments(recording_id)
        return RecordingInfo(
            recording_id=recording_id,
            seat_id=rec.seat_id,
            business_type=rec.business_type,
            segments=len(segs),
            complete=missing == [],
            missing=missing,
            duration_s=round(sum(float(s.meta.get("duration_s") or 0) for s in segs), 3),
            retain_until=rec.retain_until,
            legal_hold=rec.legal_hold,
            legal_hold_reason=rec.legal_hold_reason,
            deleted=rec.deleted_at is not None,
        )

    def summary(services: RecordingServices, row: dict[str, Any]) -> SessionSummary:
        sid = row["session_id"]
        sealed = bool(
            list(
                services.ledger.db.query("select 1 from evidence_entries where session_id = ? and kind = 'seal'", [sid])
            )
        )
        return SessionSummary(
            session_id=sid,
            seat_id=row.get("seat_id"),
            business_type=row["business_type"],
            customer=mask_name(row.get("customer_name") or ""),
            queued_at=row["queued_at"],
            answered_at=row.get("answered_at"),
            ended_at=row.get("ended_at"),
            end_reason=row.get("end_reason"),
            recordings=[recording_info(services, r) for r in services.store.recordings_for_session(sid)],
            sealed=sealed,
        )

    def search(
        services: RecordingServices,
        principal: Any,
        seat_id: str | None,
        date_from: datetime | None,
        date_to: datetime | None,
        business_type: str | None,
        customer: str | None,
        page: int,
        page_size: int,
    ) -> SearchPage:
        where, args = [], []
        if seat_role_of(principal) not in VIEW_ALL_ROLES:
            seat_id = seat_id_of(principal)  # a teller only ever sees the sessions it handled
        if seat_id:
            where.append("seat_id = ?")
            args.append(seat_id)
        if date_from is not None:
            where.append("queued_at >= ?")
            args.append(date_from.isoformat())
        if date_to is not None:
            where.append("queued_at < ?")
            args.append(date_to.isoformat())
        if business_type:
            where.append("business_type = ?")
            args.append(business_type)
        if customer:
            where.append("customer_name LIKE ? ESCAPE '\\'")
            args.append("%" + customer.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        clause = (" where " + " and ".join(where)) if where else ""
        with services.read_database() as conn:
            total = conn.execute(f"select count(*) from sessions{clause}", args).fetchone()[0]
            rows = conn.execute(
                f"select * from sessions{clause} order by queued_at desc, session_id limit ? offset ?",
                [*args, page_size, (page - 1) * page_size],
            ).fetchall()
        actor = seat_id_of(principal)
        others = [r["session_id"] for r in rows if r["seat_id"] != actor]
        if others:
            # Listing other seats' sessions (auditors, supervisors) is an access: each one's trail records it.
            filters = {"seat_id": seat_id, "business_type": business_type, "customer": bool(customer),
                       "date_from": date_from.isoformat() if date_from else None,
                       "date_to": date_to.isoformat() if date_to else None, "page": page}  # fmt: skip
            purpose = json.dumps({k: v for k, v in filters.items() if v}, ensure_ascii=False, sort_keys=True)
            for sid in others:
                services.ledger.log_access(sid, actor, "search", purpose, "listed")
        return SearchPage(
            total=total,
            page=page,
            page_size=page_size,
            items=[summary(services, dict(r)) for r in rows],
        )

    @router.get("/sessions", response_model=SearchPage)
    async def search_sessions(
        principal: Any = seat_dep,
        seat_id: str | None = Query(default=None, max_length=64),
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        business_type: str | None = Query(default=None, max_length=64),
        customer: str | None = Query(default=None, max_length=64),
        page: int = Query(default=1, ge=1),
        page_size: int = Query(default=20, ge=1, le=100),
    ) -> SearchPage:
        services = get_services()
        return await run_in_threadpool(
            search, services, principal, seat_id, date_from, date_to, business_type, customer, page, page_size
        )

    def playable(services: RecordingServices, session_id: str) -> list[RecordingPlayback]:
        """The session's recordings as playable files (deleted recordings left out). Blocking."""
        store = services.store
        deleted = {r for r in store.recordings_for_session(session_id) if store.recording(r).deleted_at is not None}
        segments = [s for s in store.segments_for_session(session_id) if s.recording_id not in deleted]
        return services.playback.session(segments)

    def view(services: RecordingServices, principal: Any, session_id: str, purpose: str) -> SessionView:
        row = session_row(services, session_id)
        if row is None:
            raise HTTPException(404, "没有找到该会话")
        actor = seat_id_of(principal)
        if not may_view(principal, row):
            services.ledger.log_access(session_id, actor, "playback", purpose, "denied")
            raise HTTPException(403, "无权查看该会话的录像")
        try:
            parts = playable(services, session_id)
        except PlaybackError as exc:
            services.ledger.log_access(session_id, actor, "playback", purpose, f"failed: {exc}")
            raise HTTPException(409, "录像文件校验失败，无法播放，请联系管理员进行证据核验") from exc
        expires = time.time() + GRANT_TTL_S
        grant = sign(session_id, actor, expires)
        services.ledger.log_access(session_id, actor, "playback", purpose, "granted")
        manifest = services.ledger.manifest(session_id)
        problems = verify_chain(manifest, services.keys.seal_key.public_key())
        return SessionView(
            session=summary(services, row),
            parts=[
                PlaybackPart(
                    index=i,
                    url=f"/api/recordings/sessions/{session_id}/parts/{i}.mp4?grant={grant}",
                    start_s=round(p.start_s, 3),
                    duration_s=round(p.duration_s, 3),
                    segments=len(p.segments),
                    recording_id=p.recording_id,
                    size=p.size,
                )
                for i, p in enumerate(parts)
            ],
            duration_s=round(max((p.start_s + p.duration_s for p in parts), default=0.0), 3),
            trail=[
                TrailEntry(seq=e["seq"], kind=e["kind"], at=e["at"], payload=e["payload"], entry_hash=e["entry_hash"])
                for e in manifest["entries"]
            ],
            chain_ok=not problems,
            chain_problems=problems,
            grant_expires_at=expires,
        )

    @router.get("/sessions/{session_id}", response_model=SessionView)
    async def session_view(
        session_id: str, principal: Any = seat_dep, purpose: str = Query(default="", max_length=200)
    ) -> SessionView:
        return await run_in_threadpool(view, get_services(), principal, session_id, purpose)

    @router.get("/sessions/{session_id}/parts/{index}.mp4")
    async def playback_part(session_id: str, index: int, request: Request, grant: str = "") -> Response:
        check_grant(grant, session_id)
        services = get_services()
        try:
            parts = await run_in_threadpool(playable, services, session_id)
        except PlaybackError as exc:
            raise HTTPException(409, "录像文件校验失败，无法播放") from exc
        if not 0 <= index < len(parts):
            raise HTTPException(404, "没有这段录像")
        return ranged_stream(services.playback, parts[index], request.headers.get("range"))

    def prepare_export(services: RecordingServices, principal: Any, session_id: str, purpose: str) -> Response:
        row = session_row(services, session_id)
        if row is None:
            raise HTTPException(404, "没有找到该会话")
        actor = seat_id_of(principal)
        if seat_role_of(principal) not in EXPORT_ROLES:
            services.ledger.log_access(session_id, actor, "export", purpose, "denied")
            raise HTTPException(403, "只有稽核、主管或管理员可以导出证据包")
        if not purpose.strip():
            raise HTTPException(422, "导出证据包必须填写用途（如争议编号）")
        report = verify_session(
            services.data_dir, session_id, None, actor, purpose, keys=services.keys, ledger=services.ledger, log=False
        )
        if not report.ok:
            services.ledger.log_access(
                session_id, actor, "export", purpose, f"refused: {len(report.problems)} problem(s)"
            )
            return JSONResponse(
                {
                    "detail": {
                        "code": "evidence_invalid",
                        "message": "证据校验未通过，不能导出",
                        "problems": report.problems,
                    }
                },
                status_code=409,
            )
        try:
            recordings = playable(services, session_id)
        except PlaybackError as exc:
            services.ledger.log_access(session_id, actor, "export", purpose, f"failed: {exc}")
            raise HTTPException(409, "录像文件校验失败，不能导出，请联系管理员进行证据核验") from exc
        manifest = services.ledger.manifest(session_id)  # what was verified, before this access is appended
        services.ledger.log_access(session_id, actor, "export", purpose, f"granted: {len(recordings)} recording(s)")

        def body() -> Iterator[bytes]:
            try:
                yield from stream_package(services.data_dir, manifest, report, services.playback, recordings)
            except (PlaybackError, OSError) as exc:
                logger.exception("session %s: evidence package export by %s broke off", session_id, actor)
                services.ledger.log_access(session_id, actor, "export", purpose, f"failed: {exc}")
                raise

        return StreamingResponse(
            body(),
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="evidence_{session_id}.zip"',
                "Cache-Control": "no-store",
            },
        )

    @router.get("/sessions/{session_id}/export.zip")
    async def export_package(
        session_id: str, principal: Any = seat_dep, purpose: str = Query(default="", max_length=200)
    ) -> Response:
        return await run_in_threadpool(prepare_export, get_services(), principal, session_id, purpose)

    def check_retention_role(principal: Any) -> None:
        if seat_role_of(principal) not in RETENTION_ROLES:
            raise HTTPException(403, "只有主管可以删除录像或设置法律保全")

    @router.put("/{recording_id}/legal-hold", response_model=RecordingInfo)
    async def legal_hold(recording_id: str, body: LegalHoldRequest, principal: Any = seat_dep) -> Any:
        check_retention_role(principal)
        services = get_services()
        try:
            rec = services.store.recording(recording_id)
            services.store.set_legal_hold(recording_id, body.hold, body.reason)
        except KeyError as exc:
            raise HTTPException(404, "没有找到该录像") from exc
        except ValueError as exc:
            raise HTTPException(422, "设置法律保全必须填写原因") from exc
        services.ledger.log_access(
            rec.session_id,
            seat_id_of(principal),
            "legal_hold_set" if body.hold else "legal_hold_cleared",
            body.reason,
            recording_id,
        )
        return await run_in_threadpool(recording_info, services, recording_id)

    @router.delete("/{recording_id}")
    async def delete_recording(
        recording_id: str, principal: Any = seat_dep, reason: str = Query(default="", max_length=200)
    ) -> Any:
        check_retention_role(principal)
        services = get_services()
        try:
            rec = services.store.recording(recording_id)
        except KeyError as exc:
            raise HTTPException(404, "没有找到该录像") from exc
        actor = seat_id_of(principal)
        try:
            files = await run_in_threadpool(services.store.delete_recording, recording_id)
        except RetentionError as exc:
            services.ledger.log_access(rec.session_id, actor, "delete_refused", reason, f"{recording_id}: {exc}")
            return JSONResponse(
                {"detail": {"code": "retention", "message": str(exc), "retain_until": rec.retain_until}},
                status_code=409,
            )
        services.ledger.log_access(rec.session_id, actor, RECORDING_DELETED, reason, recording_id)
        return {"deleted": True, "recording_id": recording_id, "files": files}

    return router


def parse_range(range_header: str | None, size: int) -> tuple[int, int] | bool | None:
    """One ``bytes=`` range of a ``size``-byte file: ``(start, end)`` inclusive, None for the whole file (no or an
    unsupported header), False when it is not satisfiable (416)."""
    match = _RANGE_RE.match((range_header or "").strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    if match.group(1):
        start = int(match.group(1))
        end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    else:
        start, end = max(0, size - int(match.group(2))), size - 1
    if start >= size or start > end:
        return False
    return start, end


def ranged_stream(service: PlaybackService, playback: RecordingPlayback, range_header: str | None) -> Response:
    """Streams the recording's playable MP4, whole (200) or one ``bytes=`` range of it (206).

    Only the segments the range covers are decrypted, one at a time, as the client reads; a client that goes
    away stops the work.
    """
    size = playback.size
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store"}
    wanted = parse_range(range_header, size)
    if wanted is False:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    start, end = wanted if isinstance(wanted, tuple) else (0, size - 1)
    status = 206 if isinstance(wanted, tuple) else 200
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)

    def body() -> Iterator[bytes]:
        try:
            yield from service.iter_range(playback, start, end)
        except PlaybackError:
            logger.exception("recording %s: playback stopped at a bad segment", playback.recording_id)
            raise

    return StreamingResponse(body(), status_code=status, media_type="video/mp4", headers=headers)
