"""录像查询 service: the QObject between :class:`~seat_client.views.recordings_dialog.RecordingsDialog` and the API."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from qasync import asyncSlot

from seat_client.recording.query import RecordingQueryClient, RecordingQueryError, SearchFilters

logger = logging.getLogger(__name__)


class RecordingsQueryService(QObject):
    """Runs the dialog's searches, playback requests and 证据包 downloads on the event loop; results as signals.

    Args:
        client: the Qt-free API client (with the signed-in seat's token).
        purpose: logged with every playback in the session's trail (e.g. ``"坐席复核"``).
    """

    resultsReady = Signal(object)
    sessionReady = Signal(object)
    failed = Signal(str)
    exportProgress = Signal(object, object)
    """Bytes of the 证据包 written so far, and the total (None: the server streams without announcing it)."""
    exportFinished = Signal(object)
    """``{"session_id", "path", "size", "entries"}`` of a saved 证据包."""
    exportFailed = Signal(str)
    """Why the 证据包 was not saved (Chinese; ``已取消导出`` after :meth:`cancel_export`)."""

    def __init__(self, client: RecordingQueryClient, purpose: str = "坐席复核", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.purpose = purpose
        self.last_results: dict[str, Any] | None = None
        self.last_session: dict[str, Any] | None = None
        self.last_export: dict[str, Any] | None = None
        self._export: asyncio.Task[Any] | None = None

    def bind(self, dialog: Any) -> None:
        """Connects a RecordingsDialog both ways."""
        dialog.searchRequested.connect(self.search)
        dialog.sessionRequested.connect(self.open_session)
        self.resultsReady.connect(dialog.show_results)
        self.sessionReady.connect(dialog.show_session)
        self.failed.connect(dialog.show_error)
        dialog.exportRequested.connect(self.export_package)
        dialog.exportCancelRequested.connect(self.cancel_export)
        dialog.finished.connect(self.cancel_export)  # closing the dialog stops a download (no partial file stays)
        self.exportProgress.connect(dialog.show_export_progress)
        self.exportFinished.connect(dialog.show_export_done)
        self.exportFailed.connect(dialog.show_export_error)

    @asyncSlot(object)
    async def search(self, filters: SearchFilters) -> None:
        """One page of results, or a Chinese error."""
        try:
            self.last_results = await self.client.search(filters)
        except RecordingQueryError as exc:
            self.failed.emit(exc.message)
            return
        self.resultsReady.emit(self.last_results)

    @asyncSlot(str)
    async def open_session(self, session_id: str) -> None:
        """Parts to play and the trail of ``session_id``, or a Chinese error (e.g. 无权查看)."""
        try:
            self.last_session = await self.client.open_session(session_id, self.purpose)
        except RecordingQueryError as exc:
            self.failed.emit(exc.message)
            return
        self.sessionReady.emit(self.last_session)

    @property
    def exporting(self) -> bool:
        """Whether a 证据包 download is running."""
        return self._export is not None and not self._export.done()

    @asyncSlot(str, str, str)
    async def export_package(self, session_id: str, purpose: str, path: str) -> None:
        """Downloads the 证据包 of ``session_id`` to ``path`` (用途 ``purpose``), reporting progress as it goes.

        One download at a time; the server decides who may export (403 for tellers, shown as its message).
        """
        if self.exporting:
            self.exportFailed.emit("正在导出另一个证据包，请等待完成或取消后再试")
            return
        download = asyncio.ensure_future(
            self.client.export_package(session_id, purpose, Path(path), self.exportProgress.emit)
        )
        self._export = download
        try:
            package = await download
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # this slot itself was cancelled (the loop shutting down), not just the download
            self.exportFailed.emit("已取消导出，未保存证据包")
            return
        except RecordingQueryError as exc:
            self.exportFailed.emit(exc.message)
            return
        finally:
            self._export = None
        self.last_export = {
            "session_id": session_id,
            "path": str(package.path),
            "size": package.size,
            "entries": package.entries,
        }
        self.exportFinished.emit(self.last_export)

    @Slot()
    def cancel_export(self) -> None:
        """Stops a running 证据包 download (its partial file is removed)."""
        if self._export is not None and not self._export.done():
            self._export.cancel()

    async def aclose(self) -> None:
        """Stops a download and closes the client."""
        download = self._export
        self.cancel_export()
        if download is not None:
            await asyncio.gather(download, return_exceptions=True)
        await self.client.aclose()


def recordings_dialog_for(controller: Any, parent: Any = None) -> tuple[Any, RecordingsQueryService]:
    """A 录像查询 dialog bound to a signed-in controller's server and token (``open()`` it to show)."""
    from seat_client.views.recordings_dialog import RecordingsDialog

    connection = controller.connection
    if connection is None:
        raise RuntimeError("not signed in")

    def headers() -> dict[str, str]:
        response = connection.login_response
        return {"Authorization": f"Bearer {response.token}"} if response is not None else {}

    verify = getattr(connection, "ssl_context", True) if controller.settings.server_url.startswith("https") else True
    service = RecordingsQueryService(RecordingQueryClient(controller.settings.server_url, headers, verify=verify))
    dialog = RecordingsDialog(parent)
    service.setParent(dialog)
    service.bind(dialog)
    return dialog, service
