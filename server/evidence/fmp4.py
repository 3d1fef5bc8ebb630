"""One continuous fragmented MP4 per recording, remuxed from its self-contained segments (no re-encoding).

Every 双录 segment is a complete MP4 (H.264 + AAC, timestamps from zero, starting with a key frame). This module
turns a recording's segments into the parts of one fragmented MP4 (ISO BMFF with ``moof``/``mdat`` fragments):

* an **init part** (``ftyp`` + ``moov`` with empty sample tables and ``mvex`` + a ``sidx`` with one reference per
  segment, so a player knows the duration and can seek anywhere without reading the file first), and
* per segment, its **fragments**: one ``moof`` + ``mdat`` per :data:`FRAGMENT_S` of media, video and audio of the
  same second next to each other (a player reading front to back never jumps around).

Each segment's fragments depend only on that segment and three numbers from the recording's layout (where the
segment starts on the recording's timeline and the first fragment sequence number), so a server can produce the
bytes of any range by decrypting only the segments that cover it.

Segments recorded at different quality levels (the recorder steps 30 -> 15 -> 10 fps under load) carry different
H.264 parameter sets. One track can still hold them: every segment's first sample carries its own SPS/PPS in band
(as broadcast H.264 does at every IDR), so decoders switch at the segment boundary, also after a seek. Samples are
re-timed on one timescale (:data:`VIDEO_TIMESCALE`), so 30, 15 and 10 fps segments share the track exactly.

Audio: the AAC encoder's priming packet of each segment is dropped (it lies before the segment's start) and the
last packet's duration is cut at the segment's exact sample count, so the audio timeline is exactly the recorder's.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import av

VIDEO_TIMESCALE = 90000
"""Ticks per second of the video track (exact for 10, 15, 24, 25, 30, 50 and 60 fps)."""

MOVIE_TIMESCALE = 1000
"""Ticks per second of ``mvhd``/``tkhd``/``mehd`` durations."""

FRAGMENT_S = 1.0
"""Media seconds per ``moof``/``mdat`` pair."""

VIDEO_TRACK = 1
AUDIO_TRACK = 2

_SYNC_FLAGS = 0x02000000  # sample_depends_on = 2 (an I picture)
_NON_SYNC_FLAGS = 0x01010000  # sample_depends_on = 1, sample_is_non_sync_sample = 1
_MATRIX = struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)
_LANGUAGE_UND = 0x55C4


class RemuxError(ValueError):
    """A segment's MP4 cannot be remuxed (not H.264/AAC in MP4, or damaged)."""


# ---- boxes ----


def box(kind: bytes, *payload: bytes) -> bytes:
    """An ISO BMFF box."""
    body = b"".join(payload)
    size = 8 + len(body)
    if size >= 1 << 32:
        return struct.pack(">I4sQ", 1, kind, size + 8) + body
    return struct.pack(">I4s", size, kind) + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    """An ISO BMFF full box (version and flags first)."""
    return box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def iter_boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """The boxes in ``data[start:end]`` as ``(kind, payload_start, box_end)``.

    Raises:
        RemuxError: a box runs past the end.
    """
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise RemuxError("truncated box header")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise RemuxError(f"bad box {kind!r} at {pos}")
        yield kind, pos + header, pos + size
        pos += size


def child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int]:
    """``(payload_start, box_end)`` of the first ``kind`` box inside ``data[start:end]``.

    Raises:
        RemuxError: there is none.
    """
    for found, payload, box_end in iter_boxes(data, start, end):
        if found == kind:
            return payload, box_end
    raise RemuxError(f"no {kind.decode(errors='replace')} box")


@dataclass(frozen=True)
class SampleEntries:
    """The ``stsd`` entries of a segment's tracks, copied verbatim (``avc1`` with its ``avcC``, ``mp4a``)."""

    video: bytes
    audio: bytes | None
    width: int
    height: int


