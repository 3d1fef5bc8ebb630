"""Resumable upload of spooled recording segments (录像断点续传) to the server's tus-style API.

The spool is the only state: on start the uploader finds every ``*.vtseg`` left by earlier runs (even a killed
client) and uploads it. The server's create call is idempotent per (recording, segment) and reports the committed
offset, so the uploader resumes after network cuts, client restarts and server restarts alike. A local file is
deleted only after the server acknowledged the verified, stored segment.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import random
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from seat_client.recording.spool import SegmentSpool
from wire.recording_format import SegmentFormatError, SegmentHeader, read_header

logger = logging.getLogger(__name__)

DEFAULT_CHUNK = 4 * 1024 * 1024
API = "/api/recordings/uploads"


class UploadRejected(Exception):
    """The server refused the segment for good (not a network problem); the file is quarantined."""


@dataclass
class UploaderStats:
    """Counters for monitoring, tests and benchmarks."""

    files_done: int = 0
    bytes_sent: int = 0
    retries: int = 0
    checksum_rejections: int = 0
    offset_resyncs: int = 0
    quarantined: int = 0


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        for block in iter(lambda: fp.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_chunk(path: Path, offset: int, size: int) -> tuple[bytes, str]:
    """``size`` bytes of ``path`` from ``offset`` and their ``Upload-Checksum`` value."""
    with open(path, "rb") as fp:
        fp.seek(offset)
        chunk = fp.read(size)
    return chunk, "sha256 " + base64.b64encode(hashlib.sha256(chunk).digest()).decode()


class SegmentUploader:
    """Uploads everything in a spool, resuming at the server's offset, retrying with backoff.

    Args:
        spool: the spool to drain.
        base_url: server base URL (e.g. ``https://vt.bank.local``).
        auth_headers: headers with the seat's bearer token, or a callable returning them (tokens get refreshed).
        chunk_size: bytes per PATCH.
        transport: optional httpx transport (tests inject faults at the network layer with it).
        backoff_initial: first retry delay in seconds.
        backoff_max: longest retry delay.
        sleep: awaitable sleep (injectable).
        timeout: HTTP timeout in seconds.
        verify: TLS verification for https (the seat connection's ``ssl_context``: the bank's CA when configured).
    """

    def __init__(
        self,
        spool: SegmentSpool,
        base_url: str,
        auth_headers: Mapping[str, str] | Callable[[], Mapping[str, str]],
        chunk_size: int = DEFAULT_CHUNK,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff_initial: float = 0.2,
        backoff_max: float = 30.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        timeout: float = 30.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.spool = spool
        self.base_url = base_url.rstrip("/")
        self._auth = auth_headers
        self.chunk_size = chunk_size
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.sleep = sleep
        self.stats = UploaderStats()
        self._client = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout, verify=verify)
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.quarantine_dir = spool.directory / "rejected"

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        base = self._auth() if callable(self._auth) else self._auth
        headers = dict(base)
        if extra:
            headers.update(extra)
        return headers

    async def aclose(self) -> None:
        """Closes the HTTP client."""
        await self._client.aclose()

    def notify(self) -> None:
        """Wakes the uploader: a new segment was spooled (thread-safe; call from the recorder's on_segment)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event, rescan_s: float = 5.0) -> None:
        """Uploads pending segments until ``stop`` is set; wakes on :meth:`notify` or every ``rescan_s``."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while not stop.is_set():
            self._wake.clear()
            await self.drain(stop)
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=rescan_s, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    async def drain(self, stop: asyncio.Event | None = None, max_attempts: int | None = None) -> int:
        """Uploads every pending segment (retrying each with backoff); returns how many were acknowledged.

        Args:
            stop: abandons the retry loop when set.
            max_attempts: give up on a file after this many failed attempts (None: keep trying).
        """
        done = 0
        for path in await asyncio.to_thread(self.spool.pending):
            attempt = 0
            while stop is None or not stop.is_set():
                try:
                    await self.upload_file(path)
                    done += 1
                    break
                except UploadRejected as exc:
                    self._quarantine(path, str(exc))
                    break
                except FileNotFoundError:
                    # another uploader on the same spool finished it (the file goes once the server has it)
                    logger.warning("recording segment %s left the spool during its upload; skipped", path.name)
                    break
                except (httpx.TransportError, _Retry) as exc:
                    attempt += 1
                    self.stats.retries += 1
                    if max_attempts is not None and attempt >= max_attempts:
                        logger.warning("upload of %s deferred after %d attempts: %s", path.name, attempt, exc)
                        break
                    delay = min(self.backoff_max, self.backoff_initial * 2 ** min(attempt - 1, 10))
                    delay *= 0.5 + random.random() / 2
                    logger.info("upload of %s interrupted (%s); retry in %.1fs", path.name, exc, delay)
                    await self.sleep(delay)
        return done

    def _quarantine(self, path: Path, reason: str) -> None:
        # Never delete what the server did not acknowledge: keep it aside for an administrator.
        self.quarantine_dir.mkdir(exist_ok=True)
        path.replace(self.quarantine_dir / path.name)
        self.stats.quarantined += 1
        logger.error("录像分段 %s 被服务器拒绝，已移至 %s：%s", path.name, self.quarantine_dir, reason)

    async def upload_file(self, path: Path) -> None:
        """Uploads one segment file from the server's committed offset and deletes it once acknowledged.

        Raises:
            httpx.TransportError: network trouble (retry later).
            UploadRejected: the server refuses this file for good.
        """
        # File system work (reading and hashing megabytes, listing, deleting) runs in a worker thread: the loop also
        # carries the call, and a disk busy with the recorder's fsync can hold a plain unlink for a long time.
        try:
            header, length, sha = await asyncio.to_thread(self._inspect, path)
        except SegmentFormatError as exc:
            raise UploadRejected(f"本地文件不是有效的录像分段：{exc}") from exc
        meta = header.meta
        body = {
            "recording_id": header.recording_id,
            "session_id": str(meta.get("session_id", "")),
            "segment_index": header.segment_index,
            "length": length,
            "sha256": sha,
            "business_type": str(meta.get("business_type", "")),
        }
        resp = await self._client.post(API, json=body, headers=self._headers())
        self._check(resp, "create")
        state = resp.json()
        upload_id = state["upload_id"]
        offset = int(state["offset"])
        while not state["complete"] and offset < length:
            chunk, checksum = await asyncio.to_thread(_read_chunk, path, offset, self.chunk_size)
            offset = await self._patch(upload_id, offset, chunk, checksum)
        resp = await self._client.post(f"{API}/{upload_id}/complete", headers=self._headers())
        if resp.status_code == 422 and _code(resp) == "file_checksum_mismatch":
            raise _Retry("whole-file checksum mismatch; server reset the upload")
        if resp.status_code == 409 and _code(resp) == "incomplete":
            raise _Retry("server has fewer bytes than sent")
        self._check(resp, "complete")
        ack = resp.json()
        if not ack.get("stored") or ack.get("sha256") != sha:
            raise _Retry("acknowledgement does not match the file")
        await asyncio.to_thread(self.spool.remove, path)  # unlink + size scan: may wait on a busy disk
        self.stats.files_done += 1
        logger.info("recording %s segment %d uploaded and acknowledged", header.recording_id, header.segment_index)

    @staticmethod
    def _inspect(path: Path) -> tuple[SegmentHeader, int, str]:
        """(segment header, file length, file SHA-256) of a spooled segment (worker thread)."""
        with open(path, "rb") as fp:
            header = read_header(fp)
        return header, path.stat().st_size, file_sha256(path)

    async def _patch(self, upload_id: str, offset: int, chunk: bytes, checksum: str) -> int:
        for _ in range(5):
            resp = await self._client.patch(
                f"{API}/{upload_id}",
                content=chunk,
                headers=self._headers(
                    {
                        "Upload-Offset": str(offset),
                        "Upload-Checksum": checksum,
                        "Content-Type": "application/offset+octet-stream",
                        "Tus-Resumable": "1.0.0",
                    }
                ),
            )
            if resp.status_code == 204:
                self.stats.bytes_sent += len(chunk)
                return int(resp.headers["Upload-Offset"])
            if resp.status_code == 460:
                # The chunk was damaged on the way; the server discarded it. Send it again.
                self.stats.checksum_rejections += 1
                logger.warning("upload %s: chunk at %d rejected by checksum, re-sending", upload_id, offset)
                continue
            if resp.status_code == 409:
                self.stats.offset_resyncs += 1
                server_offset = resp.headers.get("Upload-Offset")
                if server_offset is None:
                    self._check(resp, "patch")
                return int(server_offset or 0)
            self._check(resp, "patch")
        raise _Retry("chunk rejected repeatedly")

    @staticmethod
    def _check(resp: httpx.Response, what: str) -> None:
        if resp.status_code < 300:
            return
        if _code(resp) in ("segment_exists", "upload_forbidden"):
            # A different file is already stored for this segment, or it belongs to another seat: never retried.
            raise UploadRejected(f"{what}: HTTP {resp.status_code} {_message(resp)}")
        if resp.status_code >= 500 or resp.status_code in (401, 404, 408, 409, 429):
            # 401: token expired (refreshed by the caller's header provider); 404: upload record lost; retry.
            raise _Retry(f"{what}: HTTP {resp.status_code}")
        raise UploadRejected(f"{what}: HTTP {resp.status_code} {_message(resp)}")


class _Retry(Exception):
    """A transient server-side condition: retry after backoff."""


def _detail(resp: httpx.Response) -> dict[str, Any]:
    try:
        detail = resp.json().get("detail")
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {"message": str(detail)}


def _code(resp: httpx.Response) -> str:
    return str(_detail(resp).get("code", ""))


def _message(resp: httpx.Response) -> str:
    return str(_detail(resp).get("message", ""))
