"""Snapshot evidence (抓拍): burn a timestamp and the session watermark into a full-resolution frame, encode JPEG."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import cv2
import numpy as np

from seat_client.recording.watermark import ascii_only
from seat_client.workstation.texts import N_

_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class Snapshot:
    """One capture filed as session evidence.

    Attributes:
        snapshot_id: local id (``s1``, ``s2``...) in the order taken.
        session_id: the call.
        taken_at: UTC time of the capture.
        jpeg: the watermarked JPEG.
        sha256: hash of ``jpeg`` (what the trail records).
        width: pixels.
        height: pixels.
    """

    snapshot_id: str
    session_id: str
    taken_at: dt.datetime
    jpeg: bytes
    sha256: str
    width: int
    height: int


def burn_in(rgb: np.ndarray, session_id: str, seat_id: str, taken_at: dt.datetime) -> np.ndarray:
    """A copy of ``rgb`` (HxWx3 uint8) with the Beijing-time timestamp and ``VT <session> <seat>`` in a bar."""
    frame = np.ascontiguousarray(rgb[:, :, :3]).copy()
    h, w = frame.shape[:2]
    scale = max(0.4, w / 1600)
    thickness = max(1, round(scale * 2))
    local = taken_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    text = ascii_only(f"{local:%Y-%m-%d %H:%M:%S} +08:00  VT {session_id}  seat {seat_id}  SNAPSHOT")
    (_tw, th), base = cv2.getTextSize(text, _FONT, scale, thickness)
    bar = th + base + 12
    frame[h - bar :, :] = (frame[h - bar :, :].astype(np.uint16) * 2 // 5).astype(np.uint8)
    cv2.putText(frame, text, (8, h - base - 6), _FONT, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return frame


def make_snapshot(
    rgb: np.ndarray, *, snapshot_id: str, session_id: str, seat_id: str, taken_at: dt.datetime, quality: int = 92
) -> Snapshot:
    """Watermark ``rgb`` and encode it (runs off the event loop: a 1080p JPEG takes tens of ms).

    Raises:
        ValueError: the frame could not be encoded.
    """
    marked = burn_in(rgb, session_id, seat_id, taken_at)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(marked, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(N_("Workstation", "抓拍图片编码失败"))
    jpeg = buf.tobytes()
    return Snapshot(
        snapshot_id, session_id, taken_at, jpeg, hashlib.sha256(jpeg).hexdigest(), marked.shape[1], marked.shape[0]
    )
