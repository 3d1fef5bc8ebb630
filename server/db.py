"""SQLite storage (sqlite-utils, WAL mode): seats, seat tokens, customer sessions and the append-only session trail."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 3

_MIGRATIONS: dict[int, list[str]] = {
    1: [
        """
        CREATE TABLE seats (
            seat_id TEXT PRIMARY KEY,
            display_name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE seat_tokens (
            token_hash TEXT PRIMARY KEY,
            seat_id TEXT NOT NULL REFERENCES seats(seat_id),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT
        )
        """,
        "CREATE INDEX seat_tokens_seat ON seat_tokens(seat_id)",
        """
        CREATE TABLE sessions (
            session_id TEXT PRIMARY KEY,
            business_type TEXT NOT NULL,
            customer_name TEXT NOT NULL DEFAULT '',
            customer_token_hash TEXT NOT NULL,
            seat_id TEXT,
            status TEXT NOT NULL,
            queued_at TEXT NOT NULL,
            answered_at TEXT,
            ended_at TEXT,
            end_reason TEXT
        )
        """,
        "CREATE INDEX sessions_status ON sessions(status)",
        "CREATE INDEX sessions_queued_at ON sessions(queued_at)",
        """
        CREATE TABLE session_events (
            event_id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        )
        """,
        "CREATE INDEX session_events_session ON session_events(session_id, event_id)",
        # The trail is append-only: the database itself refuses edits and deletions.
        """
        CREATE TRIGGER session_events_no_update BEFORE UPDATE ON session_events
        BEGIN SELECT RAISE(ABORT, 'session_events is append-only'); END
        """,
        """
        CREATE TRIGGER session_events_no_delete BEFORE DELETE ON session_events
        BEGIN SELECT RAISE(ABORT, 'session_events is append-only'); END
        """,
    ],
    # Routing (排队机): seat roles and skills, customer star level and queue, seat state history, configuration.
    2: [
        "ALTER TABLE seats ADD COLUMN role TEXT NOT NULL DEFAULT 'teller'",
        """
        CREATE TABLE seat_skills (
            seat_id TEXT NOT NULL REFERENCES seats(seat_id),
            queue_id TEXT NOT NULL,
            proficiency INTEGER NOT NULL DEFAULT 1,
            role TEXT NOT NULL DEFAULT 'primary',
            PRIMARY KEY (seat_id, queue_id)
        )
        """,
        """
        CREATE TABLE seat_state_history (
            change_id INTEGER PRIMARY KEY AUTOINCREMENT,
            seat_id TEXT NOT NULL,
            at TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT,
            session_id TEXT
        )
        """,
        "CREATE INDEX seat_state_history_seat ON seat_state_history(seat_id, change_id)",
        "ALTER TABLE sessions ADD COLUMN star_level INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN routing_queue TEXT",
        "ALTER TABLE sessions ADD COLUMN front_of_queue INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN end_message TEXT",
        """
        CREATE TABLE routing_config (
            version INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            seat_id TEXT NOT NULL,
            toml TEXT NOT NULL
        )
        """,
    ],
    # Staged upgrades (灰度升级): the client version a seat reported at login, decided again at each reconnect.
    3: ["ALTER TABLE seat_tokens ADD COLUMN client_version TEXT"],
}

SEAT_ROLES = ("teller", "supervisor", "admin", "auditor")
"""Seat account roles: tellers serve customers; supervisors and admins may also edit routing and watch the wallboard;
auditors (稽核) may search, play and export every recording and read every trail, but take no calls."""

NO_CALL_ROLES = frozenset({"auditor"})
"""Roles that may never go ready (示闲), so are never offered a call."""


class SessionStatus:
    """Values of ``sessions.status``."""

    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"
    ENDED = "ended"


@dataclass(frozen=True)
class SeatRow:
    """A seat account as stored."""

    seat_id: str
    display_name: str
    password_hash: str
    enabled: bool
    role: str = "teller"


def iso(moment: datetime) -> str:
    """Serialise an aware datetime for storage."""
    return moment.isoformat()


def parse_iso(text: str | None) -> datetime | None:
    """Parse a stored timestamp."""
    return None if text is None else datetime.fromisoformat(text)


class Database:
    """The server's SQLite database.

    One connection, used from the event loop thread; a lock makes the occasional use from another thread (tests, the
    CLI) safe. Every write commits immediately so nothing is lost on a crash.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self.db = sqlite_utils.Database(self._conn)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._migrate()
        self.event_listeners: list[Callable[[int, str, str, str, dict[str, Any]], None]] = []
        """Called with ``(event_id, session_id, at (ISO), kind, detail)`` after each trail event is stored, under
        the database lock so listeners see events in trail order (the evidence ledger chains them)."""

    # --- lifecycle -------------------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._lock:
            current = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise RuntimeError(
                    f"database {self.path} has schema version {current}, newer than this server ({SCHEMA_VERSION})"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                with self.transaction():
                    for statement in _MIGRATIONS[version]:
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version={version}")
                logger.info("database %s migrated to schema version %d", self.path, version)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run statements atomically (BEGIN IMMEDIATE ... COMMIT)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def ping(self) -> bool:
        """True if the database answers a trivial query."""
        with self._lock:
            return bool(self._conn.execute("SELECT 1").fetchone()[0] == 1)

    # --- seats -----------------------------------------------------------------------------------------------------

    def upsert_seat(self, seat_id: str, display_name: str, password_hash: str, now: datetime) -> None:
        """Create a seat account or replace its name and password."""
        with self._lock:
            self._conn.execute(
                """
                INSERT INTO seats (seat_id, display_name, password_hash, enabled, created_at) VALUES (?, ?, ?, 1, ?)
                ON CONFLICT(seat_id) DO UPDATE SET display_name=excluded.display_name,
                    password_hash=excluded.password_hash
                """,
                (seat_id, display_name, password_hash, iso(now)),
            )

    def get_seat(self, seat_id: str) -> SeatRow | None:
        """A seat account, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT seat_id, display_name, password_hash, enabled, role FROM seats WHERE seat_id = ?", (seat_id,)
            ).fetchone()
        return None if row is None else SeatRow(row[0], row[1], row[2], bool(row[3]), row[4])

    def set_seat_role(self, seat_id: str, role: str) -> None:
        """Set a seat account's role (one of :data:`SEAT_ROLES`)."""
        if role not in SEAT_ROLES:
            raise ValueError(f"unknown seat role {role!r} (expected one of {', '.join(SEAT_ROLES)})")
        with self._lock:
            self._conn.execute("UPDATE seats SET role = ? WHERE seat_id = ?", (role, seat_id))

    def set_seat_skills(self, seat_id: str, skills: list[tuple[str, int, str]]) -> None:
        """Replace a seat's skills (技能组): ``(queue_id, proficiency, role)`` with role primary/backup/expert."""
        with self.transaction():
            self._conn.execute("DELETE FROM seat_skills WHERE seat_id = ?", (seat_id,))
            for queue_id, proficiency, role in skills:
                self._conn.execute(
                    "INSERT INTO seat_skills (seat_id, queue_id, proficiency, role) VALUES (?, ?, ?, ?)",
                    (seat_id, queue_id, int(proficiency), role),
                )

    def seat_skills(self, seat_id: str) -> list[tuple[str, int, str]]:
        """A seat's skills as ``(queue_id, proficiency, role)``, by queue id; empty if none are stored."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT queue_id, proficiency, role FROM seat_skills WHERE seat_id = ? ORDER BY queue_id", (seat_id,)
            ).fetchall()
        return [(str(q), int(p), str(r)) for q, p, r in rows]

    def append_seat_state(
        self, seat_id: str, at: datetime, state: str, reason: str | None, session_id: str | None
    ) -> None:
        """Keep one timestamped seat state change (示闲/示忙/振铃/通话/话后)."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO seat_state_history (seat_id, at, state, reason, session_id) VALUES (?, ?, ?, ?, ?)",
                (seat_id, iso(at), state, reason, session_id),
            )

    def seat_state_history(self, seat_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """A seat's most recent state changes, oldest first."""
        with self._lock:
            rows = list(
                self.db.query(
                    "SELECT * FROM (SELECT change_id, seat_id, at, state, reason, session_id FROM seat_state_history "
                    "WHERE seat_id = ? ORDER BY change_id DESC LIMIT ?) ORDER BY change_id",
                    [seat_id, limit],
                )
            )
        return rows

    def save_routing_config(self, toml_text: str, seat_id: str, at: datetime) -> int:
        """Keep a new routing configuration (every version stays); returns its version number."""
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO routing_config (at, seat_id, toml) VALUES (?, ?, ?)", (iso(at), seat_id, toml_text)
            )
        return int(cursor.lastrowid or 0)

    def latest_routing_config(self) -> dict[str, Any] | None:
        """The newest stored routing configuration ``{version, at, seat_id, toml}``, or None."""
        with self._lock:
            rows = list(self.db.query("SELECT * FROM routing_config ORDER BY version DESC LIMIT 1"))
        return rows[0] if rows else None

    def set_seat_password_hash(self, seat_id: str, password_hash: str) -> None:
        """Store a re-hashed password (argon2 parameters changed)."""
        with self._lock:
            self._conn.execute("UPDATE seats SET password_hash = ? WHERE seat_id = ?", (password_hash, seat_id))

    # --- seat tokens -----------------------------------------------------------------------------------------------

    def add_token(
        self,
        token_hash: str,
        seat_id: str,
        created_at: datetime,
        expires_at: datetime,
        client_version: str | None = None,
    ) -> None:
        """Store a new bearer token's hash (and the client version the seat reported when it got it)."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO seat_tokens (token_hash, seat_id, created_at, expires_at, client_version)"
                " VALUES (?, ?, ?, ?, ?)",
                (token_hash, seat_id, iso(created_at), iso(expires_at), client_version),
            )

    def token_client_version(self, token_hash: str) -> str | None:
        """The client version reported at the login that issued this token (None: unknown or not reported)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT client_version FROM seat_tokens WHERE token_hash = ?", (token_hash,)
            ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def seat_for_token(self, token_hash: str, now: datetime) -> str | None:
        """The seat a valid (known, unexpired, unrevoked) token belongs to, or None."""
        with self._lock:
            row = self._conn.execute(
                """
                SELECT t.seat_id, t.expires_at FROM seat_tokens t JOIN seats s ON s.seat_id = t.seat_id
                WHERE t.token_hash = ? AND t.revoked_at IS NULL AND s.enabled = 1
                """,
                (token_hash,),
            ).fetchone()
        if row is None:
            return None
        expires_at = datetime.fromisoformat(row[1])
        return str(row[0]) if expires_at > now else None

    def revoke_token(self, token_hash: str, now: datetime) -> bool:
        """Revoke a token; True if it was valid until now."""
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE seat_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                (iso(now), token_hash),
            )
        return cursor.rowcount > 0

    # --- sessions --------------------------------------------------------------------------------------------------

    def create_session(
        self,
        session_id: str,
        business_type: str,
        customer_name: str,
        customer_token_hash: str,
        queued_at: datetime,
    ) -> None:
        """Insert a new waiting session."""
        with self._lock:
            self._conn.execute(
                """
                INSERT INTO sessions (session_id, business_type, customer_name, customer_token_hash, status, queued_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                (session_id, business_type, customer_name, customer_token_hash, SessionStatus.WAITING, iso(queued_at)),
            )

    def update_session(self, session_id: str, **fields: Any) -> None:
        """Update columns of a session (datetimes are serialised)."""
        allowed = {
            "seat_id",
            "status",
            "answered_at",
            "ended_at",
            "end_reason",
            "star_level",
            "routing_queue",
            "front_of_queue",
            "end_message",
        }
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update session columns {sorted(unknown)}")
        values = {key: iso(value) if isinstance(value, datetime) else value for key, value in fields.items()}
        assignments = ", ".join(f"{key} = ?" for key in values)
        with self._lock:
            self._conn.execute(
                f"UPDATE sessions SET {assignments} WHERE session_id = ?", (*values.values(), session_id)
            )

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        """A session row as a dict, or None."""
        with self._lock:
            rows = list(self.db.query("SELECT * FROM sessions WHERE session_id = ?", [session_id]))
        return rows[0] if rows else None

    def list_sessions(
        self, limit: int, status: str | None = None, *, seat_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The most recently queued sessions first, optionally only those in ``status`` or handled by ``seat_id``."""
        where, params = [], []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if seat_id is not None:
            where.append("seat_id = ?")
            params.append(seat_id)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        with self._lock:
            return list(
                self.db.query(f"SELECT * FROM sessions {clause}ORDER BY queued_at DESC LIMIT ?", [*params, limit])
            )

    def sessions_with_status(self, *statuses: str) -> list[dict[str, Any]]:
        """Sessions in any of the given states, oldest queued first."""
        marks = ", ".join("?" for _ in statuses)
        with self._lock:
            return list(
                self.db.query(
                    f"SELECT * FROM sessions WHERE status IN ({marks}) ORDER BY queued_at, rowid", list(statuses)
                )
            )

    def recent_handle_times(self, limit: int) -> list[float]:
        """Seconds from answer to end of the most recently ended answered sessions, newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT answered_at, ended_at FROM sessions WHERE answered_at IS NOT NULL AND ended_at IS NOT NULL "
                "ORDER BY ended_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            max(0.0, (datetime.fromisoformat(ended) - datetime.fromisoformat(answered)).total_seconds())
            for answered, ended in rows
        ]

    # --- session trail ---------------------------------------------------------------------------------------------

    def append_event(self, session_id: str, at: datetime, kind: str, detail: dict[str, Any] | None = None) -> int:
        """Append one event to a session's trail; returns its id (events are ordered by id)."""
        text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO session_events (session_id, at, kind, detail) VALUES (?, ?, ?, ?)",
                (session_id, iso(at), kind, text),
            )
            event_id = int(cursor.lastrowid or 0)
            for listener in self.event_listeners:
                try:
                    listener(event_id, session_id, iso(at), kind, json.loads(text))
                except Exception:
                    logger.exception("session %s: trail listener failed for event %d", session_id, event_id)
        return event_id

    def events(self, session_id: str) -> list[dict[str, Any]]:
        """A session's trail in order, ``detail`` decoded."""
        with self._lock:
            rows = list(
                self.db.query(
                    "SELECT event_id, session_id, at, kind, detail FROM session_events WHERE session_id = ? "
                    "ORDER BY event_id",
                    [session_id],
                )
            )
        for row in rows:
            row["detail"] = json.loads(row["detail"])
        return rows
