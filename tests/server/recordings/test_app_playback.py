"""点播 through the real server: one continuous MP4 per recording, served by byte ranges (as QMediaPlayer reads)."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import av
import pytest

from server.recordings.store import RecordingStore
from tests.server.conftest import LiveServer, wait_for
from tests.server.recordings.segments import record_degraded_call, upload
from tests.server.recordings.test_app_recordings import answered_call


async def test_degraded_recording_plays_as_one_part_with_range_requests(live: LiveServer, tmp_path: Path) -> None:
    sid = await answered_call(live)
    rec = live.app.state.recordings
    cfg, paths = record_degraded_call(tmp_path / "spool", rec.keys.recording_key, session_id=sid)
    store: RecordingStore = rec.store
    metas: list[dict[str, Any]] = []
    for path in paths:
        stored = upload(store, "seat-a", cfg.recording_id, sid, len(metas), path.read_bytes())
        metas.append(stored.meta)
    await wait_for(lambda: any(e.kind == "seal" for e in rec.ledger.entries(sid)))
    media_s = metas[-1]["start_s"] + metas[-1]["duration_s"]

    res = await live.http.get(f"/api/recordings/sessions/{sid}", headers=await live.auth_headers("seat-a"))
    assert res.status_code == 200, res.text
    view = res.json()
    # 30 fps, 15 fps and 30 fps again: still one part, one continuous MP4.
    assert len(view["parts"]) == 1, view["parts"]
    part = view["parts"][0]
    assert part["segments"] == len(paths) and part["recording_id"] == cfg.recording_id
    assert part["start_s"] == 0.0 and part["duration_s"] == pytest.approx(media_s, abs=0.002)
    assert view["duration_s"] == pytest.approx(media_s, abs=0.002)
    url, size = part["url"], part["size"]

    whole = await live.http.get(url)
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes" and int(whole.headers["content-length"]) == size
    data = whole.content
    assert len(data) == size and data[4:8] == b"ftyp"

    head = await live.http.get(url, headers={"Range": "bytes=0-1023"})
    assert head.status_code == 206 and head.headers["content-type"] == "video/mp4"
    assert head.headers["content-range"] == f"bytes 0-1023/{size}" and head.content == data[:1024]
    assert int(head.headers["content-length"]) == 1024
    # Ranges inside and across segments, open-ended and suffix ranges, as players ask for them.
    for start, end in ((1000, 30_000), (size // 2, size // 2 + 5000), (size - 10, size - 1)):
        res = await live.http.get(url, headers={"Range": f"bytes={start}-{end}"})
        assert res.status_code == 206 and res.content == data[start : end + 1]
        assert res.headers["content-range"] == f"bytes {start}-{end}/{size}"
    res = await live.http.get(url, headers={"Range": f"bytes={size // 3}-"})
    assert res.status_code == 206 and res.content == data[size // 3 :]
    res = await live.http.get(url, headers={"Range": "bytes=-500"})
    assert res.status_code == 206 and res.content == data[-500:]
    res = await live.http.get(url, headers={"Range": f"bytes={size}-"})
    assert res.status_code == 416 and res.headers["content-range"] == f"bytes */{size}"
    assert (await live.http.get(url.replace("parts/0.mp4", "parts/1.mp4"))).status_code == 404

    with av.open(io.BytesIO(data), mode="r") as c:
        assert float(c.duration or 0) / av.time_base == pytest.approx(media_s, abs=0.05)
        times = []
        for f in c.decode(c.streams.video[0]):
            assert f.pts is not None and f.time_base is not None
            times.append(float(f.pts * f.time_base))
    assert len(times) == sum(int(m["frames"]) for m in metas)
    assert all(b > a for a, b in itertools.pairwise(times))
    # The 15 fps stretch plays at 15 fps, the rest at 30: the picture times are the recorder's.
    steps = {round(b - a, 3) for a, b in itertools.pairwise(times)}
    assert steps == {0.033, 0.067}, steps
