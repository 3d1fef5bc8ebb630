"""Puts 双录 into the server app: routers at build time, services in the lifespan (see ``server.app``)."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from server.recordings.access import build_recordings_access_router
from server.recordings.router import build_recordings_router
from server.recordings.service import RecordingServices, start_recordings, stop_recordings
from server.recordings.store import MAX_CHUNK_BYTES

__all__ = ["UPLOAD_BODY_LIMIT", "UPLOAD_PATH_PREFIX", "include_recordings", "start_recordings", "stop_recordings"]

UPLOAD_PATH_PREFIX = "/api/recordings/uploads/"
"""Chunk uploads (PATCH) carry up to :data:`UPLOAD_BODY_LIMIT` bytes: give this prefix that body limit."""

UPLOAD_BODY_LIMIT = MAX_CHUNK_BYTES + 64 * 1024


def include_recordings(app: Any) -> None:
    """Adds the upload router (``/api/recordings/key``, ``/uploads``) and the search/playback/retention router.

    Both authenticate with ``server.deps.current_seat``; the services come from ``app.state.recordings`` (set by
    :func:`start_recordings` in the lifespan).
    """
    from server.deps import current_seat

    def services() -> RecordingServices:
        current: RecordingServices | None = getattr(app.state, "recordings", None)
        if current is None:
            raise HTTPException(503, "服务正在启动,请稍后重试")
        return current

    app.include_router(
        build_recordings_router(lambda: services().store, current_seat, lambda: services().keys.recording_public_raw)
    )
    app.include_router(build_recordings_access_router(services, current_seat))
