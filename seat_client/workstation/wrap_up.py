"""话后小结 outbox: the teller's wrap-up notes are written to disk before they are sent, and stay there until the server
has them (Qt-free).

A note that could not be sent (no network, server restarting, token expired) is retried; one the server refused for
good (not this seat's call, too long...) stays in the file marked ``refused`` with the server's reason, so the text
is never lost and the teller is told.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from seat_client.workstation.texts import T, Text
from wire.wrap_up import WRAP_UP_NOTES_MAX_CHARS

logger = logging.getLogger(__name__)

OUTBOX_FILE_NAME = "wrap-up-outbox.json"

PERMANENT_STATUSES = frozenset({400, 403, 404, 413, 422})
"""Server answers that a retry cannot change: the note is kept as refused instead of being sent again."""

MAX_CONFLICT_ATTEMPTS = 20
"""409 usually means the server has not seen the call end yet (a dropped connection): retried this often, then kept
as refused."""


def notes_length_problem(notes: str) -> Text | None:
    """Why the notes cannot be sent as they are (too long), or None."""
    length = len(notes.strip())
    if length > WRAP_UP_NOTES_MAX_CHARS:
        return T("Workstation", "话后小结不能超过 {limit} 字(当前 {length} 字),请精简后再提交").fmt(
            limit=WRAP_UP_NOTES_MAX_CHARS, length=length
        )
    return None


@dataclass
class PendingNotes:
    """One wrap-up note waiting for the server.

    Attributes:
        session_id: the call.
        seat_id: the seat that wrote it (only that seat's sign-in sends it).
        note_id: idempotency key: a retry after a lost answer stores nothing twice.
        notes: the text.
        written_at: when the teller finished it (ISO, UTC).
        attempts: sends tried.
        last_error: the latest failure (Chinese), '' before the first.
        refused: the server refused it for good; kept, not retried.
    """

    session_id: str
    seat_id: str
    note_id: str
    notes: str
    written_at: str
    attempts: int = 0
    last_error: str = ""
    refused: bool = False


class WrapUpOutbox:
    """Pending wrap-up notes in a JSON file (written atomically after every change).

    Args:
        path: the file (created with its folder when the first note is added).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._items: list[PendingNotes] = self._load()

    def _load(self) -> list[PendingNotes]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            broken = self.path.with_name(f"{self.path.name}.unreadable-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}")
            logger.exception("wrap-up outbox %s unreadable: kept as %s", self.path, broken.name)
            with contextlib.suppress(OSError):
                os.replace(self.path, broken)
            return []
        items = []
        for entry in raw if isinstance(raw, list) else []:
            try:
                items.append(PendingNotes(**entry))
            except TypeError:
                logger.error("wrap-up outbox %s: skipped a malformed entry", self.path)
        return items

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fp:
            json.dump([asdict(item) for item in self._items], fp, ensure_ascii=False, indent=1)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, self.path)

    def add(self, session_id: str, seat_id: str, notes: str, now: dt.datetime | None = None) -> PendingNotes:
        """Keep a new note (on disk before this returns)."""
        item = PendingNotes(
            session_id=session_id,
            seat_id=seat_id,
            note_id=uuid.uuid4().hex,
            notes=notes.strip(),
            written_at=(now or dt.datetime.now(dt.UTC)).isoformat(),
        )
        with self._lock:
            self._items.append(item)
            self._save()
        return item

    def items(self) -> list[PendingNotes]:
        """Every kept note (pending and refused), oldest first."""
        with self._lock:
            return list(self._items)

    def pending(self, seat_id: str) -> list[PendingNotes]:
        """Notes of ``seat_id`` still to send, oldest first."""
        return [i for i in self.items() if i.seat_id == seat_id and not i.refused]

    def refused(self, seat_id: str) -> list[PendingNotes]:
        """Notes of ``seat_id`` the server refused for good (kept for the teller)."""
        return [i for i in self.items() if i.seat_id == seat_id and i.refused]

    def sent(self, note_id: str) -> None:
        """The server stored it: forget it."""
        with self._lock:
            self._items = [i for i in self._items if i.note_id != note_id]
            self._save()

    def failed(self, note_id: str, error: str, status: int | None) -> PendingNotes | None:
        """A send failed with ``error`` (HTTP ``status``, None without an answer); returns the updated note.

        Refusals that a retry cannot change (:data:`PERMANENT_STATUSES`, or a 409 that keeps coming back) mark it
        ``refused``; anything else leaves it pending.
        """
        with self._lock:
            item = next((i for i in self._items if i.note_id == note_id), None)
            if item is None:
                return None
            item.attempts += 1
            item.last_error = error
            if status in PERMANENT_STATUSES or (status == 409 and item.attempts >= MAX_CONFLICT_ATTEMPTS):
                item.refused = True
            self._save()
            return item
