"""双录 on the server: keys, recording store, evidence ledger and sealing wired to the app's database and calls.

One tamper-evident session trail: the database's append-only ``session_events`` table stays the queryable index
the call flow, the identity gates and the routers write to, and every row is also chained into the session's
evidence ledger (:meth:`RecordingServices.chain_session_event`, a :attr:`server.db.Database.event_listeners`
listener). The chain is the authority: :func:`server.evidence.verifier.verify_session` checks that the table and the
chain agree row for row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.evidence.chain import RECORDING_DELETED, TRAIL_EVENT_FIELD, EvidenceError, EvidenceLedger
from server.evidence.keys import ServerKeys
from server.evidence.sealing import EvidenceCoordinator
from server.recordings.playback import PLAYBACK_CACHE_BYTES, PlaybackService
from server.recordings.retention import RetentionPolicy
from server.recordings.store import RecordingStore

logger = logging.getLogger(__name__)

MAINTENANCE_INTERVAL_S = 300.0
"""How often overdue sessions are sealed and expired recordings purged."""

SEAL_GRACE_S = 24 * 3600.0
"""How long after a session ended the server waits for the rest of its recording before sealing without it."""


@dataclass
class RecordingServices:
    """What the recording and evidence parts of the server share (``app.state.recordings``).

    Attributes:
        data_dir: the server data directory.
        keys: Ed25519 seal key and X25519 recording key.
        ledger: the hash-chained evidence ledger (the session trail).
        store: the encrypted segment store.
        coordinator: links stored segments and seals finished sessions.
        database_path: the server database (``session_events``, ``sessions``), read for searches and checks.
        playback: layouts and byte ranges of recordings for 点播 (bounded memory).
        seal_grace_s: see :data:`SEAL_GRACE_S`.
        maintenance_interval_s: see :data:`MAINTENANCE_INTERVAL_S`.
    """

    data_dir: Path
    keys: ServerKeys
    ledger: EvidenceLedger
    store: RecordingStore
    coordinator: EvidenceCoordinator
    database_path: Path
    playback: PlaybackService
    seal_grace_s: float = SEAL_GRACE_S
    maintenance_interval_s: float = MAINTENANCE_INTERVAL_S
    _task: asyncio.Task[None] | None = field(default=None, repr=False)
    _stop: asyncio.Event | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        database_path: Path,
        session_business_type: Any = None,
        retention: RetentionPolicy | None = None,
        playback_cache_bytes: int = PLAYBACK_CACHE_BYTES,
    ) -> RecordingServices:
        """Loads (or creates) the keys and opens ledger and store under ``data_dir``.

        Args:
            data_dir: server data directory.
            database_path: the server database file.
            session_business_type: lookup of a session's business type (retention follows the server's record).
            retention: retention periods (default: :class:`RetentionPolicy` defaults).
            playback_cache_bytes: bound of the playback fragment cache.
        """
        keys = ServerKeys.load_or_create(data_dir)
        ledger = EvidenceLedger(data_dir, keys)
        coordinator = EvidenceCoordinator(ledger)
        store = RecordingStore(
            data_dir,
            retention=retention,
            on_segment_stored=coordinator.on_segment_stored,
            session_business_type=session_business_type,
        )
        coordinator.store = store
        playback = PlaybackService(keys.recording_key, playback_cache_bytes)
        return cls(Path(data_dir), keys, ledger, store, coordinator, Path(database_path), playback)

    # ---- the session trail ----

    def chain_session_event(self, event_id: int, session_id: str, at: str, kind: str, detail: dict[str, Any]) -> None:
        """``Database.event_listeners`` callback: chains one ``session_events`` row into the session's ledger.

        After the seal only ``access`` entries may follow, so an event that arrives later (a late notice) is chained
        as an ``access`` entry carrying the same fields: it still lands in the tamper-evident trail.
        """
        payload = {"event": kind, TRAIL_EVENT_FIELD: event_id, "at": at, "detail": detail}
        try:
            self.ledger.append(session_id, "event", payload)
        except EvidenceError:
            self.ledger.append(
                session_id,
                "access",
                {"actor": "server", "action": "late_event", "purpose": "", "result": "", **payload},
            )

    def session_ended(self, session_id: str, end_reason: str = "") -> None:
        """Call-flow hook: the session ended; seals now if its recording is already complete."""
        try:
            self.coordinator.session_ended(session_id, end_reason)
        except EvidenceError:
            logger.exception("session %s: could not record the end in the evidence chain", session_id)

    # ---- maintenance ----

    def unsealed_ended_sessions(self) -> list[str]:
        """Sessions whose chain records their end but has no seal yet."""
        rows = self.ledger.db.query(
            "select distinct session_id from evidence_entries where kind = 'event' "
            "and json_extract(payload, '$.event') = 'session_ended' "
            "and session_id not in (select session_id from evidence_entries where kind = 'seal')"
        )
        return [r["session_id"] for r in rows]

    def maintain(self) -> tuple[list[str], list[str]]:
        """Seals overdue sessions and purges expired recordings; returns ``(sealed, purged)``. Blocking."""
        sealed = self.coordinator.seal_overdue(self.unsealed_ended_sessions(), self.seal_grace_s)
        purged = self.store.purge_expired()
        for recording_id in purged:
            row = self.store.recording(recording_id)
            with contextlib.suppress(EvidenceError):
                self.ledger.log_access(row.session_id, "server", RECORDING_DELETED, "retention expired", recording_id)
        if sealed or purged:
            logger.info("recordings maintenance: sealed %s, purged %s", sealed, purged)
        return sealed, purged

    async def _maintenance_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.maintain)
            except Exception:
                logger.exception("recordings maintenance failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.maintenance_interval_s)

    def start_maintenance(self) -> None:
        """Starts the periodic seal/purge task on the running loop."""
        if self._task is None:
            self._stop = asyncio.Event()
            self._task = asyncio.create_task(self._maintenance_loop(self._stop), name="recordings-maintenance")

    async def aclose(self) -> None:
        """Stops the maintenance task (waits for a run in progress to finish)."""
        if self._task is not None and self._stop is not None:
            self._stop.set()
            await self._task
            self._task = None

    # ---- reading the server database ----

    def read_database(self) -> sqlite3.Connection:
        """A read-only connection to the server database (searches never take the call flow's lock)."""
        conn = sqlite3.connect(f"file:{self.database_path}?mode=ro", uri=True, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=5000")
        return conn


def start_recordings(app: Any, settings: Any, db: Any, calls: Any) -> RecordingServices:
    """Builds the recording services in the app's lifespan and connects them to the database and the call flow.

    Args:
        app: the FastAPI app (``app.state.recordings`` is set).
        settings: server settings (``data_dir``, ``database_path``).
        db: the server :class:`server.db.Database`.
        calls: the :class:`server.calls.CallCoordinator` (its ``session_end_hooks`` get the seal hook).
    """

    def business_type(session_id: str) -> str | None:
        row = db.get_session(session_id)
        return None if row is None else str(row["business_type"])

    cache_mb = getattr(settings, "recording_playback_cache_mb", None)  # optional setting; default otherwise
    services = RecordingServices.open(
        settings.data_dir,
        settings.database_path,
        business_type,
        playback_cache_bytes=PLAYBACK_CACHE_BYTES if cache_mb is None else int(cache_mb) * 1024 * 1024,
    )
    db.event_listeners.append(services.chain_session_event)

    def ended(session_id: str) -> None:
        row = db.get_session(session_id) or {}
        services.session_ended(session_id, str(row.get("end_reason") or ""))

    calls.session_end_hooks.append(ended)
    services.start_maintenance()
    app.state.recordings = services
    app.state.evidence = services.ledger  # one ledger instance per data dir (routers filing snapshots use it)
    return services


async def stop_recordings(app: Any) -> None:
    """Stops what :func:`start_recordings` started."""
    services: RecordingServices | None = getattr(app.state, "recordings", None)
    if services is not None:
        await services.aclose()
        app.state.recordings = None
        app.state.evidence = None
