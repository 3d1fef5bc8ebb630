"""点播 with bounded memory: a recording plays as one fragmented MP4 whose byte ranges are built segment by segment.

A recording's playable file (:mod:`server.evidence.fmp4`) is an init part followed by each segment's fragments.
Its **layout** (the init part and each segment's byte size and place on the timeline) is computed once per
recording by decrypting and remuxing its segments one at a time, and kept in a small LRU (a few hundred bytes per
segment). A range request then decrypts only the segments it covers; their fragments go through
:class:`FragmentCache`, an LRU bounded in bytes (default :data:`PLAYBACK_CACHE_BYTES`). Plaintext never touches
the server's disk, and memory does not grow with the length of a recording or the number of viewers: at most
:data:`MAX_PARALLEL_BUILDS` segments are decrypted at once, plus what the cache holds.
"""

from __future__ import annotations

import bisect
import collections
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from server.evidence.fmp4 import DemuxedSegment, LayoutBuilder, RecordingLayout, demux_segment, segment_fragments
from server.recordings.store import StoredSegment
from wire.recording_format import SegmentFormatError, decrypt_segment

logger = logging.getLogger(__name__)

PLAYBACK_CACHE_BYTES = 64 * 1024 * 1024
"""Default bound of the fragment cache (remuxed plaintext, in memory only)."""

LAYOUT_CACHE_RECORDINGS = 64
"""Recordings whose layout is kept (each a few hundred bytes per segment)."""

MAX_PARALLEL_BUILDS = 2
"""Segments decrypted and remuxed at the same time (bounds the memory outside the cache)."""


class PlaybackError(Exception):
    """A recording cannot be played (a segment fails authentication or does not remux)."""


class FragmentCache:
    """Remuxed segment fragments, least recently used dropped first, bounded by ``limit_bytes`` (thread-safe).

    Concurrent requests for the same key build it once. An item larger than the limit is served but not kept.

    Attributes:
        limit_bytes: the bound.
        bytes: bytes held now.
        peak_bytes: the most ever held.
        hits: lookups served from the cache.
        builds: items built.
    """

    def __init__(self, limit_bytes: int = PLAYBACK_CACHE_BYTES) -> None:
        self.limit_bytes = max(0, int(limit_bytes))
        self.bytes = 0
        self.peak_bytes = 0
        self.hits = 0
        self.builds = 0
        self._items: collections.OrderedDict[Any, bytes] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Any, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._items)

    def peek(self, key: Any) -> bytes | None:
        """The item if held (refreshes its place), else None."""
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
                self.hits += 1
            return data

    def put(self, key: Any, data: bytes, evict: bool = True) -> None:
        """Keeps ``data`` if it fits, dropping least recently used items to make room (unless ``evict`` is False:
        then only if it fits beside what is held)."""
        size = len(data)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= len(old)
            if size > self.limit_bytes or (not evict and self.bytes + size > self.limit_bytes):
                return
            while self._items and self.bytes + size > self.limit_bytes:
                _key, dropped = self._items.popitem(last=False)
                self.bytes -= len(dropped)
            self._items[key] = data
            self.bytes += size
            self.peak_bytes = max(self.peak_bytes, self.bytes)

    def get(self, key: Any, build: Callable[[], bytes]) -> bytes:
        """The item for ``key``, built once by ``build`` when missing."""
        data = self.peek(key)
        if data is not None:
            return data
        with self._lock:
            gate = self._building.setdefault(key, threading.Lock())
        with gate:
            data = self.peek(key)
            if data is None:
                data = build()
                with self._lock:
                    self.builds += 1
                self.put(key, data)
        with self._lock:
            if self._building.get(key) is gate and not gate.locked():
                del self._building[key]
        return data

    def clear(self) -> None:
        """Drops everything."""
        with self._lock:
            self._items.clear()
            self.bytes = 0


@dataclass(frozen=True)
class RecordingPlayback:
    """One recording as a playable fragmented MP4.

    Attributes:
        recording_id: the recording.
        key: identity of this layout (changes when a segment arrives or changes).
        segments: its stored segments, in index order.
        layout: byte ranges of the file.
        start_s: where it starts on the session's timeline (0 for the session's first recording).
    """

    recording_id: str
    key: str
    segments: tuple[StoredSegment, ...]
    layout: RecordingLayout
    start_s: float = 0.0

    @property
    def size(self) -> int:
        """Bytes of the playable file."""
        return self.layout.size

    @property
    def duration_s(self) -> float:
        """Its duration."""
        return self.layout.duration_s


def _started_at(seg: StoredSegment) -> float:
    return float(seg.meta.get("started_at") or 0.0)