def sample_entries(mp4: bytes) -> SampleEntries:
    """Reads the video and audio sample entries (and picture size) from an MP4's ``moov``.

    Raises:
        RemuxError: no ``moov`` or no video track.
    """
    moov = child(mp4, 0, len(mp4), b"moov")
    video: bytes | None = None
    audio: bytes | None = None
    width = height = 0
    for kind, payload, end in iter_boxes(mp4, *moov):
        if kind != b"trak":
            continue
        mdia = child(mp4, payload, end, b"mdia")
        hdlr = child(mp4, *mdia, b"hdlr")
        handler = mp4[hdlr[0] + 8 : hdlr[0] + 12]
        minf = child(mp4, *mdia, b"minf")
        stbl = child(mp4, *minf, b"stbl")
        stsd = child(mp4, *stbl, b"stsd")
        entries = list(iter_boxes(mp4, stsd[0] + 8, stsd[1]))
        if not entries:
            continue
        _kind, entry_payload, entry_end = entries[0]
        entry = mp4[entry_payload - 8 : entry_end]
        if handler == b"vide" and video is None:
            video = entry
            tkhd = child(mp4, payload, end, b"tkhd")
            width, height = (v >> 16 for v in struct.unpack_from(">II", mp4, tkhd[1] - 8))
        elif handler == b"soun" and audio is None:
            audio = entry
    if video is None:
        raise RemuxError("no video track")
    return SampleEntries(video, audio, width, height)


# ---- H.264 parameter sets ----


@dataclass(frozen=True)
class AvcConfig:
    """The parts of an ``avcC`` record this module uses."""

    profile: int
    level: int
    length_size: int
    parameter_sets: tuple[bytes, ...]

    def in_band(self) -> bytes:
        """SPS and PPS NAL units, length-prefixed as in the samples."""
        return b"".join(len(n).to_bytes(self.length_size, "big") + n for n in self.parameter_sets)


def parse_avcc(record: bytes) -> AvcConfig:
    """Parses an ``AVCDecoderConfigurationRecord``.

    Raises:
        RemuxError: not a version 1 record.
    """
    if len(record) < 7 or record[0] != 1:
        raise RemuxError("not an avcC record")
    length_size = (record[4] & 3) + 1
    sets: list[bytes] = []
    pos = 5
    for count_mask in (0x1F, 0xFF):
        count = record[pos] & count_mask
        pos += 1
        for _ in range(count):
            (n,) = struct.unpack_from(">H", record, pos)
            sets.append(record[pos + 2 : pos + 2 + n])
            pos += 2 + n
    return AvcConfig(record[1], record[3], length_size, tuple(sets))


# ---- demuxing a segment ----


@dataclass(frozen=True)
class Sample:
    """One access unit, timed in its track's output timescale relative to the segment's start."""

    data: bytes
    dts: int
    duration: int
    cts: int = 0
    sync: bool = True


@dataclass
class DemuxedSegment:
    """A segment's samples, re-timed for the output tracks.

    Attributes:
        entries: the segment's sample entries.
        avc: its H.264 configuration.
        audio_timescale: ticks per second of the audio track (the AAC sample rate).
        video: video samples in decode order (the first carries SPS/PPS in band).
        audio: audio samples from the segment's start (priming dropped) to its exact end.
        video_end: video ticks from the segment's start to the end of its last frame.
        audio_end: audio ticks from the segment's start to its end.
    """

    entries: SampleEntries
    avc: AvcConfig
    audio_timescale: int
    video: list[Sample] = field(default_factory=list)
    audio: list[Sample] = field(default_factory=list)
    video_end: int = 0
    audio_end: int = 0

    @property
    def media_bytes(self) -> int:
        """Bytes of sample data held."""
        return sum(len(s.data) for s in self.video) + sum(len(s.data) for s in self.audio)


def _ticks(value: int, time_base: Fraction, timescale: int) -> int:
    """``value * time_base`` seconds in ``timescale`` ticks, rounded to nearest."""
    num = value * time_base.numerator * timescale
    return (2 * num + time_base.denominator) // (2 * time_base.denominator)


