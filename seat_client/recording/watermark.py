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
    The box hides what is under it, so its luma depends only on the text: :meth:`paint_planes` renders it once per
    time text and copies it into each frame (the recorder composes up to 30 pictures a second and the time changes
    once a second), unless the text would reach outside the box, where it is drawn in place as :meth:`paint` does.

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
        self._box_cache: tuple[str, np.ndarray | None] | None = None

    def time_region(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the time line, for tests that check it changes every second."""
        x, y, w, _h = self.box
        return x, y, w, self.line_h + 4

    def _draw_text(self, luma: np.ndarray, x: int, y: int, time_text: str) -> None:
        base = y + self.line_h
        cv2.putText(luma, ascii_only(time_text), (x + 8, base), _FONT, self.scale, 235, self.thickness, cv2.LINE_AA)
        cv2.putText(
            luma, self.identity_line, (x + 8, base + self.line_h), _FONT, self.scale, 235, self.thickness, cv2.LINE_AA
        )

    def box_luma(self, time_text: str) -> np.ndarray | None:
        """The luma of the whole box for ``time_text``, or None if the text reaches outside the box.

        The text is drawn twice around a box of 16, once with a black and once with a white surround: the box is
        only reusable when neither surround changed and both boxes came out the same (no pixel of the text depends
        on what lies outside the box).
        """
        cached = self._box_cache
        if cached is not None and cached[0] == time_text:
            return cached[1]
        _x, _y, bw, bh = self.box
        m = 16
        renders = []
        for surround in (0, 255):
            area = np.full((bh + 2 * m, bw + 2 * m), surround, np.uint8)
            area[m : m + bh, m : m + bw] = 16
            untouched = area.copy()
            self._draw_text(area, m, m, time_text)
            outside = area != untouched
            outside[m : m + bh, m : m + bw] = False
            renders.append(None if outside.any() else area[m : m + bh, m : m + bw].copy())
        box: np.ndarray | None = renders[0]
        if box is None or renders[1] is None or not np.array_equal(box, renders[1]):
            box = None
        self._box_cache = (time_text, box)
        return box

    def paint_planes(self, y: np.ndarray, u: np.ndarray, v: np.ndarray, time_text: str) -> None:
        """Draws the watermark in place on a yuv420p picture given as its three plane views (h, w)."""
        x, y0, bw, bh = self.box
        u[y0 // 2 : (y0 + bh) // 2, x // 2 : (x + bw) // 2] = 128
        v[y0 // 2 : (y0 + bh) // 2, x // 2 : (x + bw) // 2] = 128
        box = self.box_luma(time_text)
        if box is not None:
            y[y0 : y0 + bh, x : x + bw] = box
            return
        y[y0 : y0 + bh, x : x + bw] = 16
        luma = np.ascontiguousarray(y)
        self._draw_text(luma, x, y0, time_text)
        if luma is not y:
            y[:] = luma

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
        self._draw_text(luma, x, y, time_text)
