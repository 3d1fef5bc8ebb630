"""Gate state that survives a server restart (关卡状态持久化): one row per session in the server's SQLite database.

Every change of a session's :class:`~server.identity.gates.GateMachine` is written here before anyone is told about
it, so a restarted server resumes each queued customer's gates where they were: passed gates stay passed, attempts
used stay used, a failed session stays failed. The row keeps a masked, readable summary (current gate, snapshot) for
operators and the full state (names, ID and phone numbers, private questions with their answers) encrypted with the
server's identity data key (AES-256-GCM, bound to the session id).

The table belongs to this module (``CREATE TABLE IF NOT EXISTS`` at start-up), not to ``server.db``'s migrations.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.db import Database, SessionStatus, iso
from server.identity.gates import GateMachine
from server.verification.crypto import CipherError, DataCipher

logger = logging.getLogger(__name__)

TABLE = "identity_gates"

_COLUMNS = {
    "session_id": str,
    "business_type": str,
    "precheck_id_hash": str,
    "created_at": str,
    "updated_at": str,
    "revision": int,
    "current_gate": str,
    "terminated": int,
    "all_passed": int,
    "ticket_bound_at": str,
    "ended_at": str,
    "extra": str,
    "snapshot": str,
    "sealed": bytes,
}


def hash_precheck_id(precheck_id: str) -> str:
    """What is stored for a pre-check id (a bearer secret held by the customer's page)."""
    return hashlib.sha256(("videoteller-precheck:" + precheck_id).encode()).hexdigest()


def _associated(session_id: str) -> bytes:
    return f"videoteller:identity-gates:{session_id}".encode()


@dataclass(frozen=True)
class StoredGates:
    """One session's stored gate state.

    Attributes:
        session_id: the session.
        business_type: its business.
        state: :meth:`GateMachine.to_state` as stored (decrypted).
        created_at: when the pre-check began.
        ticket_bound_at: when its ticket was taken (None while it is a pre-check only).
        ended_at: when its session ended (None while it may go on).
        extra: service data kept with the gates (e.g. businesses done).
        revision: number of writes so far.
    """

    session_id: str
    business_type: str
    state: dict[str, Any]
    created_at: datetime
    ticket_bound_at: datetime | None
    ended_at: datetime | None
    extra: dict[str, Any]
    revision: int


class GateStore:
    """Reads and writes gate state rows.

    Args:
        db: the server database (its connection and lock are used; writes commit at once, WAL).
        cipher: the identity data key.
    """

    def __init__(self, db: Database, cipher: DataCipher) -> None:
        self.db = db
        self.cipher = cipher
        with db.transaction():
            db.db.create_table(TABLE, _COLUMNS, pk="session_id", not_null={"session_id"}, if_not_exists=True)
            db.db.execute(
                f"CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_precheck ON {TABLE}(precheck_id_hash) "
                "WHERE precheck_id_hash IS NOT NULL"
            )

    def save(
        self,
        machine: GateMachine,
        now: datetime,
        *,
        precheck_id: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Write a machine's whole state (insert or replace), with the pre-check id it belongs to (first write)."""
        sid = machine.session_id
        snapshot = machine.snapshot()
        sealed = self.cipher.encrypt(
            json.dumps(machine.to_state(), ensure_ascii=False, sort_keys=True).encode(), _associated(sid)
        )
        values = {
            "business_type": machine.business_type,
            "updated_at": iso(now),
            "current_gate": snapshot["current_gate"],
            "terminated": int(machine.terminated),
            "all_passed": int(machine.all_passed),
            "snapshot": json.dumps(snapshot, ensure_ascii=False, sort_keys=True),
            "sealed": sealed,
        }
        with self.db.transaction():
            row = self.db.db.execute(f"SELECT revision FROM {TABLE} WHERE session_id = ?", [sid]).fetchone()
            if row is None:
                self.db.db.execute(
                    f"INSERT INTO {TABLE} (session_id, precheck_id_hash, created_at, revision, extra, "
                    + ", ".join(values)
                    + ") VALUES (?, ?, ?, 1, ?, "
                    + ", ".join("?" for _ in values)
                    + ")",
                    [
                        sid,
                        hash_precheck_id(precheck_id) if precheck_id else None,
                        iso(machine.created_at),
                        json.dumps(extra or {}, ensure_ascii=False),
                        *values.values(),
                    ],
                )
            else:
                if extra is not None:
                    values["extra"] = json.dumps(extra, ensure_ascii=False)
                self.db.db.execute(
                    f"UPDATE {TABLE} SET revision = revision + 1, "
                    + ", ".join(f"{k} = ?" for k in values)
                    + " WHERE session_id = ?",
                    [*values.values(), sid],
                )

    def mark(self, session_id: str, now: datetime, *, ticket_bound: bool = False, ended: bool = False) -> None:
        """Record that the pre-check became a ticket, or that the session ended (the row stays)."""
        column = "ticket_bound_at" if ticket_bound else "ended_at" if ended else None
        if column is None:
            return
        with self.db.transaction():
            self.db.db.execute(
                f"UPDATE {TABLE} SET {column} = COALESCE({column}, ?) WHERE session_id = ?", [iso(now), session_id]
            )

    def close_ended_sessions(self, now: datetime) -> int:
        """Mark the rows of sessions that ended while no identity service was watching (e.g. calls a restart cut
        off) as ended, with the session's own end time (``now`` if it has none); returns how many."""
        with self.db.transaction():
            cursor = self.db.db.execute(
                f"UPDATE {TABLE} SET ended_at = (SELECT COALESCE(s.ended_at, ?) FROM sessions s "
                f"WHERE s.session_id = {TABLE}.session_id) WHERE ended_at IS NULL AND session_id IN "
                "(SELECT session_id FROM sessions WHERE status = ?)",
                [iso(now), SessionStatus.ENDED],
            )
        return int(cursor.rowcount or 0)

    def purge_unused_prechecks(self, created_before: datetime) -> int:
        """Delete pre-checks older than ``created_before`` that never became a ticket (their trail stays, masked);
        returns how many. A row whose session exists is kept whatever its age."""
        with self.db.transaction():
            cursor = self.db.db.execute(
                f"DELETE FROM {TABLE} WHERE ticket_bound_at IS NULL AND created_at < ? "
                "AND session_id NOT IN (SELECT session_id FROM sessions)",
                [iso(created_before)],
            )
        return int(cursor.rowcount or 0)

    def _row(self, where: str, value: str) -> StoredGates | None:
        with self.db.transaction():
            cursor = self.db.db.execute(
                "SELECT session_id, business_type, created_at, ticket_bound_at, ended_at, extra, revision, sealed "
                f"FROM {TABLE} WHERE {where} = ?",
                [value],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        sid, business, created, bound, ended, extra, revision, sealed = row
        try:
            state = json.loads(self.cipher.decrypt(bytes(sealed), _associated(sid)))
        except (CipherError, ValueError) as exc:
            logger.error("session %s: stored gate state cannot be read (%s)", sid, exc)
            raise
        return StoredGates(
            session_id=sid,
            business_type=business,
            state=state,
            created_at=datetime.fromisoformat(created),
            ticket_bound_at=datetime.fromisoformat(bound) if bound else None,
            ended_at=datetime.fromisoformat(ended) if ended else None,
            extra=json.loads(extra or "{}"),
            revision=int(revision),
        )

    def load(self, session_id: str) -> StoredGates | None:
        """A session's stored gates, or None.

        Raises:
            CipherError: the stored state was altered or made with another key.
        """
        return self._row("session_id", session_id)

    def find_precheck(self, precheck_id: str) -> StoredGates | None:
        """The stored gates of a pre-check by its id, or None.

        Raises:
            CipherError: the stored state was altered or made with another key.
        """
        return self._row("precheck_id_hash", hash_precheck_id(precheck_id))
