"""Verifies a session's evidence (chain, seal, every file's hash) and exports a dispute package (证据导出)."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from server.evidence.chain import RECORDING_DELETED, TRAIL_EVENT_FIELD, EvidenceLedger, verify_chain
from server.evidence.export import write_recording_mp4
from server.evidence.fmp4 import RemuxError
from server.evidence.keys import ServerKeys
from wire.recording_format import SegmentFormatError, WrongKeyError, decrypt_segment

logger = logging.getLogger(__name__)


@dataclass
class VerificationReport:
    """Outcome of a verification (and export, when asked)."""

    session_id: str
    ok: bool = False
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    segments_checked: int = 0
    blobs_checked: int = 0
    sealed: bool = False
    export_dir: str | None = None
    exported_files: list[str] = field(default_factory=list)
    video_duration_s: float | None = None
    trail_events_checked: int = 0
    deleted_recordings: list[str] = field(default_factory=list)
    recordings: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        for block in iter(lambda: fp.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_session(
    data_dir: Path,
    session_id: str,
    export_dir: Path | None = None,
    actor: str = "unknown",
    purpose: str = "",
    keys: ServerKeys | None = None,
    ledger: EvidenceLedger | None = None,
    log: bool = True,
) -> VerificationReport:
    """Checks the chain and seal of a session, every linked file's hash, and optionally exports the evidence.

    The export decrypts every segment with the server's recording key, checks each plaintext hash recorded at
    recording time, and writes ``manifest.json``, one continuous MP4 per recording (``evidence.mp4``, or
    ``evidence_01.mp4``, ``evidence_02.mp4`` ... when the session has several recordings; segments recorded at
    different frame rates are remuxed into the one file), ``snapshots/`` and ``report.json``. Every call is logged
    as an ``access`` entry in the session's trail.

    Args:
        data_dir: server data directory.
        session_id: the session.
        export_dir: where to write the evidence package (only if verification passes).
        actor: who asks (logged).
        purpose: why (logged; e.g. the dispute reference).
        keys: server keys (default: loaded from ``data_dir``; never created here).
        ledger: the ledger to read and log to (a running server passes its own; default: opened here).
        log: log the access in the trail (False when the caller logs it, e.g. an HTTP export).
    """
    data_dir = Path(data_dir)
    keys = keys or ServerKeys.load(data_dir)
    ledger = ledger or EvidenceLedger(data_dir, keys)
    report = VerificationReport(session_id)
    manifest = ledger.manifest(session_id)
    entries = manifest["entries"]
    report.entries = len(entries)
    report.problems.extend(verify_chain(manifest, keys.seal_key.public_key()))
    report.sealed = any(e["kind"] == "seal" for e in entries)

    segments = [e["payload"] for e in entries if e["kind"] == "segment"]
    blobs = [e for e in entries if e["kind"] in ("snapshot", "signature")]
    deleted = {
        str(e["payload"].get("result"))
        for e in entries
        if e["kind"] == "access" and e["payload"].get("action") == RECORDING_DELETED
    }
    report.deleted_recordings = sorted(deleted)
    report.trail_events_checked = _check_trail(data_dir, session_id, entries, report.problems)
    for seg in segments:
        if str(seg.get("recording_id")) in deleted:
            continue  # deleted after its retention period, as the chain records
        report.segments_checked += 1
        _check_file(data_dir, seg, f"录像分段 {seg.get('recording_id')}#{seg.get('segment_index')}", report.problems)
    for blob in blobs:
        report.blobs_checked += 1
        _check_file(data_dir, blob["payload"], f"{blob['kind']} {blob['payload'].get('name')}", report.problems)
    by_recording: dict[str, list[int]] = {}
    for seg in segments:
        by_recording.setdefault(str(seg.get("recording_id")), []).append(int(seg.get("segment_index", -1)))
    for rec_id, indexes in by_recording.items():
        if sorted(indexes) != list(range(len(indexes))):
            report.problems.append(f"录像 {rec_id} 的分段序号不连续：{sorted(indexes)} (missing segments)")

    if export_dir is not None and not report.problems:
        segments = [s for s in segments if str(s.get("recording_id")) not in deleted]
        _export(data_dir, keys, manifest, segments, blobs, Path(export_dir), report)
    report.ok = not report.problems
    action = "export" if export_dir is not None else "verify"
    result = "ok" if report.ok else f"failed: {len(report.problems)} problem(s)"
    if entries and log:
        ledger.log_access(session_id, actor, action, purpose, result)
    if report.export_dir:
        (Path(report.export_dir) / "report.json").write_text(
            json.dumps(report.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
    logger.info("session %s: evidence %s by %s: %s", session_id, action, actor, result)
    return report


def _check_trail(data_dir: Path, session_id: str, entries: list[dict[str, Any]], problems: list[str]) -> int:
    """Checks that the server database's ``session_events`` rows and the chain agree row for row.

    The table is the queryable index of the trail; every row is chained when it is written. A row missing from
    the chain, a chained event missing from the table, or any difference (time, kind, detail) is a problem.
    Returns the number of rows compared (0 when the server database is not in ``data_dir``).
    """
    path = data_dir / "videoteller.db"
    if not path.is_file():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "select event_id, at, kind, detail from session_events where session_id = ? order by event_id",
            (session_id,),
        ).fetchall()
    except sqlite3.Error:
        return 0
    finally:
        conn.close()
    chained = {
        int(e["payload"][TRAIL_EVENT_FIELD]): e["payload"]
        for e in entries
        if e["kind"] in ("event", "access") and TRAIL_EVENT_FIELD in e["payload"]
    }
    seen = set()
    for event_id, at, kind, detail in rows:
        seen.add(event_id)
        payload = chained.get(event_id)
        if payload is None:
            problems.append(f"会话记录 #{event_id} ({kind}) 不在证据链中 (trail event not chained)")
        elif payload.get("at") != at or payload.get("event") != kind or payload.get("detail") != json.loads(detail):
            problems.append(f"会话记录 #{event_id} ({kind}) 与证据链不一致 (trail event modified)")
    for event_id in sorted(set(chained) - seen):
        problems.append(f"证据链中的会话记录 #{event_id} 在数据库中缺失 (trail event deleted)")
    return len(rows)


def _check_file(data_dir: Path, payload: dict[str, Any], label: str, problems: list[str]) -> None:
    path = data_dir / str(payload.get("path", ""))
    if not path.is_file():
        problems.append(f"{label} 文件缺失 (missing file {payload.get('path')})")
        return
    if path.stat().st_size != payload.get("size") or _sha256_file(path) != payload.get("sha256"):
        problems.append(f"{label} 文件被修改，哈希不符 (hash mismatch)")


class _ExportProblem(Exception):
    """A segment failed a check while it was being exported (the message is the report's problem)."""


def _plaintexts(
    data_dir: Path, keys: ServerKeys, segments: list[dict[str, Any]]
) -> Iterator[tuple[bytes, float | None, int | None]]:
    """Decrypts one recording's segments in order, checking each against the chain; yields what the remux needs.

    Raises:
        _ExportProblem: a segment cannot be decrypted or does not match what the chain recorded.
    """
    first_start: float | None = None
    for seg in segments:
        label = f"录像分段 {seg['recording_id']}#{seg['segment_index']}"
        try:
            header, plain = decrypt_segment((data_dir / seg["path"]).read_bytes(), keys.recording_key)
        except WrongKeyError as exc:
            raise _ExportProblem(f"{label} 无法解密：密钥错误 ({exc})") from exc
        except (SegmentFormatError, OSError) as exc:
            raise _ExportProblem(f"{label} 解密校验失败 ({exc})") from exc
        if header.recording_id != seg["recording_id"] or header.segment_index != seg["segment_index"]:
            raise _ExportProblem(f"{label} 文件头与证据链不一致 (header mismatch)")
        if seg.get("plaintext_sha256") and hashlib.sha256(plain).hexdigest() != seg["plaintext_sha256"]:
            raise _ExportProblem(f"{label} 解密内容与录制时哈希不符 (plaintext hash mismatch)")
        # The segment header is authenticated with the segment: its media times are the recorder's own.
        start = header.meta.get("start_s", seg.get("start_s"))
        samples = header.meta.get("audio_samples")
        offset = None
        if start is not None:
            first_start = float(start) if first_start is None else first_start
            offset = float(start) - first_start
        yield plain, offset, int(samples) if samples is not None else None


def recordings_of(segments: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Chained segment payloads grouped per recording (in index order), recordings in the order they started."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for seg in segments:
        groups.setdefault(str(seg["recording_id"]), []).append(seg)
    ordered = [sorted(g, key=lambda s: int(s["segment_index"])) for g in groups.values()]
    return sorted(ordered, key=lambda g: (min(float(s.get("started_at") or 0) for s in g), str(g[0]["recording_id"])))


def _export(
    data_dir: Path,
    keys: ServerKeys,
    manifest: dict[str, Any],
    segments: list[dict[str, Any]],
    blobs: list[dict[str, Any]],
    out: Path,
    report: VerificationReport,
) -> None:
    """Writes the evidence package: one continuous MP4 per recording, the manifest, the snapshots."""
    out.mkdir(parents=True, exist_ok=True)
    groups = recordings_of(segments)
    written: list[Path] = []
    origin = min((float(s.get("started_at") or 0) for s in segments), default=0.0)
    for n, group in enumerate(groups):
        rec_id = str(group[0]["recording_id"])
        name = "evidence.mp4" if len(groups) == 1 else f"evidence_{n + 1:02d}.mp4"
        try:
            layout = write_recording_mp4(_plaintexts(data_dir, keys, group), out / name)
        except _ExportProblem as exc:
            report.problems.append(str(exc))
        except RemuxError as exc:
            report.problems.append(f"录像 {rec_id} 无法导出为 MP4 ({exc})")
        else:
            written.append(out / name)
            report.exported_files.append(name)
            report.recordings.append(
                {
                    "file": name,
                    "recording_id": rec_id,
                    "segments": len(group),
                    "start_s": round(min(float(s.get("started_at") or 0) for s in group) - origin, 3),
                    "duration_s": round(layout.duration_s, 3),
                }
            )
            continue
        for path in written:  # nothing half-exported
            path.unlink(missing_ok=True)
        report.exported_files.clear()
        report.recordings.clear()
        return
    if report.recordings:
        report.video_duration_s = round(sum(r["duration_s"] for r in report.recordings), 3)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    report.exported_files.insert(0, "manifest.json")
    for blob in blobs:
        payload = blob["payload"]
        target = out / "snapshots" / Path(payload["path"]).name
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(data_dir / payload["path"], target)
        report.exported_files.append(f"snapshots/{target.name}")
    report.export_dir = str(out)
