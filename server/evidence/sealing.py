"""Decides when a session's evidence chain is sealed: after the session ended and its recording is complete."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from server.evidence.chain import EvidenceError, EvidenceLedger
from server.recordings.store import RecordingStore, StoredSegment

logger = logging.getLogger(__name__)

SESSION_ENDED = "session_ended"


class EvidenceCoordinator:
    """Links stored segments into the chain and seals each session at the right moment.

    Segments keep arriving after the call ended (the seat uploads in the background, possibly after a restart),
    so the chain is sealed when the session has ended AND every recording of it is complete (its final segment and
    all before it are stored). Sessions whose recording never completes are sealed by :meth:`seal_overdue` with a
    ``recording_incomplete`` event listing what is missing.

    Args:
        ledger: the evidence ledger.
        store: the recording store (construct it with ``on_segment_stored=coordinator.on_segment_stored``).
        clock: epoch seconds.
    """

    def __init__(
        self, ledger: EvidenceLedger, store: RecordingStore | None = None, clock: Callable[[], float] = time.time
    ):
        self.ledger = ledger
        self.store = store
        self.clock = clock

    def on_segment_stored(self, segment: StoredSegment) -> None:
        """Store callback: links the segment, then seals if this completed an ended session."""
        try:
            self.ledger.on_segment_stored(segment)
        except EvidenceError:
            # Sealed already (seal_overdue gave up waiting): the segment is stored but outside the sealed chain.
            # Recorded as an access-kind note so the trail still shows it arrived.
            self.ledger.log_access(
                segment.session_id,
                "recording-store",
                "late_segment",
                f"{segment.recording_id}#{segment.segment_index} sha256={segment.sha256}",
                "stored after seal",
            )
            logger.error(
                "session %s: segment %s#%d arrived after the seal",
                segment.session_id,
                segment.recording_id,
                segment.segment_index,
            )
            return
        self.maybe_seal(segment.session_id)

    def session_ended(self, session_id: str, reason: str = "") -> bool:
        """Records the end of the call in the chain; returns True if the chain got sealed now."""
        self.ledger.add_event(session_id, SESSION_ENDED, {"reason": reason})
        return self.maybe_seal(session_id)

    def _ended(self, session_id: str) -> float | None:
        for entry in self.ledger.entries(session_id):
            if entry.kind == "event" and entry.payload.get("event") == SESSION_ENDED:
                return entry.at
        return None

    def _sealed(self, session_id: str) -> bool:
        return any(e.kind == "seal" for e in self.ledger.entries(session_id))

    def maybe_seal(self, session_id: str) -> bool:
        """Seals when the session ended and at least one recording exists and all its recordings are complete."""
        if self._sealed(session_id) or self._ended(session_id) is None or self.store is None:
            return False
        recordings = self.store.recordings_for_session(session_id)
        if not recordings or not all(self.store.recording_complete(r) for r in recordings):
            return False
        self.ledger.seal(session_id)
        logger.info("session %s: evidence sealed (%d recordings complete)", session_id, len(recordings))
        return True

    def seal_overdue(self, session_ids: list[str], grace_s: float = 24 * 3600) -> list[str]:
        """Seals sessions that ended more than ``grace_s`` ago even though recordings are incomplete.

        Args:
            session_ids: candidate sessions (e.g. ended sessions from the server's database).
            grace_s: how long to wait for late uploads.

        Returns:
            The sessions sealed by this call.
        """
        sealed = []
        now = self.clock()
        for session_id in session_ids:
            ended = self._ended(session_id)
            if ended is None or self._sealed(session_id) or now - ended < grace_s:
                continue
            if self.maybe_seal(session_id):
                sealed.append(session_id)
                continue
            missing: dict[str, object] = {}
            recordings = self.store.recordings_for_session(session_id) if self.store is not None else []
            for rec in recordings:
                assert self.store is not None
                gaps = self.store.missing_segments(rec)
                if gaps != []:
                    missing[rec] = "final segment never arrived" if gaps is None else gaps
            self.ledger.add_event(
                session_id, "recording_incomplete", {"missing": missing, "no_recording": not recordings}
            )
            self.ledger.seal(session_id)
            logger.warning("session %s: evidence sealed with incomplete recording %s", session_id, missing)
            sealed.append(session_id)
        return sealed