def demux_segment(mp4: bytes, audio_samples: int | None = None) -> DemuxedSegment:
    """Reads a segment's samples (no decoding).

    Args:
        mp4: the decrypted segment (a complete MP4, H.264 + AAC).
        audio_samples: the segment's exact audio sample count (segment metadata ``audio_samples``); the audio is
            cut there. ``None``: as far as the MP4's own timeline goes.

    Raises:
        RemuxError: not an H.264 (+ AAC) MP4, or damaged.
    """
    try:
        entries = sample_entries(mp4)
        with av.open(io.BytesIO(mp4), mode="r", format="mp4") as container:
            if not container.streams.video:
                raise RemuxError("no video stream")
            vstream = container.streams.video[0]
            if vstream.codec_context.name != "h264" or not vstream.codec_context.extradata:
                raise RemuxError(f"video codec {vstream.codec_context.name} is not H.264 in avcC form")
            avc = parse_avcc(bytes(vstream.codec_context.extradata))
            astream = container.streams.audio[0] if container.streams.audio else None
            audio_ts = int(astream.codec_context.sample_rate or 48000) if astream is not None else 48000
            video_packets: list[tuple[int, int, int, bool, bytes]] = []
            audio_packets: list[tuple[int, int, bytes]] = []
            for packet in container.demux():
                if packet.size == 0 or packet.pts is None or packet.dts is None or packet.time_base is None:
                    continue
                tb = Fraction(packet.time_base.numerator, packet.time_base.denominator)
                if packet.stream is vstream or packet.stream.index == vstream.index:
                    video_packets.append(
                        (
                            _ticks(packet.dts, tb, VIDEO_TIMESCALE),
                            _ticks(packet.pts, tb, VIDEO_TIMESCALE),
                            _ticks(packet.duration or 0, tb, VIDEO_TIMESCALE),
                            bool(packet.is_keyframe),
                            bytes(packet),
                        )
                    )
                elif astream is not None and packet.stream.index == astream.index:
                    audio_packets.append(
                        (_ticks(packet.pts, tb, audio_ts), _ticks(packet.duration or 0, tb, audio_ts), bytes(packet))
                    )
    except (av.FFmpegError, OSError, struct.error, IndexError) as exc:
        raise RemuxError(f"cannot read the segment's MP4: {exc}") from exc
    if not video_packets:
        raise RemuxError("no video samples")
    seg = DemuxedSegment(entries, avc, audio_ts)
    # Decode times from the segment's start, so a segment with B-frames (negative first dts) does not reach back
    # into the previous one; composition offsets (signed, trun version 1) keep every picture at its pts.
    dts0 = video_packets[0][0]
    prefix = avc.in_band()
    for i, (dts, pts, duration, key, data) in enumerate(video_packets):
        if i + 1 < len(video_packets):
            duration = video_packets[i + 1][0] - dts
        elif duration <= 0:
            duration = dts - video_packets[i - 1][0] if i else VIDEO_TIMESCALE // 30
        out_dts = dts - dts0
        seg.video.append(Sample(prefix + data if i == 0 else data, out_dts, max(1, duration), pts - out_dts, key))
    seg.video_end = max(
        max(s.dts + s.cts for s in seg.video) + seg.video[-1].duration, seg.video[-1].dts + seg.video[-1].duration
    )
    end = audio_samples
    for pts, duration, data in audio_packets:
        if pts < 0:
            continue  # the encoder's priming: before the segment's start
        if end is not None and pts >= end:
            break
        if duration <= 0:
            duration = 1024
        if end is not None:
            duration = min(duration, end - pts)
        if seg.audio and pts < seg.audio[-1].dts + seg.audio[-1].duration:
            continue  # never overlap (a damaged or odd timeline)
        seg.audio.append(Sample(data, pts, duration))
    if seg.audio:
        gap = [b.dts - (a.dts + a.duration) for a, b in zip(seg.audio, seg.audio[1:], strict=False)]
        if any(gap):
            # fMP4 sample times are cumulative: stretch a sample over a hole rather than shift everything after.
            fixed = []
            for i, s in enumerate(seg.audio):
                nxt = seg.audio[i + 1].dts if i + 1 < len(seg.audio) else s.dts + s.duration
                fixed.append(Sample(s.data, s.dts, max(1, nxt - s.dts)))
            seg.audio = fixed
        seg.audio_end = end if end is not None else seg.audio[-1].dts + seg.audio[-1].duration
    else:
        seg.audio_end = end or 0
    return seg


