"""The burned-in watermark reads back with real OCR (RapidOCR, models inside the wheel) from the decoded recording."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from seat_client.recording.clock import FakeClock
from seat_client.recording.recorder import CallRecorder, RecorderConfig
from seat_client.recording.spool import SegmentSpool
from seat_client.recording.watermark import format_watermark_time

from .helpers import SyntheticCall, decode_mp4, decrypt_file

rapidocr = pytest.importorskip("rapidocr")

WALL0 = 1_800_000_000.4


def test_watermark_reads_back_with_server_time_and_masked_ids(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    clock = FakeClock()
    cfg = RecorderConfig(
        session_id="S20261121A",
        seat_id="seat-07",
        customer_id="110101199001011234",
        segment_seconds=2.0,
        server_clock_offset_s=0.3,
    )
    rec = CallRecorder(cfg, server_key.public_key(), SegmentSpool(tmp_path), clock=clock, wall_clock=lambda: WALL0)
    rec.start(threaded=False)
    SyntheticCall(rec, clock, customer_size=(1280, 720)).run(1.0, step=1 / 30)
    (segment,) = rec.stop()
    _meta, mp4 = decrypt_file(segment.path, server_key)
    frames = decode_mp4(mp4, keep_frames=True).frames
    x, y, w, h = rec._painter.box
    engine = rapidocr.RapidOCR()
    # Server time = WALL0 + 0.3 + i/30: frame 0 is in second ...000, frame 15 in second ...001.
    for index, second in ((0, 1_800_000_000), (15, 1_800_000_001)):
        crop = cv2.cvtColor(frames[index][y : y + h, x : x + w], cv2.COLOR_GRAY2BGR)
        text = " ".join(engine(crop).txts or ()).replace(" ", "")
        assert format_watermark_time(second, 8).replace(" ", "") in text
        assert "SEATseat-07" in text and "SESSIONS20261121A" in text
        assert "110***********1234" in text
        assert "199001011" not in text
