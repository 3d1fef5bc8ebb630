"""A simulated customer for seat-client tests: takes a ticket on the real server and answers the seat's offer
with a plain aiortc peer that sends its own FakeCameraPattern (the browser's role, without a browser)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import httpx
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from seat_client.media.fake import FakeCameraPattern, FakeMicrophoneTone
from server.devtools.idcards import demo_ticket
from wire import parse_server_to_customer


class SimulatedCustomer:
    """One customer: ticket, WebSocket, WebRTC answer; counts the seat's frames it receives."""

    def __init__(self, server_url: str, business_type: str = "password_reset", name: str = "张三") -> None:
        self.server_url = server_url.rstrip("/")
        self.business_type = business_type
        self.name = name
        self.session_id = ""
        self.frames: dict[str, int] = {"video": 0, "audio": 0}
        self.messages: list[Any] = []
        self.pc: RTCPeerConnection | None = None
        self.camera = FakeCameraPattern(320, 240)
        self._ws: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self.ended = asyncio.Event()

    async def start(self) -> None:
        """Take a ticket and connect (the server then offers the call to a ready seat)."""
        async with httpx.AsyncClient(base_url=self.server_url, timeout=60.0) as client:
            # the pre-check with a sandbox demo customer's ID-card photos, then the ticket (``name`` is not sent:
            # the seat sees the masked name read from the card)
            ticket = await demo_ticket(client, self.business_type)
        self.session_id = ticket["session_id"]
        ws_url = "ws://" + self.server_url.removeprefix("http://") + ticket["websocket_path"]
        self._ws = await websockets.connect(ws_url)
        self._tasks.append(asyncio.create_task(self._read()))

    async def _read(self) -> None:
        async for raw in self._ws:
            message = parse_server_to_customer(raw)
            self.messages.append(message)
            if message.type == "sdp" and message.sdp_type == "offer":
                await self._answer(message.sdp)
            elif message.type == "call_ended":
                self.ended.set()

    async def _answer(self, offer_sdp: str) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.on("track", self._consume)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        self.pc.addTrack(self.camera)
        self.pc.addTrack(FakeMicrophoneTone(frequency=660))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self._ws.send(json.dumps({"type": "sdp", "sdp_type": "answer", "sdp": self.pc.localDescription.sdp}))

    def _consume(self, track: MediaStreamTrack) -> None:
        async def run() -> None:
            with contextlib.suppress(MediaStreamError):
                while True:
                    await track.recv()
                    self.frames[track.kind] += 1

        self._tasks.append(asyncio.ensure_future(run()))

    async def hangup(self) -> None:
        """Hang up from the customer side."""
        with contextlib.suppress(websockets.ConnectionClosed):
            await self._ws.send(json.dumps({"type": "hangup"}))

    async def close(self) -> None:
        """Release everything."""
        for task in self._tasks:
            task.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self.pc is not None:
            await self.pc.close()
        self.camera.stop()
