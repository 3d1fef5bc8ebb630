"""录像查询 client (Qt-free): searches sessions, opens one for playback and downloads its 证据包 through the
server's recordings API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import httpx

logger = logging.getLogger(__name__)

EXPORT_CHUNK_BYTES = 1024 * 1024
"""The evidence package is written in pieces of this size as it arrives: memory does not grow with its length."""

EXPORT_TIMEOUT = httpx.Timeout(30.0, read=600.0)
"""The server verifies the whole session (every segment decrypted) before the first byte: allow it minutes."""

PART_SUFFIX = ".part"
"""The package is written next to the chosen file under this suffix and renamed only once it is complete."""

ProgressCallback = Callable[[int, "int | None"], None]
"""``(bytes written, total bytes or None when the server did not say)``."""


class RecordingQueryError(Exception):
    """A query failed; ``message`` is Chinese for the teller."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ExportedPackage:
    """A downloaded 证据包.

    Attributes:
        path: where it was saved.
        size: bytes written.
        entries: the files in the ZIP (``manifest.json``, ``evidence*.mp4``, ``snapshots/...``, ``report.json``).
    """

    path: Path
    size: int
    entries: list[str]


def error_message(res: httpx.Response) -> str:
    """The Chinese message of an error response (``detail`` as text, or ``detail.message`` with ``problems``)."""
    try:
        detail = res.json().get("detail")
    except ValueError:
        detail = None
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, dict) and detail.get("message"):
        problems = [str(p) for p in detail.get("problems") or []]
        shown = "；".join(problems[:3]) + ("；…" if len(problems) > 3 else "")
        return f"{detail['message']}：{shown}" if shown else str(detail["message"])
    return f"查询失败（HTTP {res.status_code}）"


def _package_entries(path: Path) -> list[str]:
    """The names in a downloaded package (reads the ZIP's central directory only); BadZipFile when cut short."""
    with zipfile.ZipFile(path) as package:
        return package.namelist()


def _write_piece(handle: BinaryIO, piece: bytes) -> None:
    """Writes one piece through to the file (nothing of the package waits in a buffer)."""
    handle.write(piece)
    handle.flush()


def _sync_and_close(handle: BinaryIO) -> None:
    try:
        handle.flush()
        os.fsync(handle.fileno())
    finally:
        handle.close()


@dataclass(frozen=True)
class SearchFilters:
    """What the 录像查询 form asks for (empty fields are not filtered on)."""

    seat_id: str = ""
    date_from: str = ""
    date_to: str = ""
    business_type: str = ""
    customer: str = ""
    page: int = 1
    page_size: int = 20

    def params(self) -> dict[str, Any]:
        """Query parameters for ``GET /api/recordings/sessions``."""
        values: dict[str, Any] = {"page": self.page, "page_size": self.page_size}
        for name in ("seat_id", "date_from", "date_to", "business_type", "customer"):
            value = str(getattr(self, name)).strip()
            if value:
                values[name] = value
        return values


