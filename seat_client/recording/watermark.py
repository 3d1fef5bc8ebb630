"""Burned-in recording watermark (双录水印): server-synchronised time, seat id, session id, masked customer id."""

from __future__ import annotations

import datetime as dt
import re

import cv2
import numpy as np

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_NON_ASCII = re.compile(r"[^\x20-\x7e]")


def mask_customer_id(customer_id: str) -> str:
    """Masks a customer identifier for display and logs (keeps at most the first 3 and last 4 characters).

    Args:
        customer_id: an ID-card, account or phone number (or an already masked value).

    Returns:
        ``110***********1234`` style text; short values keep only their last character.
    """
    value = customer_id.strip()
    n = len(value)
    if n == 0:
        return ""
    if n >= 11:
        return value[:3] + "*" * (n - 7) + value[-4:]
    if n >= 6:
        return value[:1] + "*" * (n - 3) + value[-2:]
    return "*" * (n - 1) + value[-1:]


def ascii_only(text: str) -> str:
    """Replaces characters Hershey fonts cannot draw with '?'."""
    return _NON_ASCII.sub("?", text)


def format_watermark_time(epoch_s: float, utc_offset_hours: float = 8.0) -> str:
    """Formats a server-synchronised epoch time to the second, e.g. ``2026-11-21 13:09:27 +08:00``."""
    tz = dt.timezone(dt.timedelta(hours=utc_offset_hours))
    stamp = dt.datetime.fromtimestamp(int(epoch_s), tz)
    sign = "+" if utc_offset_hours >= 0 else "-"
    minutes = round(abs(utc_offset_hours) * 60)
    return stamp.strftime("%Y-%m-%d %H:%M:%S") + f" {sign}{minutes // 60:02d}:{minutes % 60:02d}"


class WatermarkPainter:
    """Draws the two-line watermark into the top-left corner of an I420 (yuv420p) picture.

    The text goes on the luma plane over a black box whose chroma is neutral, so it is legible on any picture.

    Args:
        width: picture width (even).
        height: picture height (even).
        identity_line: the static second line (seat, session, masked customer), ASCII.
    """

    def __init__(self, width: int, height: int, identity_line: str) -> None:
        self.width = width
        self.height = height
        self.identity_line = ascii_only(identity_line)
        self.scale = max(0.4, height / 1200)
        self.thickness = 1 if height < 900 else 2
        (w1, h1), b1 = cv2.getTextSize("0000-00-00 00:00:00 +00:00", _FONT, self.scale, self.thickness)
        (w2, _h2), _b2 = cv2.getTextSize(self.identity_line, _FONT, self.scale, self.thickness)
        self.line_h = h1 + b1 + 6
        self.margin = 8
        box_w = min(width - 2 * self.margin, max(w1, w2) + 16)
        box_h = 2 * self.line_h + 10
        # Chroma planes are half size: keep the box on even coordinates.
        self.box = (self.margin, self.margin, (box_w + 1) & ~1, (box_h + 1) & ~1)

    def time_region(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the time line, for tests that check it changes every second."""
        x, y, w, _h = self.box
        return x, y, w, self.line_h + 4

    def paint(self, i420: np.ndarray, time_text: str) -> None:
        """Draws the watermark in place on a packed I420 array of shape (h*3/2, w)."""
        w, h = self.width, self.height
        x, y, bw, bh = self.box
        luma = i420[:h]
        luma[y : y + bh, x : x + bw] = 16
        # U and V planes follow the luma plane, each (h/2, w/2), stored row-packed in the (h/2, w) tail.
        chroma = i420[h:].reshape(-1)
        cw, ch = w // 2, h // 2
        u = chroma[: cw * ch].reshape(ch, cw)
        v = chroma[cw * ch :].reshape(ch, cw)
        u[y // 2 : (y + bh) // 2, x // 2 : (x + bw) // 2] = 128
        v[y // 2 : (y + bh) // 2, x // 2 : (x + bw) // 2] = 128
        base = y + self.line_h
        cv2.putText(luma, ascii_only(time_text), (x + 8, base), _FONT, self.scale, 235, self.thickness, cv2.LINE_AA)
        cv2.putText(
            luma, self.identity_line, (x + 8, base + self.line_h), _FONT, self.scale, 235, self.thickness, cv2.LINE_AA
        )
