"""Joins decrypted MP4 segments into one MP4 by remuxing (no re-encoding) for an evidence package."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any, BinaryIO

import av

logger = logging.getLogger(__name__)


def codec_parameters(data: bytes) -> tuple[bytes | None, bytes | None]:
    """The video and audio codec extradata of an MP4 (segments with equal parameters can share a track)."""
    with av.open(io.BytesIO(data), mode="r") as c:
        v = c.streams.video[0].codec_context.extradata if c.streams.video else None
        a = c.streams.audio[0].codec_context.extradata if c.streams.audio else None
        return v, a


def can_concatenate(segments: list[bytes]) -> bool:
    """True when all segments share codec parameters (one MP4 track can hold them)."""
    params = {codec_parameters(s) for s in segments}
    return len(params) == 1


def concatenate_mp4(segments: list[bytes], starts_s: list[float], out_path: Path | BinaryIO) -> float:
    """Writes the segments one after the other into ``out_path`` (a path or a seekable binary file object, e.g. a
    ``BytesIO`` for playback that never touches the disk), each at its start time; returns the duration.

    Segments must share codec parameters (see :func:`can_concatenate`). The AAC priming packet of every segment
    after the first is dropped where it would overlap the previous segment.
    """
    if not segments:
        raise ValueError("no segments")
    with (
        av.open(io.BytesIO(segments[0]), mode="r") as first,
        av.open(str(out_path) if isinstance(out_path, Path) else out_path, mode="w", format="mp4") as out,
    ):
        templates: dict[str, Any] = {}
        for stream in (first.streams.video[0], first.streams.audio[0]):
            templates[stream.type] = out.add_stream_from_template(stream)
        last_dts: dict[str, int] = {}
        end = 0.0
        for data, start in zip(segments, starts_s, strict=True):
            with av.open(io.BytesIO(data), mode="r") as inp:
                for packet in inp.demux():
                    if packet.dts is None or packet.pts is None:
                        continue
                    kind = packet.stream.type
                    tb = packet.time_base
                    assert tb is not None
                    offset = round(start / tb)
                    packet.pts += offset
                    packet.dts += offset
                    if kind in last_dts and packet.dts <= last_dts[kind]:
                        continue
                    last_dts[kind] = packet.dts
                    end = max(end, float((packet.pts + (packet.duration or 0)) * tb))
                    packet.stream = templates[kind]
                    out.mux(packet)
    return end