class RecordingQueryClient:
    """Talks to ``/api/recordings/sessions`` with the seat's bearer token.

    Args:
        server_url: the server base URL.
        auth_headers: returns the current ``Authorization`` header.
        transport: optional httpx transport (tests).
        verify: TLS verification (the seat connection's SSL context for https).
    """

    def __init__(
        self,
        server_url: str,
        auth_headers: Callable[[], Mapping[str, str]],
        transport: httpx.AsyncBaseTransport | None = None,
        verify: Any = True,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.auth_headers = auth_headers
        self._client = httpx.AsyncClient(base_url=self.server_url, timeout=60.0, transport=transport, verify=verify)

    async def _get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            res = await self._client.get(path, params=dict(params), headers=dict(self.auth_headers()))
        except httpx.HTTPError as exc:
            raise RecordingQueryError("无法连接服务器，请检查网络后重试") from exc
        if res.status_code != 200:
            raise RecordingQueryError(error_message(res), res.status_code)
        return dict(res.json())

    async def search(self, filters: SearchFilters) -> dict[str, Any]:
        """One page of sessions (newest first) with their recordings."""
        return await self._get("/api/recordings/sessions", filters.params())

    async def open_session(self, session_id: str, purpose: str = "") -> dict[str, Any]:
        """A session's recordings, playable parts (absolute URLs) and trail; the server logs the access."""
        view = await self._get(f"/api/recordings/sessions/{session_id}", {"purpose": purpose})
        for part in view.get("parts", []):
            part["url"] = self.server_url + part["url"]
        return view

    async def export_package(
        self,
        session_id: str,
        purpose: str,
        destination: Path,
        on_progress: ProgressCallback | None = None,
    ) -> ExportedPackage:
        """Downloads the session's 证据包 (``GET /api/recordings/sessions/{id}/export.zip?purpose=``) to a file.

        The ZIP is streamed to ``destination`` + ``.part`` a piece at a time (file writes in a worker thread) and
        renamed to ``destination`` only after its central directory reads back: the chosen file is never a partial
        package. Anything that goes wrong (refusal, network cut, full disk, cancellation) leaves no partial file.

        Args:
            session_id: the session to export.
            purpose: 用途 (required by the server and logged in the session's trail, e.g. ``客户投诉``).
            destination: the file to write (replaced if it exists).
            on_progress: called after each piece with the bytes written and the total (None: not announced).

        Raises:
            RecordingQueryError: a Chinese message (403 only auditors/supervisors/admins export, 409 evidence
                verification failed, a network or disk problem).
        """
        purpose = purpose.strip()
        if not purpose:
            raise RecordingQueryError("请填写导出用途（如客户投诉、纠纷处理）")
        destination = Path(destination)
        partial = destination.with_name(destination.name + PART_SUFFIX)
        written = 0
        try:
            async with self._client.stream(
                "GET",
                f"/api/recordings/sessions/{session_id}/export.zip",
                params={"purpose": purpose},
                headers=dict(self.auth_headers()),
                timeout=EXPORT_TIMEOUT,
            ) as res:
                if res.status_code != 200:
                    await res.aread()  # an error body is a small JSON document
                    raise RecordingQueryError(error_message(res), res.status_code)
                declared = res.headers.get("content-length")
                total = int(declared) if declared and declared.isdigit() else None
                handle: BinaryIO = await asyncio.to_thread(open, partial, "wb")
                pieces = res.aiter_bytes(EXPORT_CHUNK_BYTES)
                try:
                    async for piece in pieces:
                        await asyncio.to_thread(_write_piece, handle, piece)
                        written += len(piece)
                        if on_progress is not None:
                            on_progress(written, total)
                finally:
                    # Leaving the loop early (cancelled, disk full) must close the response on this loop before
                    # httpx's byte-stream generators are finalised: qasync installs no async-generator hooks, and
                    # a generator closed by the garbage collector would try to await the connection's release.
                    await res.aclose()
                    await pieces.aclose()  # type: ignore[attr-defined]
                    await asyncio.to_thread(_sync_and_close, handle)
            if total is not None and written != total:
                raise RecordingQueryError("证据包下载不完整，请重试")
            try:
                entries = await asyncio.to_thread(_package_entries, partial)
            except zipfile.BadZipFile as exc:
                raise RecordingQueryError("证据包下载不完整（文件已截断），请重试") from exc
            await asyncio.to_thread(os.replace, partial, destination)
        except httpx.HTTPError as exc:
            logger.warning("session %s: evidence package download failed after %d bytes: %r", session_id, written, exc)
            await asyncio.to_thread(_remove, partial)
            raise RecordingQueryError("证据包下载中断（网络连接失败或服务器中止），请重试") from exc
        except OSError as exc:
            logger.warning("session %s: evidence package could not be written to %s: %s", session_id, partial, exc)
            await asyncio.to_thread(_remove, partial)
            raise RecordingQueryError(f"无法保存证据包到所选位置：{exc.strerror or exc}") from exc
        except BaseException:  # a refusal, a cut-short package, a cancellation: no partial file stays behind
            await asyncio.shield(asyncio.to_thread(_remove, partial))
            raise
        logger.info("session %s: evidence package saved (%d bytes, %d files)", session_id, written, len(entries))
        return ExportedPackage(destination, written, entries)

    async def aclose(self) -> None:
        """Closes the HTTP client."""
        await self._client.aclose()


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