# ---- writing ----


@dataclass(frozen=True)
class Placement:
    """Where a segment goes in the recording's fragmented MP4.

    Attributes:
        video_base: decode time of its first video sample (video ticks from the recording's start).
        audio_base: time of its first audio sample (audio ticks from the recording's start).
        first_sequence: ``mfhd`` sequence number of its first fragment (fragments are numbered from 1).
    """

    video_base: int
    audio_base: int
    first_sequence: int


def _trun_video(samples: list[Sample], data_offset: int) -> bytes:
    rows = b"".join(
        struct.pack(">IIIi", s.duration, len(s.data), _SYNC_FLAGS if s.sync else _NON_SYNC_FLAGS, s.cts)
        for s in samples
    )
    return full_box(b"trun", 1, 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800,
                    struct.pack(">Ii", len(samples), data_offset), rows)  # fmt: skip


def _trun_audio(samples: list[Sample], data_offset: int) -> bytes:
    rows = b"".join(struct.pack(">II", s.duration, len(s.data)) for s in samples)
    return full_box(b"trun", 0, 0x000001 | 0x000100 | 0x000200, struct.pack(">Ii", len(samples), data_offset), rows)


def _traf(track: int, base: int, trun: bytes) -> bytes:
    tfhd = full_box(b"tfhd", 0, 0x020000, struct.pack(">I", track))  # default-base-is-moof
    tfdt = full_box(b"tfdt", 1, 0, struct.pack(">Q", base))
    return box(b"traf", tfhd, tfdt, trun)


def _moof(sequence: int, video: list[Sample], audio: list[Sample], vbase: int, abase: int, offsets: tuple[int, int]):
    trafs = []
    if video:
        trafs.append(_traf(VIDEO_TRACK, vbase, _trun_video(video, offsets[0])))
    if audio:
        trafs.append(_traf(AUDIO_TRACK, abase, _trun_audio(audio, offsets[1])))
    return box(b"moof", full_box(b"mfhd", 0, 0, struct.pack(">I", sequence)), *trafs)


