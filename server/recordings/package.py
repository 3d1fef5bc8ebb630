"""证据包下载: a session's evidence package streamed as a ZIP over HTTP, never assembled in memory or on disk.

The package holds what ``scripts/verify-evidence SESSION --export DIR`` writes: ``manifest.json`` (the hash chain
with its seal), one continuous MP4 per recording (``evidence.mp4``, or ``evidence_01.mp4`` ... for several),
``snapshots/`` (snapshot and signature images) and ``report.json`` (the verification report). The MP4s are the
playback files (:mod:`server.recordings.playback`), read a segment at a time; entries are stored uncompressed
(video does not compress) with ZIP64 sizes, so any length works and memory stays bounded.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from server.evidence.verifier import VerificationReport
from server.recordings.playback import PlaybackService, RecordingPlayback


class _Sink(io.RawIOBase):
    """A write-only, unseekable stream collecting what the ZIP writer produces until it is taken."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        return len(chunk)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def mp4_names(count: int) -> list[str]:
    """File names of a session's recordings in its package (as the CLI export names them)."""
    return ["evidence.mp4"] if count == 1 else [f"evidence_{n + 1:02d}.mp4" for n in range(count)]


def stream_package(
    data_dir: Path,
    manifest: dict[str, Any],
    report: VerificationReport,
    playback: PlaybackService,
    recordings: list[RecordingPlayback],
) -> Iterator[bytes]:
    """The ZIP's bytes, a piece at a time (at most one segment's fragments at once).

    Args:
        data_dir: server data directory (snapshot files are relative to it).
        manifest: the session's evidence manifest.
        report: the verification that passed; ``report.json`` gets it plus the recordings' files and times.
        playback: produces the recordings' MP4 bytes.
        recordings: the session's recordings, in order.

    Raises:
        server.recordings.playback.PlaybackError: while streaming, a segment cannot be produced.
    """
    sink = _Sink()
    names = mp4_names(len(recordings))
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as package:
        package.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        yield sink.take()
        for name, recording in zip(names, recordings, strict=True):
            with package.open(name, mode="w", force_zip64=True) as entry:
                for piece in playback.iter_range(recording, 0, recording.size - 1):
                    entry.write(piece)
                    yield sink.take()
            report.exported_files.append(name)
            report.recordings.append(
                {
                    "file": name,
                    "recording_id": recording.recording_id,
                    "segments": len(recording.segments),
                    "start_s": round(recording.start_s, 3),
                    "duration_s": round(recording.duration_s, 3),
                }
            )
            yield sink.take()
        for entry in manifest["entries"]:
            if entry["kind"] not in ("snapshot", "signature"):
                continue
            path = data_dir / entry["payload"]["path"]
            name = f"snapshots/{path.name}"
            package.write(path, name)
            report.exported_files.append(name)
            yield sink.take()
        report.video_duration_s = round(sum(r.duration_s for r in recordings), 3) if recordings else None
        package.writestr("report.json", json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    yield sink.take()
