"""The gate state table: written on every change, read back after a restart, personal data only encrypted."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.bank.adapters import NetworkCheckResult, NetworkCheckVerdict
from server.db import Database
from server.identity.gates import Gate, GateMachine, GateStatus, PrecheckEvidence
from server.verification.crypto import CipherError, DataCipher
from server.verification.gate_store import TABLE, GateStore, hash_precheck_id
from tests.server.identity.test_gates_property import ACCOUNT, CARD, CUSTOMER, PHOTO

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
SID = "sess-store-0001"


def open_store(data_dir: Path) -> tuple[Database, GateStore]:
    db = Database(data_dir / "videoteller.db")
    return db, GateStore(db, DataCipher.load_or_create(data_dir / "keys"))


def watched_machine(store: GateStore, sid: str = SID, precheck_id: str = "precheck-secret") -> GateMachine:
    m = GateMachine(sid, "password_reset", now=T0)
    m.on_change = lambda machine: store.save(machine, T0 + timedelta(minutes=1), precheck_id=precheck_id)
    return m


def test_every_change_is_stored_and_read_back_after_reopening(tmp_path: Path) -> None:
    db, store = open_store(tmp_path)
    m = watched_machine(store)
    assert store.load(SID) is None
    m.submit_precheck(PrecheckEvidence(CARD, CUSTOMER.phone, ACCOUNT.account_no, CUSTOMER, ACCOUNT), now=T0)
    m.start_network_check(now=T0)
    assert store.load(SID).state["gates"][1]["status"] == "running"  # type: ignore[union-attr]
    m.record_network_check(NetworkCheckResult(NetworkCheckVerdict.MATCH, PHOTO), now=T0)
    db.close()

    db, store = open_store(tmp_path)  # a restart: a new connection, the same files
    stored = store.load(SID)
    assert stored is not None and stored.revision == 3 and stored.ticket_bound_at is None
    restored = GateMachine.from_state(stored.state, network_photo=PHOTO)
    assert restored.snapshot() == m.snapshot() and restored.current_gate is Gate.FACE
    assert store.find_precheck("precheck-secret") == stored
    assert store.find_precheck("another") is None
    store.mark(SID, T0 + timedelta(minutes=2), ticket_bound=True)
    store.mark(SID, T0 + timedelta(minutes=3), ticket_bound=True)  # the first time stays
    store.mark(SID, T0 + timedelta(minutes=9), ended=True)
    again = store.load(SID)
    assert again is not None and again.ticket_bound_at == T0 + timedelta(minutes=2)
    assert again.ended_at == T0 + timedelta(minutes=9)
    db.close()


def test_personal_data_is_only_in_the_encrypted_column(tmp_path: Path) -> None:
    db, store = open_store(tmp_path)
    m = watched_machine(store)
    m.submit_precheck(PrecheckEvidence(CARD, CUSTOMER.phone, ACCOUNT.account_no, CUSTOMER, ACCOUNT), now=T0)
    with sqlite3.connect(tmp_path / "videoteller.db") as raw:
        row = raw.execute(
            f"SELECT precheck_id_hash, current_gate, terminated, snapshot, sealed FROM {TABLE} WHERE session_id = ?",
            (SID,),
        ).fetchone()
    precheck_hash, current, terminated, snapshot, sealed = row
    assert (current, terminated) == ("network_check", 0)
    assert json.loads(snapshot)["gates"][0]["status"] == "passed"  # readable for operators
    assert precheck_hash == hash_precheck_id("precheck-secret") and "precheck-secret" not in precheck_hash
    files = b"".join(p.read_bytes() for p in tmp_path.glob("videoteller.db*"))
    for secret in (CARD.id_number, CARD.name, CUSTOMER.phone, ACCOUNT.account_no):
        assert secret.encode() not in files and secret not in snapshot
    assert DataCipher.is_encrypted(bytes(sealed))
    db.close()


def test_a_sealed_state_copied_to_another_session_or_read_with_another_key_fails(tmp_path: Path) -> None:
    db, store = open_store(tmp_path)
    watched_machine(store).submit_precheck(
        PrecheckEvidence(CARD, CUSTOMER.phone, ACCOUNT.account_no, CUSTOMER, ACCOUNT), now=T0
    )
    other = watched_machine(store, "sess-store-0002", "p2")
    other.submit_precheck(PrecheckEvidence(CARD, CUSTOMER.phone, ACCOUNT.account_no, None, ACCOUNT), now=T0)
    assert store.load("sess-store-0002").state["gates"][0]["status"] == "pending"  # type: ignore[union-attr]
    with db.transaction():
        db.db.execute(
            f"UPDATE {TABLE} SET sealed = (SELECT sealed FROM {TABLE} WHERE session_id = ?) WHERE session_id = ?",
            [SID, "sess-store-0002"],
        )
    with pytest.raises(CipherError):
        store.load("sess-store-0002")  # a passed state cannot be planted on a failed session
    with pytest.raises(CipherError):
        GateStore(db, DataCipher(b"k" * 32)).load(SID)
    db.close()


def test_unused_prechecks_are_purged_but_not_sessions(tmp_path: Path) -> None:
    db, store = open_store(tmp_path)
    evidence = PrecheckEvidence(CARD, CUSTOMER.phone, ACCOUNT.account_no, CUSTOMER, ACCOUNT)
    for n in range(1, 4):
        watched_machine(store, f"sess-store-000{n}", f"p{n}").submit_precheck(evidence, now=T0)
    store.mark("sess-store-0002", T0, ticket_bound=True)
    db.create_session("sess-store-0003", "password_reset", "李*华", "h", T0)  # queued, the binding not yet stored
    assert store.purge_unused_prechecks(T0) == 0  # nothing older than that
    assert store.purge_unused_prechecks(T0 + timedelta(hours=1)) == 1
    assert store.load("sess-store-0001") is None
    assert store.load("sess-store-0002") is not None and store.load("sess-store-0003") is not None
    assert store.load("sess-store-0003").state["gates"][0]["status"] == str(GateStatus.PASSED)  # type: ignore[union-attr]
    db.close()


def test_sessions_that_ended_unwatched_are_closed_at_start(tmp_path: Path) -> None:
    db, store = open_store(tmp_path)
    evidence = PrecheckEvidence(CARD, CUSTOMER.phone, ACCOUNT.account_no, CUSTOMER, ACCOUNT)
    for n in (1, 2):
        watched_machine(store, f"sess-store-000{n}", f"p{n}").submit_precheck(evidence, now=T0)
        db.create_session(f"sess-store-000{n}", "password_reset", "李*华", "h", T0)
    ended = T0 + timedelta(minutes=5)
    db.update_session("sess-store-0001", status="ended", ended_at=ended, end_reason="server_restart")
    assert store.close_ended_sessions(T0 + timedelta(hours=1)) == 1
    assert store.load("sess-store-0001").ended_at == ended  # type: ignore[union-attr]
    assert store.load("sess-store-0002").ended_at is None  # type: ignore[union-attr]  # still queued
    assert store.close_ended_sessions(T0 + timedelta(hours=2)) == 0
    db.close()