def _groups(samples: list[Sample], span: int) -> dict[int, list[Sample]]:
    groups: dict[int, list[Sample]] = {}
    for s in samples:
        groups.setdefault(s.dts // span, []).append(s)
    return groups


def segment_fragments(seg: DemuxedSegment, place: Placement) -> tuple[bytes, int]:
    """The segment's ``moof`` + ``mdat`` pairs; returns ``(bytes, number of fragments)``."""
    vgroups = _groups(seg.video, round(FRAGMENT_S * VIDEO_TIMESCALE))
    agroups = _groups(seg.audio, round(FRAGMENT_S * seg.audio_timescale))
    out = bytearray()
    sequence = place.first_sequence
    for key in sorted(set(vgroups) | set(agroups)):
        video, audio = vgroups.get(key, []), agroups.get(key, [])
        vbase = place.video_base + video[0].dts if video else 0
        abase = place.audio_base + audio[0].dts if audio else 0
        size = len(_moof(sequence, video, audio, vbase, abase, (0, 0)))
        vbytes = sum(len(s.data) for s in video)
        offsets = (size + 8, size + 8 + vbytes)
        out += _moof(sequence, video, audio, vbase, abase, offsets)
        payload_size = vbytes + sum(len(s.data) for s in audio)
        out += struct.pack(">I4s", 8 + payload_size, b"mdat")
        for s in video:
            out += s.data
        for s in audio:
            out += s.data
        sequence += 1
    return bytes(out), sequence - place.first_sequence


@dataclass(frozen=True)
class SidxReference:
    """One segment as ``sidx`` sees it: its fragments' bytes and its share of the timeline (video ticks)."""

    size: int
    duration: int


def init_part(
    entries: SampleEntries,
    audio_timescale: int,
    duration_s: float,
    references: list[SidxReference],
) -> bytes:
    """``ftyp`` + ``moov`` (empty sample tables, ``mvex``) + ``sidx`` for a recording's fragmented MP4.

    Args:
        entries: the sample entries to declare (any segment's: the parameter sets travel in band).
        audio_timescale: the audio track's timescale.
        duration_s: the recording's duration.
        references: every segment, in order (``sidx`` is left out beyond 65535 segments).
    """
    movie_duration = round(duration_s * MOVIE_TIMESCALE)
    ftyp = box(b"ftyp", b"iso6", struct.pack(">I", 0), b"iso6", b"iso5", b"isom", b"avc1", b"mp41")
    mvhd = full_box(
        b"mvhd", 0, 0,
        struct.pack(">IIII", 0, 0, MOVIE_TIMESCALE, movie_duration),
        struct.pack(">IH", 0x00010000, 0x0100), b"\0" * 10, _MATRIX, b"\0" * 24,
        struct.pack(">I", AUDIO_TRACK + 1),
    )  # fmt: skip

    def trak(track: int, kind: bytes, timescale: int, entry: bytes) -> bytes:
        video = kind == b"vide"
        tkhd = full_box(
            b"tkhd", 0, 3,
            struct.pack(">IIIII", 0, 0, track, 0, movie_duration), b"\0" * 8,
            struct.pack(">hhHH", 0, 0, 0 if video else 0x0100, 0), _MATRIX,
            struct.pack(">II", (entries.width if video else 0) << 16, (entries.height if video else 0) << 16),
        )  # fmt: skip
        mdhd = full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, 0, _LANGUAGE_UND, 0))
        name = b"VideoHandler\0" if video else b"SoundHandler\0"
        hdlr = full_box(b"hdlr", 0, 0, struct.pack(">I", 0), kind, b"\0" * 12, name)
        media_header = full_box(b"vmhd", 0, 1, b"\0" * 8) if video else full_box(b"smhd", 0, 0, b"\0" * 4)
        dinf = box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1)))
        stbl = box(
            b"stbl",
            full_box(b"stsd", 0, 0, struct.pack(">I", 1), entry),
            full_box(b"stts", 0, 0, struct.pack(">I", 0)),
            full_box(b"stsc", 0, 0, struct.pack(">I", 0)),
            full_box(b"stsz", 0, 0, struct.pack(">II", 0, 0)),
            full_box(b"stco", 0, 0, struct.pack(">I", 0)),
        )
        return box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, box(b"minf", media_header, dinf, stbl)))

    traks = [trak(VIDEO_TRACK, b"vide", VIDEO_TIMESCALE, entries.video)]
    trex = [full_box(b"trex", 0, 0, struct.pack(">IIIII", VIDEO_TRACK, 1, 0, 0, _NON_SYNC_FLAGS))]
    if entries.audio is not None:
        traks.append(trak(AUDIO_TRACK, b"soun", audio_timescale, entries.audio))
        trex.append(full_box(b"trex", 0, 0, struct.pack(">IIIII", AUDIO_TRACK, 1, 0, 0, _SYNC_FLAGS)))
    mvex = box(b"mvex", full_box(b"mehd", 0, 0, struct.pack(">I", movie_duration)), *trex)
    moov = box(b"moov", mvhd, *traks, mvex)
    if not references or len(references) > 0xFFFF:
        return ftyp + moov
    refs = b"".join(struct.pack(">III", r.size & 0x7FFFFFFF, r.duration, 0x90000000) for r in references)
    sidx = full_box(b"sidx", 1, 0, struct.pack(">IIQQHH", VIDEO_TRACK, VIDEO_TIMESCALE, 0, 0, 0, len(references)), refs)
    return ftyp + moov + sidx


