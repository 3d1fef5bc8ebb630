"""A minimal real FastAPI app around the recordings router (the full server app wires it the same way)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Header, HTTPException

from server.recordings.router import build_recordings_router
from server.recordings.store import RecordingStore

TOKENS = {"tok-seat-1": "seat-1", "tok-seat-2": "seat-2"}
SEAT1 = {"Authorization": "Bearer tok-seat-1"}
SEAT2 = {"Authorization": "Bearer tok-seat-2"}


def authenticate_seat(authorization: Annotated[str, Header()] = "") -> str:
    """Bearer-token check standing in for server.deps.current_seat (same contract: 401 or a seat id)."""
    scheme, _, token = authorization.partition(" ")
    seat = TOKENS.get(token.strip()) if scheme.lower() == "bearer" else None
    if seat is None:
        raise HTTPException(401, "登录已失效或未登录,请重新登录")
    return seat


def build_app(data_dir: Path, **store_kwargs: object) -> tuple[FastAPI, RecordingStore]:
    """An app over a store in ``data_dir`` (a new call over the same dir is a server restart)."""
    store = RecordingStore(data_dir, **store_kwargs)  # type: ignore[arg-type]
    app = FastAPI()
    app.include_router(build_recordings_router(store, authenticate_seat))
    return app, store
