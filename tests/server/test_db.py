"""SQLite store: WAL, migrations, hashed secrets only, and an append-only ordered session trail."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.db import SCHEMA_VERSION, Database

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def test_schema_created_in_wal_mode_and_reopened(tmp_path: Path) -> None:
    db = Database(tmp_path / "vt.db")
    assert db.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert set(db.db.table_names()) >= {"seats", "seat_tokens", "sessions", "session_events"}
    db.create_session("session-0001", "password_reset", "", "h" * 64, NOW)
    db.close()
    again = Database(tmp_path / "vt.db")  # migrating twice is a no-op and keeps the data
    assert again.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert again.get_session("session-0001") is not None
    again.close()


def test_newer_schema_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "vt.db")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this server"):
        Database(tmp_path / "vt.db")


def test_session_trail_is_append_only_and_ordered(tmp_path: Path) -> None:
    db = Database(tmp_path / "vt.db")
    db.create_session("session-0001", "password_reset", "", "h" * 64, NOW)
    for kind in ("queued", "offered", "answered", "ended"):
        db.append_event("session-0001", NOW, kind, {"note": "备注"})
    events = db.events("session-0001")
    assert [e["kind"] for e in events] == ["queued", "offered", "answered", "ended"]
    assert events[0]["detail"] == {"note": "备注"}
    assert [e["event_id"] for e in events] == sorted(e["event_id"] for e in events)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.db.execute("UPDATE session_events SET kind = 'nothing'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.db.execute("DELETE FROM session_events")
    assert len(db.events("session-0001")) == 4
    db.close()


def test_session_updates_are_limited_to_known_columns(tmp_path: Path) -> None:
    db = Database(tmp_path / "vt.db")
    db.create_session("session-0001", "password_reset", "", "h" * 64, NOW)
    db.update_session("session-0001", status="ended", ended_at=NOW, end_reason="customer_hangup")
    row = db.get_session("session-0001")
    assert row is not None and row["ended_at"] == NOW.isoformat()
    with pytest.raises(ValueError, match="customer_token_hash"):
        db.update_session("session-0001", customer_token_hash="x")
    db.close()
