"""The recording public key endpoint."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
from fastapi import FastAPI

from server.evidence.keys import ServerKeys
from server.recordings.router import build_recordings_router
from server.recordings.store import RecordingStore
from tests.server.recordings.apphelper import SEAT1, authenticate_seat
from wire.recording_format import key_id_of, load_public_key


async def test_seats_fetch_the_recording_public_key(tmp_path: Path) -> None:
    keys = ServerKeys.load_or_create(tmp_path)
    app = FastAPI()
    app.include_router(build_recordings_router(RecordingStore(tmp_path), authenticate_seat, keys.recording_public_raw))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://vt") as client:
        assert (await client.get("/api/recordings/key")).status_code == 401
        body = (await client.get("/api/recordings/key", headers=SEAT1)).json()
    public = load_public_key(base64.b64decode(body["public_key"]))
    assert public.public_bytes_raw() == keys.recording_public_raw
    assert body["key_id"] == key_id_of(public).hex()
    assert (tmp_path / "keys" / "recording_x25519.pem").stat().st_mode & 0o077 == 0
