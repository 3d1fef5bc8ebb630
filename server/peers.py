"""WebSocket connections as :class:`server.calls.Peer`: an ordered outbox drained by one writer task."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pydantic import BaseModel
from starlette.websockets import WebSocket, WebSocketState

import wire

logger = logging.getLogger(__name__)

MAX_BACKLOG = 500
"""Messages queued for a peer that does not read; beyond this the connection is closed rather than growing memory."""


class WebSocketPeer:
    """A WebSocket that the coordinator can send to without awaiting.

    Args:
        websocket: an accepted Starlette WebSocket.
        label: what to call it in logs (a seat id or a session id).
    """

    def __init__(self, websocket: WebSocket, label: str) -> None:
        self.websocket = websocket
        self.label = label
        self._outbox: asyncio.Queue[str | tuple[int, str]] = asyncio.Queue()
        self._closing = False
        self._writer = asyncio.create_task(self._drain(), name=f"ws-writer-{label}")

    def send(self, message: BaseModel) -> None:
        """Queue a message (see :class:`server.calls.Peer`)."""
        if self._closing:
            return
        if self._outbox.qsize() >= MAX_BACKLOG:
            logger.warning("%s: peer does not read its messages; closing", self.label)
            self.close(1008, "消息积压过多")
            return
        self._outbox.put_nowait(wire.dump_message(message))

    def close(self, code: int, reason: str) -> None:
        """Close after the queued messages (see :class:`server.calls.Peer`)."""
        if self._closing:
            return
        self._closing = True
        self._outbox.put_nowait((code, reason))

    async def _drain(self) -> None:
        while True:
            item = await self._outbox.get()
            try:
                if isinstance(item, str):
                    await self.websocket.send_text(item)
                else:
                    await self.websocket.close(code=item[0], reason=item[1])
                    return
            except Exception as exc:  # the socket is gone; the reader side notices and cleans up
                logger.debug("%s: send failed: %s", self.label, exc)
                return
            finally:
                self._outbox.task_done()

    async def finish(self) -> None:
        """Flush what can still be sent, then stop the writer (called when the reader loop ends)."""
        self._closing = True
        if self.websocket.application_state == WebSocketState.CONNECTED and not self._writer.done():
            drained = asyncio.create_task(self._outbox.join())
            await asyncio.wait({drained, self._writer}, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
            drained.cancel()
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._writer
