"""WebSockets for seats (``/ws/seat``) and customers (``/ws/customer/{session_id}``), fed into the coordinator."""

from __future__ import annotations

import logging

from fastapi import APIRouter, WebSocket

from server.calls import CLOSE_BAD_TOKEN, CLOSE_SESSION_ENDED, CustomerAuth
from server.deps import get_services
from server.peers import WebSocketPeer
from server.security import hash_token

logger = logging.getLogger(__name__)
router = APIRouter(tags=["signalling"])


CLOSE_SERVER_STOPPING = 1012
"""What uvicorn reports as the disconnect code when it closes sockets because the server is shutting down."""


class _Reader:
    """Reads text/binary frames until the connection closes, remembering the close code."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.close_code: int | None = None

    async def next(self) -> str | bytes | None:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            self.close_code = message.get("code")
            return None
        text = message.get("text")
        return text if text is not None else (message.get("bytes") or b"")

    @property
    def server_stopping(self) -> bool:
        return self.close_code == CLOSE_SERVER_STOPPING


@router.websocket("/ws/seat")
async def seat_socket(websocket: WebSocket, token: str = "") -> None:
    """A seat client's signalling connection, authenticated by its bearer token in the query string."""
    services = get_services(websocket)
    await websocket.accept()
    token_hash = hash_token(token) if token else ""
    seat_id = services.db.seat_for_token(token_hash, services.clock()) if token else None
    seat = services.db.get_seat(seat_id) if seat_id else None
    if seat is None:
        await websocket.close(code=CLOSE_BAD_TOKEN, reason="登录已失效,请重新登录")
        return
    peer = WebSocketPeer(websocket, f"seat {seat.seat_id}")
    coordinator = services.coordinator
    coordinator.seat_connected(seat.seat_id, seat.display_name, peer, token_hash)
    reader = _Reader(websocket)
    try:
        while (raw := await reader.next()) is not None:
            coordinator.handle_seat_message(seat.seat_id, peer, raw)
    except Exception as exc:
        logger.info("seat %s: connection error: %s", seat.seat_id, exc)
    finally:
        coordinator.seat_disconnected(seat.seat_id, peer, server_stopping=reader.server_stopping)
        await peer.finish()


@router.websocket("/ws/customer/{session_id}")
async def customer_socket(websocket: WebSocket, session_id: str, token: str = "") -> None:
    """A customer page's connection, authenticated by the ticket's customer token."""
    services = get_services(websocket)
    coordinator = services.coordinator
    await websocket.accept()
    result = coordinator.authenticate_customer(session_id[:128], token)
    if result == CustomerAuth.UNKNOWN_SESSION:
        await websocket.close(code=CLOSE_BAD_TOKEN, reason="会话不存在,请重新取号")
        return
    if result == CustomerAuth.BAD_TOKEN:
        logger.info("session %s: customer connection with a bad token refused", session_id[:64])
        await websocket.close(code=CLOSE_BAD_TOKEN, reason="排队凭证无效,请重新取号")
        return
    if result == CustomerAuth.ENDED:
        await websocket.send_text(coordinator.ended_message(session_id).model_dump_json())
        await websocket.close(code=CLOSE_SESSION_ENDED, reason="会话已结束")
        return
    peer = WebSocketPeer(websocket, f"session {session_id}")
    coordinator.customer_connected(session_id, peer)
    reader = _Reader(websocket)
    try:
        while (raw := await reader.next()) is not None:
            coordinator.handle_customer_message(session_id, peer, raw)
    except Exception as exc:
        logger.info("session %s: customer connection error: %s", session_id, exc)
    finally:
        coordinator.customer_disconnected(session_id, peer, server_stopping=reader.server_stopping)
        await peer.finish()
