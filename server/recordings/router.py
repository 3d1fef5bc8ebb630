"""HTTP API for resumable recording uploads (tus-style): create, offset, patch chunk, complete.

Endpoints (prefix ``/api/recordings``):

* ``POST /uploads`` JSON :class:`CreateUploadRequest` -> 201 :class:`UploadStatus` (+ ``Location``,
  ``Upload-Offset``). Idempotent per (recording_id, segment_index): asking again returns the same upload and its
  committed offset, so a restarted seat needs no local upload state.
* ``HEAD /uploads/{id}`` -> ``Upload-Offset`` / ``Upload-Length`` headers; ``GET /uploads/{id}`` -> JSON.
* ``PATCH /uploads/{id}`` with ``Upload-Offset``, ``Upload-Checksum: sha256 <base64>`` and
  ``Content-Type: application/offset+octet-stream`` -> 204 with the new ``Upload-Offset``. A wrong offset -> 409
  (with the server's offset); a checksum mismatch -> 460 (tus checksum extension) and the chunk is discarded.
* ``POST /uploads/{id}/complete`` -> 200 :class:`CompleteResponse` after the whole-file SHA-256 is verified and the
  segment stored. Only then may the seat delete its copy.

Errors carry ``{"detail": {"code", "message", "offset"}}`` with a Chinese message.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
from collections.abc import Callable
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import ClientDisconnect

from server.recordings.store import MAX_CHUNK_BYTES, RecordingStore, UploadError, UploadState
from wire.recording_format import key_id_of

TUS_VERSION = "1.0.0"
WRITE_BATCH_BYTES = 1024 * 1024
"""A chunk's body is written and hashed in batches of this size while the rest arrives."""
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"


class CreateUploadRequest(BaseModel):
    """Declares one encrypted segment file to upload."""

    model_config = ConfigDict(extra="forbid")

    recording_id: str = Field(min_length=1, max_length=64)
    session_id: str = Field(min_length=1, max_length=64)
    segment_index: int = Field(ge=0)
    length: int = Field(gt=0)
    sha256: str = Field(min_length=64, max_length=64)
    business_type: str = Field(default="", max_length=64)


class UploadStatus(BaseModel):
    """An upload's committed state."""

    upload_id: str
    recording_id: str
    segment_index: int
    length: int
    offset: int
    complete: bool


class CompleteResponse(BaseModel):
    """Acknowledgement that the segment is stored (the seat may now delete its copy)."""

    stored: bool
    recording_id: str
    segment_index: int
    sha256: str
    size: int


def _status(state: UploadState) -> UploadStatus:
    return UploadStatus(
        upload_id=state.upload_id,
        recording_id=state.recording_id,
        segment_index=state.segment_index,
        length=state.length,
        offset=state.offset,
        complete=state.complete,
    )


def _error(exc: UploadError) -> JSONResponse:
    headers = {"Tus-Resumable": TUS_VERSION}
    if exc.offset is not None:
        headers["Upload-Offset"] = str(exc.offset)
    return JSONResponse(
        {"detail": {"code": exc.code, "message": exc.message, "offset": exc.offset}},
        status_code=exc.status,
        headers=headers,
    )


def seat_id_of(principal: Any) -> str:
    """Extracts the seat id from what the authentication dependency returned.

    Accepts a string, an object with ``seat_id``, or one with ``seat.seat_id`` (``server.deps.AuthenticatedSeat``).
    """
    if isinstance(principal, str):
        return principal
    seat_id = getattr(principal, "seat_id", None)
    if seat_id is None:
        seat = getattr(principal, "seat", None)
        seat_id = getattr(seat, "seat_id", None)
    if not isinstance(seat_id, str) or not seat_id:
        raise TypeError("authenticate_seat must return a seat id, or an object carrying seat_id")
    return seat_id


class RecordingKeyResponse(BaseModel):
    """The server's X25519 recording public key that seats wrap per-recording keys for."""

    algorithm: str = "X25519-HKDF-SHA256/AES-256-GCM"
    key_id: str
    public_key: str


