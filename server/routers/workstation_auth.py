"""Who may touch a session's workstation resources: the seat holding it, or the customer with the ticket token."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request, status

from server.calls import CustomerAuth
from server.db import SessionStatus
from server.deps import AuthenticatedSeat, Services, bearer_token
from server.evidence.chain import EvidenceLedger
from server.evidence.keys import ServerKeys


def seat_session(services: Services, auth: AuthenticatedSeat, session_id: str, *, live: bool = True) -> dict[str, Any]:
    """The session row if ``auth``'s seat holds it (and, with ``live``, it is connected); else 404/403/409."""
    row = services.db.get_session(session_id[:128])
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "会话不存在")
    if row.get("seat_id") != auth.seat.seat_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "该会话不由本坐席受理")
    if live and row.get("status") != SessionStatus.CONNECTED:
        raise HTTPException(status.HTTP_409_CONFLICT, "通话已结束,不能再操作")
    return row


def customer_session(services: Services, request: Request, session_id: str) -> None:
    """Require the ticket's customer token (``Authorization: Bearer``) for a live session; else 401."""
    token = bearer_token(request) or ""
    if services.coordinator.authenticate_customer(session_id[:128], token) != CustomerAuth.OK:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "排队凭证无效或会话已结束")


def evidence_ledger(request: Request, services: Services) -> EvidenceLedger:
    """The app's evidence ledger (``app.state.evidence`` when the app built one, else one opened here once)."""
    state = request.app.state
    ledger = getattr(state, "evidence", None) or getattr(state, "workstation_evidence", None)
    if ledger is None:
        data_dir = services.settings.data_dir
        ledger = EvidenceLedger(data_dir, ServerKeys.load_or_create(data_dir))
        state.workstation_evidence = ledger
    return ledger  # type: ignore[no-any-return]