# ---- a recording's layout ----


@dataclass(frozen=True)
class SegmentLayout:
    """One segment in a recording's fragmented MP4.

    Attributes:
        placement: where its samples go on the recording's timeline.
        size: bytes of its fragments.
        fragments: how many ``moof``/``mdat`` pairs.
        offset_s: its start on the recording's timeline.
        end_s: the end of its media on that timeline.
    """

    placement: Placement
    size: int
    fragments: int
    offset_s: float
    end_s: float


@dataclass(frozen=True)
class RecordingLayout:
    """A recording's fragmented MP4 as byte ranges: the init part, then each segment's fragments in order.

    Attributes:
        init: ``ftyp`` + ``moov`` + ``sidx``.
        segments: per segment, in order.
        starts: byte offset of each segment's fragments in the file.
        size: the file's size.
        duration_s: the recording's duration.
    """

    init: bytes
    segments: tuple[SegmentLayout, ...]
    starts: tuple[int, ...]
    size: int
    duration_s: float

    @property
    def held_bytes(self) -> int:
        """Rough memory this layout holds (the init part plus per-segment bookkeeping)."""
        return len(self.init) + 160 * len(self.segments)


class LayoutBuilder:
    """Lays a recording's segments out one by one (each demuxed segment can be dropped after :meth:`add`).

    Args:
        sequence_base: ``mfhd`` number of the first fragment.
    """

    def __init__(self, sequence_base: int = 1) -> None:
        self._sequence = sequence_base
        self._layouts: list[SegmentLayout] = []
        self._entries: SampleEntries | None = None
        self._best: tuple[int, int] = (-1, -1)
        self._audio_entry: bytes | None = None
        self._audio_timescale = 48000
        self._last_end_s = 0.0

    def add(self, seg: DemuxedSegment, offset_s: float | None = None) -> bytes:
        """Places the next segment at ``offset_s`` (default: where the previous one ended); returns its fragments.

        Raises:
            RemuxError: the segment would start before the previous one.
        """
        if offset_s is None:
            offset_s = self._last_end_s
        if self._layouts and offset_s < self._layouts[-1].offset_s:
            raise RemuxError("segments out of order")
        if not self._layouts:
            self._audio_timescale = seg.audio_timescale
        if self._audio_entry is None and seg.entries.audio is not None:
            self._audio_entry = seg.entries.audio
        # Declare the most demanding profile/level seen: a decoder sized for it decodes every segment.
        rank = (seg.avc.profile, seg.avc.level)
        if rank > self._best:
            self._best, self._entries = rank, seg.entries
        place = Placement(round(offset_s * VIDEO_TIMESCALE), round(offset_s * self._audio_timescale), self._sequence)
        data, count = segment_fragments(seg, place)
        end_s = offset_s + max(seg.video_end / VIDEO_TIMESCALE, seg.audio_end / max(1, seg.audio_timescale))
        self._layouts.append(SegmentLayout(place, len(data), count, offset_s, end_s))
        self._sequence += count
        self._last_end_s = end_s
        return data

    def finish(self) -> RecordingLayout:
        """The layout of everything added.

        Raises:
            RemuxError: nothing was added.
        """
        if self._entries is None or not self._layouts:
            raise RemuxError("no segments")
        entries = SampleEntries(self._entries.video, self._audio_entry, self._entries.width, self._entries.height)
        duration_s = max(s.end_s for s in self._layouts)
        refs = []
        for i, s in enumerate(self._layouts):
            nxt = (
                self._layouts[i + 1].placement.video_base
                if i + 1 < len(self._layouts)
                else round(s.end_s * VIDEO_TIMESCALE)
            )
            refs.append(SidxReference(s.size, max(0, nxt - s.placement.video_base)))
        init = init_part(entries, self._audio_timescale, duration_s, refs)
        starts = []
        pos = len(init)
        for s in self._layouts:
            starts.append(pos)
            pos += s.size
        return RecordingLayout(init, tuple(self._layouts), tuple(starts), pos, duration_s)