def build_recordings_router(
    store: RecordingStore | Callable[[], RecordingStore],
    authenticate_seat: Callable[..., Any],
    recording_public_key: bytes | Callable[[], bytes] | None = None,
) -> APIRouter:
    """Builds the upload router over ``store``.

    Args:
        store: the recording store (one per app; it is thread-safe), or a function returning it (for apps that
            open the store in their lifespan, after the routes are built).
        authenticate_seat: a FastAPI dependency that authenticates the seat (raising 401 otherwise) and returns
            its id or an object with ``seat_id`` / ``seat.seat_id``.
        recording_public_key: raw 32-byte X25519 public key (``ServerKeys.recording_public_raw``) or a function
            returning it; when given,
            ``GET /api/recordings/key`` hands it to authenticated seats. Seats should pin its ``key_id``.

    Returns:
        An ``APIRouter`` with prefix ``/api/recordings``.
    """
    router = APIRouter(prefix="/api/recordings", tags=["recordings"])
    get_store: Callable[[], RecordingStore] = (lambda: store) if isinstance(store, RecordingStore) else store
    # A module-level alias would be needed for Annotated[...] under postponed annotations; a default is simpler.
    seat_dep = Depends(authenticate_seat)

    if recording_public_key is not None:
        get_key: Callable[[], bytes] = (
            (lambda: recording_public_key) if isinstance(recording_public_key, bytes) else recording_public_key
        )

        @router.get("/key", response_model=RecordingKeyResponse)
        async def recording_key(seat: Any = seat_dep) -> RecordingKeyResponse:
            raw = get_key()
            return RecordingKeyResponse(
                key_id=key_id_of(X25519PublicKey.from_public_bytes(raw)).hex(),
                public_key=base64.b64encode(raw).decode(),
            )

    @router.post("/uploads", status_code=201, response_model=UploadStatus)
    async def create_upload(body: CreateUploadRequest, response: Response, seat: Any = seat_dep) -> Any:
        try:
            state = await run_in_threadpool(
                get_store().create_upload,
                seat_id_of(seat),
                body.recording_id,
                body.session_id,
                body.segment_index,
                body.length,
                body.sha256,
                body.business_type,
            )
        except UploadError as exc:
            return _error(exc)
        response.headers["Location"] = f"/api/recordings/uploads/{state.upload_id}"
        response.headers["Upload-Offset"] = str(state.offset)
        response.headers["Tus-Resumable"] = TUS_VERSION
        return _status(state)

    @router.head("/uploads/{upload_id}")
    async def upload_offset(upload_id: str, seat: Any = seat_dep) -> Response:
        try:
            state = await run_in_threadpool(get_store().get_upload, upload_id, seat_id_of(seat))
        except UploadError as exc:
            return Response(status_code=exc.status, headers={"Tus-Resumable": TUS_VERSION})
        return Response(
            status_code=200,
            headers={
                "Upload-Offset": str(state.offset),
                "Upload-Length": str(state.length),
                "Cache-Control": "no-store",
                "Tus-Resumable": TUS_VERSION,
            },
        )

    @router.get("/uploads/{upload_id}", response_model=UploadStatus)
    async def upload_status(upload_id: str, seat: Any = seat_dep) -> Any:
        try:
            return _status(await run_in_threadpool(get_store().get_upload, upload_id, seat_id_of(seat)))
        except UploadError as exc:
            return _error(exc)

    @router.patch("/uploads/{upload_id}", status_code=204)
    async def patch_chunk(
        upload_id: str,
        request: Request,
        upload_offset: Annotated[int, Header(alias="Upload-Offset", ge=0)],
        upload_checksum: Annotated[str, Header(alias="Upload-Checksum")],
        content_type: Annotated[str, Header(alias="Content-Type")] = "",
        seat: Any = seat_dep,
    ) -> Response:
        if content_type.split(";")[0].strip().lower() != OFFSET_CONTENT_TYPE:
            return _error(UploadError(415, "bad_content_type", f"Content-Type 必须是 {OFFSET_CONTENT_TYPE}"))
        algo, _, b64 = upload_checksum.partition(" ")
        try:
            if algo.strip().lower() != "sha256":
                raise ValueError(algo)
            expected = base64.b64decode(b64.strip(), validate=True)
            if len(expected) != 32:
                raise ValueError("length")
        except (ValueError, binascii.Error):
            return _error(UploadError(400, "bad_checksum_header", "Upload-Checksum 必须是 'sha256 <base64>'"))
        declared = request.headers.get("content-length")
        length = int(declared) if declared is not None and declared.isdigit() else None
        if length is not None and length > MAX_CHUNK_BYTES:
            return _error(UploadError(413, "chunk_too_large", "上传块过大 (chunk too large)"))
        seat_id = seat_id_of(seat)
        store = get_store()
        try:
            writer = await run_in_threadpool(store.begin_chunk, upload_id, seat_id, upload_offset, expected, length)
        except UploadError as exc:
            return _error(exc)
        try:
            # The body goes to disk as it arrives, hashed in a worker thread (hashlib and pwrite release the GIL)
            # while the event loop receives the next batch; nothing counts until commit() has checked the
            # chunk's SHA-256 and fsync'ed it.
            batch = bytearray()
            pending: asyncio.Future[None] | None = None
            async for piece in request.stream():
                batch += piece
                if len(batch) >= WRITE_BATCH_BYTES:
                    if pending is not None:
                        await pending
                    pending = asyncio.ensure_future(run_in_threadpool(writer.write, batch))
                    batch = bytearray()
            if pending is not None:
                await pending
            if batch:
                await run_in_threadpool(writer.write, batch)
            new_offset = await run_in_threadpool(writer.commit)
        except ClientDisconnect:
            # The seat went away mid-chunk: nothing of this chunk counts.
            return Response(status_code=400)
        except UploadError as exc:
            return _error(exc)
        finally:
            if pending is not None and not pending.done():
                with contextlib.suppress(Exception):
                    await pending  # never close the file under a write still running in its thread
            writer.close()
        return Response(status_code=204, headers={"Upload-Offset": str(new_offset), "Tus-Resumable": TUS_VERSION})

    @router.post("/uploads/{upload_id}/complete", response_model=CompleteResponse)
    async def complete_upload(upload_id: str, seat: Any = seat_dep) -> Any:
        try:
            stored = await run_in_threadpool(get_store().complete_upload, upload_id, seat_id_of(seat))
        except UploadError as exc:
            return _error(exc)
        return CompleteResponse(
            stored=True,
            recording_id=stored.recording_id,
            segment_index=stored.segment_index,
            sha256=stored.sha256,
            size=stored.size,
        )

    return router