class PlaybackService:
    """Layouts and byte ranges of recordings, decrypted with the server's recording key (thread-safe).

    Args:
        recording_key: the server's X25519 recording key.
        cache_bytes: bound of the fragment cache.
        layout_cache: recordings whose layouts are kept.
        max_parallel_builds: segments decrypted at once.
    """

    def __init__(
        self,
        recording_key: X25519PrivateKey,
        cache_bytes: int = PLAYBACK_CACHE_BYTES,
        layout_cache: int = LAYOUT_CACHE_RECORDINGS,
        max_parallel_builds: int = MAX_PARALLEL_BUILDS,
    ) -> None:
        self.recording_key = recording_key
        self.cache = FragmentCache(cache_bytes)
        self.layout_cache_size = max(1, layout_cache)
        self._layouts: collections.OrderedDict[str, RecordingPlayback] = collections.OrderedDict()
        self._layout_gates: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._builds = threading.BoundedSemaphore(max(1, max_parallel_builds))

    # ---- segments ----

    def _demux(self, seg: StoredSegment) -> DemuxedSegment:
        """Decrypts one stored segment (in memory) and reads its samples.

        Raises:
            PlaybackError: authentication fails (modified file, wrong key), header mismatch, or not remuxable.
        """
        try:
            header, plain = decrypt_segment(seg.path.read_bytes(), self.recording_key)
        except (SegmentFormatError, OSError) as exc:
            raise PlaybackError(f"录像分段 {seg.recording_id}#{seg.segment_index} 无法解密：{exc}") from exc
        if header.recording_id != seg.recording_id or header.segment_index != seg.segment_index:
            raise PlaybackError(f"录像分段 {seg.recording_id}#{seg.segment_index} 文件头与存储记录不一致")
        samples = seg.meta.get("audio_samples")
        try:
            return demux_segment(plain, int(samples) if samples is not None else None)
        except ValueError as exc:
            raise PlaybackError(f"录像分段 {seg.recording_id}#{seg.segment_index} 无法读取：{exc}") from exc

    # ---- layouts ----

    @staticmethod
    def layout_key(segments: list[StoredSegment]) -> str:
        """Identity of a recording's layout: its segments' ciphertext hashes, in order."""
        digest = hashlib.sha256()
        for seg in segments:
            digest.update(f"{seg.segment_index}:{seg.sha256};".encode())
        return f"{segments[0].recording_id}:{digest.hexdigest()[:32]}"

    def recording(self, segments: list[StoredSegment]) -> RecordingPlayback:
        """The playable layout of one recording's segments (computed once, then from the LRU).

        Raises:
            PlaybackError: a segment cannot be decrypted or remuxed.
        """
        ordered = sorted(segments, key=lambda s: s.segment_index)
        key = self.layout_key(ordered)
        with self._lock:
            found = self._layouts.get(key)
            if found is not None:
                self._layouts.move_to_end(key)
                return found
            gate = self._layout_gates.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                found = self._layouts.get(key)
            if found is None:
                found = self._build_layout(key, ordered)
                with self._lock:
                    self._layouts[key] = found
                    while len(self._layouts) > self.layout_cache_size:
                        self._layouts.popitem(last=False)
        with self._lock:
            self._layout_gates.pop(key, None)
        return found

    def _build_layout(self, key: str, ordered: list[StoredSegment]) -> RecordingPlayback:
        builder = LayoutBuilder()
        first = ordered[0].meta.get("start_s")
        for i, seg in enumerate(ordered):
            start = seg.meta.get("start_s")
            offset = None if start is None or first is None else float(start) - float(first)
            with self._builds:
                data = builder.add(self._demux(seg), offset)
            # A player starts at the beginning: keep the first segments, never push out what others are playing.
            self.cache.put((key, i), data, evict=False)
            del data
        layout = builder.finish()
        logger.info(
            "recording %s: playback layout of %d segments, %.1f s, %d bytes",
            ordered[0].recording_id,
            len(ordered),
            layout.duration_s,
            layout.size,
        )
        return RecordingPlayback(ordered[0].recording_id, key, tuple(ordered), layout)

    def session(self, segments: list[StoredSegment]) -> list[RecordingPlayback]:
        """One playable recording per recording of a session, in the order they started, placed on its timeline.

        Raises:
            PlaybackError: a segment cannot be decrypted or remuxed.
        """
        by_recording: dict[str, list[StoredSegment]] = {}
        for seg in segments:
            by_recording.setdefault(seg.recording_id, []).append(seg)
        groups = sorted(by_recording.values(), key=lambda g: (min(_started_at(s) for s in g), g[0].recording_id))
        if not groups:
            return []
        origin = min(_started_at(s) for s in groups[0])
        out = []
        for group in groups:
            playback = self.recording(group)
            start = min(_started_at(s) for s in group) - origin
            out.append(
                RecordingPlayback(playback.recording_id, playback.key, playback.segments, playback.layout, start)
            )
        return out

    # ---- bytes ----

    def fragments(self, playback: RecordingPlayback, index: int) -> bytes:
        """The fragments of the recording's ``index``-th segment (cache or decrypt + remux).

        Raises:
            PlaybackError: the segment cannot be decrypted or remuxed, or no longer matches the layout.
        """

        def build() -> bytes:
            seg = playback.segments[index]
            with self._builds:
                data, _count = segment_fragments(self._demux(seg), playback.layout.segments[index].placement)
            if len(data) != playback.layout.segments[index].size:
                raise PlaybackError(f"录像分段 {seg.recording_id}#{seg.segment_index} 与播放索引不一致")
            return data

        return self.cache.get((playback.key, index), build)

    def iter_range(self, playback: RecordingPlayback, start: int, end: int) -> Iterator[bytes]:
        """The bytes ``start..end`` (inclusive) of the playable file, a segment at a time.

        Raises:
            PlaybackError: while iterating, when a covered segment cannot be produced.
        """
        layout = playback.layout
        end = min(end, layout.size - 1)
        init = layout.init
        if start < len(init):
            yield init[start : min(end + 1, len(init))]
        i = max(0, bisect.bisect_right(layout.starts, start) - 1)
        while i < len(layout.starts) and layout.starts[i] <= end:
            seg_start = layout.starts[i]
            seg_end = seg_start + layout.segments[i].size
            if seg_end > start:
                data = self.fragments(playback, i)
                lo = max(start, seg_start) - seg_start
                hi = min(end + 1, seg_end) - seg_start
                yield data[lo:hi]
            i += 1
