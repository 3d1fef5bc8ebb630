"""话后小结 (wrap-up notes): stored as events of the session's trail, so they are append-only and hash-chained.

Each save appends one ``wrap_up.notes`` event (``{note_id, revision, seat_id, notes, chars, masked}``) to
``session_events``; the recordings service chains every trail event into the session's evidence ledger (after the
seal, as an ``access`` entry), so notes are as tamper-evident as the rest of the call. The newest event is the
session's notes (``SessionRecord.wrap_up``); earlier revisions stay in the trail.

Who may write: a seat that answered the session (an ``answered`` event with its id), once its part of the call is
over (the session ended, or it was handed to another seat). Phone, ID-card and card numbers typed into the notes are
masked before they are stored.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from server.db import Database, SessionStatus, parse_iso
from wire.wrap_up import WRAP_UP_NOTES_MAX_CHARS, WrapUpNotes, WrapUpNotesRequest

logger = logging.getLogger(__name__)

WRAP_UP_EVENT = "wrap_up.notes"
"""Trail event kind of one saved revision of the notes."""

MAX_REVISIONS = 20
"""Revisions a session's notes may have (corrections are fine; an endless loop of saves is not)."""

_NUMBER_RUN = re.compile(r"[0-9](?:[ -]?[0-9]){6,}(?:[ -]?[Xx])?")
"""Seven or more digits, optionally grouped by single spaces or hyphens (cards are often written 6222 0202 ...),
optionally ending in the ID-card check letter X."""


class WrapUpRefused(Exception):
    """The notes cannot be stored; ``message`` is Chinese for the teller, ``status`` the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def mask_numbers(text: str) -> tuple[str, bool]:
    """Mask long digit runs (phone, ID-card, bank-card numbers) keeping the first 3 and last 4 digits.

    Returns:
        The masked text and whether anything was masked.
    """
    changed = False

    def _mask(match: re.Match[str]) -> str:
        nonlocal changed
        value = match.group(0)
        positions = [i for i, ch in enumerate(value) if ch.isalnum()]
        hidden = set(positions[3:-4])
        if not hidden:
            return value
        changed = True
        return "".join("*" if i in hidden else ch for i, ch in enumerate(value))

    return _NUMBER_RUN.sub(_mask, text), changed


def notes_from_trail(session_id: str, events: list[dict[str, Any]]) -> WrapUpNotes | None:
    """The newest wrap-up notes among a session's trail events (``Database.events`` rows), or None."""
    for event in reversed(events):
        if event.get("kind") != WRAP_UP_EVENT:
            continue
        detail = event.get("detail") or {}
        saved_at = parse_iso(str(event.get("at")))
        if saved_at is None:
            continue
        return WrapUpNotes(
            session_id=session_id,
            note_id=str(detail.get("note_id", "")),
            revision=int(detail.get("revision", 1)),
            notes=str(detail.get("notes", "")),
            seat_id=str(detail.get("seat_id", "")),
            saved_at=saved_at,
            masked=bool(detail.get("masked", False)),
        )
    return None


def _check_writer(row: dict[str, Any], events: list[dict[str, Any]], seat_id: str) -> None:
    answered_by = {str((e.get("detail") or {}).get("seat_id")) for e in events if e.get("kind") == "answered"}
    if seat_id not in answered_by:
        raise WrapUpRefused(403, "该会话不由本坐席受理,不能填写话后小结")
    if row.get("seat_id") == seat_id and row.get("status") == SessionStatus.CONNECTED:
        raise WrapUpRefused(409, "通话尚未结束,请在通话结束后填写话后小结")


def save_notes(
    db: Database, row: dict[str, Any], seat_id: str, request: WrapUpNotesRequest, now: datetime
) -> tuple[WrapUpNotes, bool]:
    """Store a revision of the notes (or recognise a retried one).

    Args:
        db: the server database (the trail).
        row: the session row.
        seat_id: the authenticated seat.
        request: note id and text.
        now: the server clock.

    Returns:
        The stored notes and True if this call stored them (False: the same ``note_id`` was stored before).

    Raises:
        WrapUpRefused: not this seat's call, the call is still going on, empty or too long, or too many revisions.
    """
    session_id = str(row["session_id"])
    events = db.events(session_id)
    _check_writer(row, events, seat_id)
    text = request.notes.strip()
    if not text:
        raise WrapUpRefused(422, "话后小结不能为空")
    if len(text) > WRAP_UP_NOTES_MAX_CHARS:
        raise WrapUpRefused(422, f"话后小结不能超过 {WRAP_UP_NOTES_MAX_CHARS} 字(当前 {len(text)} 字),请精简后再提交")
    stored, masked = mask_numbers(text)
    revisions = [e for e in events if e.get("kind") == WRAP_UP_EVENT]
    for event in revisions:
        detail = event.get("detail") or {}
        if detail.get("note_id") != request.note_id:
            continue
        if detail.get("notes") != stored or detail.get("seat_id") != seat_id:
            raise WrapUpRefused(409, "该小结编号已用于另一份内容,请重新提交")
        current = notes_from_trail(session_id, [event])
        assert current is not None
        return current, False
    if len(revisions) >= MAX_REVISIONS:
        raise WrapUpRefused(409, f"话后小结已修改 {MAX_REVISIONS} 次,不能再修改")
    detail = {
        "note_id": request.note_id,
        "revision": len(revisions) + 1,
        "seat_id": seat_id,
        "notes": stored,
        "chars": len(stored),
        "masked": masked,
    }
    db.append_event(session_id, now, WRAP_UP_EVENT, detail)
    logger.info("[%s] wrap-up notes revision %d by %s (%d chars)", session_id, detail["revision"], seat_id, len(stored))
    saved = notes_from_trail(session_id, db.events(session_id))
    assert saved is not None
    return saved, True
