"""话后小结 (wrap-up notes): what the teller writes about a call after it ended, kept in the session's trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

WRAP_UP_NOTES_MAX_CHARS = 2000
"""Longest wrap-up note the server accepts (characters after trimming); longer ones get a Chinese 422."""


class WrapUpNotesRequest(BaseModel):
    """``PUT /api/sessions/{id}/wrap-up``: the seat's notes for a call it handled, once that call ended.

    Attributes:
        note_id: chosen by the client for this version of the notes; sending the same id again (a retry after a lost
            answer) stores nothing new and returns what was stored.
        notes: the text (trimmed; at most :data:`WRAP_UP_NOTES_MAX_CHARS` characters, checked by the server so the
            refusal is a clear Chinese message rather than a validation error).
    """

    model_config = ConfigDict(extra="forbid")

    note_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    notes: str = Field(max_length=20 * WRAP_UP_NOTES_MAX_CHARS)


class WrapUpNotes(BaseModel):
    """Stored wrap-up notes (the newest revision), as returned by the endpoint and in ``SessionRecord.wrap_up``.

    Attributes:
        session_id: the session.
        note_id: the client's id of this revision.
        revision: 1 for the first notes of the session, then 2, 3... (each is a trail event; the newest wins).
        notes: the text as stored (long digit runs such as phone, ID-card and card numbers masked).
        seat_id: the seat that wrote them.
        saved_at: when the server stored them.
        masked: the server masked numbers in the text.
    """

    session_id: str
    note_id: str
    revision: int
    notes: str
    seat_id: str
    saved_at: datetime
    masked: bool = False
