"""Evidence chain: sealing, verification, export of a real recording, tamper and wrong-key detection."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from seat_client.recording.clock import FakeClock
from seat_client.recording.recorder import CallRecorder, RecorderConfig
from seat_client.recording.spool import SegmentSpool
from server.evidence.chain import EvidenceError, EvidenceLedger, verify_chain
from server.evidence.keys import ServerKeys
from server.evidence.sealing import EvidenceCoordinator
from server.evidence.verifier import verify_session
from server.recordings.store import RecordingStore
from tests.seat_client.recording.helpers import SyntheticCall
from wire.recording_format import decrypt_segment

ROOT = Path(__file__).resolve().parents[3]
SESSION = "S20261121EVID"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@dataclass
class Recorded:
    keys_dir: Path
    spool_files: list[Path]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """A real 5-second synthetic call recorded for the server's key (3 encrypted segments)."""
    base = tmp_path_factory.mktemp("recorded")
    keys = ServerKeys.load_or_create(base / "data")
    clock = FakeClock()
    cfg = RecorderConfig(
        session_id=SESSION, seat_id="seat-1", business_type="password_reset", width=320, height=180, segment_seconds=2.0
    )
    rec = CallRecorder(cfg, keys.recording_key.public_key(), SegmentSpool(base / "spool"), clock=clock)
    rec.start(threaded=False)
    SyntheticCall(rec, clock, customer_size=(320, 240), teller_size=(160, 120)).run(5.0, step=1 / 30)
    segments = rec.stop()
    return Recorded(base / "data" / "keys", [s.path for s in segments])


def build_session(recorded: Recorded, data_dir: Path, upload_order: list[int] | None = None) -> EvidenceLedger:
    """Server side of a session: segments uploaded into the store, gates, snapshot, events, sealed."""
    shutil.copytree(recorded.keys_dir, data_dir / "keys")
    keys = ServerKeys.load(data_dir)
    ledger = EvidenceLedger(data_dir, keys)
    store = RecordingStore(data_dir, on_segment_stored=ledger.on_segment_stored)
    ledger.add_event(SESSION, "call_answered", {"seat_id": "seat-1"})
    ledger.add_gate_result(SESSION, "network_check", {"passed": True, "attempt": 1, "id_masked": "110***********1234"})
    ledger.add_blob(SESSION, "snapshot", "face_check", PNG, "image/png", {"gate": "face_compare"})
    for i in upload_order or range(len(recorded.spool_files)):
        data = recorded.spool_files[i].read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        state = store.create_upload("seat-1", recorded.spool_files[i].name.split("_")[0], SESSION, i, len(data), digest)
        store.append_chunk(state.upload_id, "seat-1", 0, data, hashlib.sha256(data).digest())
        store.complete_upload(state.upload_id, "seat-1")
    ledger.add_blob(SESSION, "signature", "customer_signature", PNG, "image/png")
    ledger.add_event(SESSION, "call_ended", {"reason": "completed"})
    ledger.seal(SESSION)
    return ledger


def test_sealed_session_verifies_and_exports_playable_evidence(recorded: Recorded, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ledger = build_session(recorded, data_dir, upload_order=[2, 0, 1])  # uploads finish out of order
    entries = ledger.entries(SESSION)
    assert [e.kind for e in entries].count("segment") == 3
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))

    report = verify_session(data_dir, SESSION, export_dir=tmp_path / "export", actor="auditor-7", purpose="争议 D-42")
    assert report.ok, report.problems
    assert report.segments_checked == 3 and report.blobs_checked == 2 and report.sealed
    out = tmp_path / "export"
    assert sorted(p.name for p in out.iterdir()) == ["evidence.mp4", "manifest.json", "report.json", "snapshots"]
    assert len(list((out / "snapshots").iterdir())) == 2
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    seal_key = ServerKeys.load(data_dir).seal_key.public_key()
    assert verify_chain(manifest, seal_key) == []

    with av.open(str(out / "evidence.mp4"), mode="r") as c:
        pts = [int(f.pts or 0) for f in c.decode(c.streams.video[0])]
        vstream = c.streams.video[0]
        assert vstream.duration is not None and vstream.time_base is not None
        duration = float(vstream.duration * vstream.time_base)
    with av.open(str(out / "evidence.mp4"), mode="r") as c:
        samples = sum(f.samples for f in c.decode(c.streams.audio[0]))
    assert len(pts) == 150
    assert pts == sorted(set(pts))
    assert duration == pytest.approx(5.0, rel=0.01)
    assert samples / 48000 == pytest.approx(5.0, rel=0.02)

    # The access is in the trail, after the seal.
    last = ledger.entries(SESSION)[-1]
    assert last.kind == "access"
    assert last.payload["actor"] == "auditor-7" and last.payload["action"] == "export"
    assert last.payload["purpose"] == "争议 D-42"


