"""录像查询 service: the QObject between :class:`~seat_client.views.recordings_dialog.RecordingsDialog` and the API."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal
from qasync import asyncSlot

from seat_client.recording.query import RecordingQueryClient, RecordingQueryError, SearchFilters

logger = logging.getLogger(__name__)


class RecordingsQueryService(QObject):
    """Runs the dialog's searches and playback requests on the event loop and hands results back as signals.

    Args:
        client: the Qt-free API client (with the signed-in seat's token).
        purpose: logged with every playback in the session's trail (e.g. ``"坐席复核"``).
    """

    resultsReady = Signal(object)
    sessionReady = Signal(object)
    failed = Signal(str)

    def __init__(self, client: RecordingQueryClient, purpose: str = "坐席复核", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.purpose = purpose
        self.last_results: dict[str, Any] | None = None
        self.last_session: dict[str, Any] | None = None

    def bind(self, dialog: Any) -> None:
        """Connects a RecordingsDialog both ways."""
        dialog.searchRequested.connect(self.search)
        dialog.sessionRequested.connect(self.open_session)
        self.resultsReady.connect(dialog.show_results)
        self.sessionReady.connect(dialog.show_session)
        self.failed.connect(dialog.show_error)

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

    async def aclose(self) -> None:
        """Closes the client."""
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
