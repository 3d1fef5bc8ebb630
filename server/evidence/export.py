"""Writes a recording's decrypted segments as one continuous MP4 for an evidence package (remux, no re-encoding)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

from server.evidence.fmp4 import LayoutBuilder, RecordingLayout, demux_segment

logger = logging.getLogger(__name__)


def write_recording_mp4(segments: Iterable[tuple[bytes, float | None, int | None]], out_path: Path) -> RecordingLayout:
    """Writes one recording as one fragmented MP4 at ``out_path``; returns its layout (size, duration).

    The segments are consumed one at a time (only one segment's plaintext is in memory at once): each is remuxed
    into fragments appended to ``<out_path>.fragments``, then the init part (which needs every segment's size for
    its index) and the fragments are joined. Segments recorded at different frame rates share the one track (see
    :mod:`server.evidence.fmp4`).

    Args:
        segments: per segment in order: the decrypted MP4, its start on the recording's timeline in seconds (None:
            right after the previous one) and its exact audio sample count (None: as its MP4 says).
        out_path: the MP4 to write.

    Raises:
        server.evidence.fmp4.RemuxError: a segment is not a remuxable H.264/AAC MP4 or there are none.
    """
    builder = LayoutBuilder()
    tmp = out_path.with_name(out_path.name + ".fragments")
    try:
        with open(tmp, "wb") as fragments:
            for plain, offset_s, audio_samples in segments:
                fragments.write(builder.add(demux_segment(plain, audio_samples), offset_s))
        layout = builder.finish()
        with open(out_path, "wb") as out, open(tmp, "rb") as fragments:
            out.write(layout.init)
            shutil.copyfileobj(fragments, out, 1024 * 1024)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("wrote %s: %d segments, %.1f s, %d bytes", out_path.name, len(layout.segments), layout.duration_s,
                layout.size)  # fmt: skip
    return layout