def test_modified_segment_is_detected(recorded: Recorded, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ledger = build_session(recorded, data_dir)
    seg = next(e for e in ledger.entries(SESSION) if e.kind == "segment")
    path = data_dir / seg.payload["path"]
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    path.write_bytes(bytes(raw))
    report = verify_session(data_dir, SESSION, export_dir=tmp_path / "export")
    assert not report.ok
    assert any("哈希不符" in p for p in report.problems)
    assert not (tmp_path / "export" / "evidence.mp4").exists()
    assert ledger.entries(SESSION)[-1].payload["result"].startswith("failed")


def test_modified_or_deleted_manifest_entry_is_detected(recorded: Recorded, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    build_session(recorded, data_dir)
    with sqlite3.connect(data_dir / "evidence.db") as db:
        row = db.execute("select payload from evidence_entries where session_id=? and seq=1", [SESSION]).fetchone()
        payload = json.loads(row[0])
        payload["result"]["passed"] = False
        db.execute("update evidence_entries set payload=? where session_id=? and seq=1", [json.dumps(payload), SESSION])
    report = verify_session(data_dir, SESSION)
    assert not report.ok and any("篡改" in p for p in report.problems)

    data_dir2 = tmp_path / "data2"
    build_session(recorded, data_dir2)
    with sqlite3.connect(data_dir2 / "evidence.db") as db:
        db.execute("delete from evidence_entries where session_id=? and kind='segment' and seq=4", [SESSION])
    report = verify_session(data_dir2, SESSION)
    assert not report.ok and any("序号" in p or "前序" in p for p in report.problems)


def test_forged_seal_is_detected(recorded: Recorded, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ledger = build_session(recorded, data_dir)
    manifest = ledger.manifest(SESSION)
    assert verify_chain(manifest, Ed25519PrivateKey.generate().public_key()) != []


def test_wrong_server_key_cannot_decrypt(recorded: Recorded, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    build_session(recorded, data_dir)
    real = ServerKeys.load(data_dir)
    wrong = ServerKeys(real.seal_key, X25519PrivateKey.generate())
    report = verify_session(data_dir, SESSION, export_dir=tmp_path / "export", keys=wrong)
    assert not report.ok
    assert any("密钥错误" in p for p in report.problems)
    assert not (tmp_path / "export" / "evidence.mp4").exists()


def test_sealed_chain_refuses_new_evidence(recorded: Recorded, tmp_path: Path) -> None:
    ledger = build_session(recorded, tmp_path / "data")
    with pytest.raises(EvidenceError, match="封存"):
        ledger.add_event(SESSION, "late_event")
    assert ledger.seal(SESSION).kind == "seal"  # idempotent


def test_unsealed_chain_does_not_verify(tmp_path: Path) -> None:
    ledger = EvidenceLedger(tmp_path, ServerKeys.load_or_create(tmp_path))
    ledger.add_event("S1", "call_answered")
    report = verify_session(tmp_path, "S1")
    assert not report.ok and any("未封存" in p for p in report.problems)


def test_cli_and_script_exit_codes(recorded: Recorded, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ledger = build_session(recorded, data_dir)
    ok = subprocess.run(
        [sys.executable, "-m", "server.evidence", "verify", SESSION, "--data-dir", str(data_dir), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["ok"] is True
    seg = next(e for e in ledger.entries(SESSION) if e.kind == "segment")
    (data_dir / seg.payload["path"]).write_bytes(b"VTRS" + b"\0" * 100)
    bad = subprocess.run(
        [str(ROOT / "scripts" / "verify-evidence"), SESSION, "--data-dir", str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert "未通过" in bad.stdout and "哈希不符" in bad.stdout


def test_exported_file_reads_as_mp4(recorded: Recorded, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    build_session(recorded, data_dir)
    report = verify_session(data_dir, SESSION, export_dir=tmp_path / "x")
    assert report.ok
    head = (tmp_path / "x" / "evidence.mp4").read_bytes()[:12]
    assert head[4:8] == b"ftyp"
    with av.open(io.BytesIO((tmp_path / "x" / "evidence.mp4").read_bytes())) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert c.streams.audio[0].codec_context.name == "aac"


def _upload(store: RecordingStore, path: Path, index: int) -> None:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    state = store.create_upload("seat-1", path.name.split("_")[0], SESSION, index, len(data), digest)
    store.append_chunk(state.upload_id, "seat-1", 0, data, hashlib.sha256(data).digest())
    store.complete_upload(state.upload_id, "seat-1")


def test_chain_is_sealed_once_the_ended_session_has_its_whole_recording(recorded: Recorded, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(recorded.keys_dir, data_dir / "keys")
    ledger = EvidenceLedger(data_dir, ServerKeys.load(data_dir))
    coordinator = EvidenceCoordinator(ledger)
    store = RecordingStore(data_dir, on_segment_stored=coordinator.on_segment_stored)
    coordinator.store = store
    _upload(store, recorded.spool_files[0], 0)
    _upload(store, recorded.spool_files[2], 2)  # the final segment arrives before segment 1
    assert coordinator.session_ended(SESSION, "completed") is False
    assert ledger.entries(SESSION)[-1].kind == "event"
    _upload(store, recorded.spool_files[1], 1)  # the late upload completes the recording: sealed now
    assert ledger.entries(SESSION)[-1].kind == "seal"
    assert verify_session(data_dir, SESSION).ok


def test_overdue_session_is_sealed_with_what_is_missing(recorded: Recorded, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(recorded.keys_dir, data_dir / "keys")
    now = [1_800_000_000.0]
    ledger = EvidenceLedger(data_dir, ServerKeys.load(data_dir), clock=lambda: now[0])
    coordinator = EvidenceCoordinator(ledger, clock=lambda: now[0])
    store = RecordingStore(data_dir, on_segment_stored=coordinator.on_segment_stored)
    coordinator.store = store
    _upload(store, recorded.spool_files[0], 0)
    _upload(store, recorded.spool_files[2], 2)
    coordinator.session_ended(SESSION)
    assert coordinator.seal_overdue([SESSION], grace_s=3600) == []
    now[0] += 7200
    assert coordinator.seal_overdue([SESSION], grace_s=3600) == [SESSION]
    kinds = [e.kind for e in ledger.entries(SESSION)]
    assert kinds[-2:] == ["event", "seal"]
    assert ledger.entries(SESSION)[-2].payload["detail"]["missing"] == {recorded.spool_files[0].name.split("_")[0]: [1]}
    report = verify_session(data_dir, SESSION)
    assert not report.ok and any("不连续" in p for p in report.problems)


def _decode_video(data: bytes) -> tuple[list[float], list[np.ndarray]]:
    times, frames = [], []
    with av.open(io.BytesIO(data), mode="r") as c:
        for f in c.decode(c.streams.video[0]):
            assert f.pts is not None and f.time_base is not None
            times.append(float(f.pts * f.time_base))
            frames.append(f.to_ndarray(format="gray"))
    return times, frames


def test_degraded_recording_exports_as_one_continuous_mp4(tmp_path: Path) -> None:
    """Segments encoded at 30, 15 and 30 fps (the recorder degraded under load, then recovered) export as one MP4
    whose pictures are the segments' own, bit for bit, at the recorder's times, with the whole audio timeline."""
    data_dir = tmp_path / "data"
    keys = ServerKeys.load_or_create(data_dir)
    clock = FakeClock()
    cfg = RecorderConfig(session_id=SESSION, seat_id="seat-1", width=320, height=180, segment_seconds=2.0)
    rec = CallRecorder(cfg, keys.recording_key.public_key(), SegmentSpool(tmp_path / "spool"), clock=clock)
    rec.start(threaded=False)
    call = SyntheticCall(rec, clock, customer_size=(320, 240), teller_size=(160, 120))
    call.run(2.5)
    clock.advance(1.0)  # the worker was starved: degrade to 15 fps
    rec.run_pending()
    call.run(3.0)
    segments = rec.stop()
    assert 30 in {s.fps for s in segments} and 15 in {s.fps for s in segments}
    ledger = EvidenceLedger(data_dir, keys)
    store = RecordingStore(data_dir, on_segment_stored=ledger.on_segment_stored)
    for seg in segments:
        _upload(store, seg.path, seg.segment_index)
    ledger.seal(SESSION)
    report = verify_session(data_dir, SESSION, export_dir=tmp_path / "x")
    assert report.ok, report.problems
    assert [f for f in report.exported_files if f.endswith(".mp4")] == ["evidence.mp4"]
    media_s = segments[-1].start_s + segments[-1].duration_s
    assert report.recordings[0]["duration_s"] == pytest.approx(media_s, abs=0.002)

    exported = (tmp_path / "x" / "evidence.mp4").read_bytes()
    times, frames = _decode_video(exported)
    expected_times: list[float] = []
    expected_frames: list[np.ndarray] = []
    for seg in segments:
        _header, plain = decrypt_segment(seg.path.read_bytes(), keys.recording_key)
        seg_times, seg_frames = _decode_video(plain)
        expected_times += [seg.start_s + t for t in seg_times]
        expected_frames += seg_frames
    assert len(frames) == sum(s.frames for s in segments) == len(expected_frames)
    assert times == pytest.approx(expected_times, abs=1e-4)  # 30 fps, then 15 fps, then 30 fps again
    assert all(np.array_equal(a, b) for a, b in zip(frames, expected_frames, strict=True))  # remuxed, not re-encoded
    with av.open(io.BytesIO(exported), mode="r") as c:
        assert float(c.duration or 0) / av.time_base == pytest.approx(media_s, abs=0.05)
        assert len(c.streams.video) == 1 and len(c.streams.audio) == 1
        samples = sum(f.samples for f in c.decode(c.streams.audio[0]))
    # Every segment's AAC ends on a 1024-sample frame: at most one frame's padding per segment beyond the timeline.
    assert media_s * 48000 <= samples <= media_s * 48000 + 1024 * len(segments)


def test_segment_after_an_overdue_seal_is_noted_in_the_trail(recorded: Recorded, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(recorded.keys_dir, data_dir / "keys")
    now = [1_800_000_000.0]
    ledger = EvidenceLedger(data_dir, ServerKeys.load(data_dir), clock=lambda: now[0])
    coordinator = EvidenceCoordinator(ledger, clock=lambda: now[0])
    store = RecordingStore(data_dir, on_segment_stored=coordinator.on_segment_stored)
    coordinator.store = store
    _upload(store, recorded.spool_files[0], 0)
    coordinator.session_ended(SESSION)
    now[0] += 100_000
    assert coordinator.seal_overdue([SESSION]) == [SESSION]
    _upload(store, recorded.spool_files[1], 1)
    last = ledger.entries(SESSION)[-1]
    assert last.kind == "access" and last.payload["action"] == "late_segment"
    assert verify_chain(ledger.manifest(SESSION), ServerKeys.load(data_dir).seal_key.public_key()) == []
