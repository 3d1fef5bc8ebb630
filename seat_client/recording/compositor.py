"""Composes the customer picture (large) and the teller picture (inset) into one I420 canvas."""

from __future__ import annotations

import av
import numpy as np

from seat_client.media.convert import frame_to_ndarray

VideoInput = av.VideoFrame | np.ndarray


def _even(value: float) -> int:
    return max(2, int(value) & ~1)


def fit_rect(src_w: int, src_h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """Largest even (w, h) with the source aspect ratio that fits in the box."""
    scale = min(box_w / src_w, box_h / src_h)
    return min(box_w, _even(src_w * scale)), min(box_h, _even(src_h * scale))


def to_i420(frame: VideoInput, width: int, height: int) -> np.ndarray:
    """Scales and converts a frame (av.VideoFrame or BGR ndarray) to packed I420 of shape (h*3/2, w)."""
    if isinstance(frame, np.ndarray):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:, :, :3]), format="bgr24")
    return frame_to_ndarray(frame, width=width, height=height, format="yuv420p")


def frame_size(frame: VideoInput) -> tuple[int, int]:
    """(width, height) of a frame."""
    if isinstance(frame, np.ndarray):
        return int(frame.shape[1]), int(frame.shape[0])
    return int(frame.width), int(frame.height)


class Compositor:
    """Picture-in-picture layout: customer letterboxed full-frame, teller inset bottom-right.

    Args:
        width: canvas width (even).
        height: canvas height (even).
        inset_fraction: inset width as a fraction of the canvas width.
    """

    def __init__(self, width: int, height: int, inset_fraction: float = 0.25) -> None:
        if width % 2 or height % 2:
            raise ValueError("canvas size must be even")
        self.width = width
        self.height = height
        self.inset_w = _even(width * inset_fraction)
        self.inset_h = _even(height * inset_fraction)
        self.margin = _even(height * 0.02)

    def blank(self) -> np.ndarray:
        """A black I420 canvas."""
        canvas = np.empty((self.height * 3 // 2, self.width), np.uint8)
        canvas[: self.height] = 16
        canvas[self.height :] = 128
        return canvas

    def _blit(self, canvas: np.ndarray, pic: np.ndarray, x: int, y: int, w: int, h: int) -> None:
        cw, ch = self.width // 2, self.height // 2
        canvas[y : y + h, x : x + w] = pic[:h]
        src_chroma = pic[h:].reshape(-1)
        dst_chroma = canvas[self.height :].reshape(-1)
        pu = src_chroma[: (w // 2) * (h // 2)].reshape(h // 2, w // 2)
        pv = src_chroma[(w // 2) * (h // 2) :].reshape(h // 2, w // 2)
        du = dst_chroma[: cw * ch].reshape(ch, cw)
        dv = dst_chroma[cw * ch :].reshape(ch, cw)
        du[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = pu
        dv[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = pv

    def compose(self, customer: VideoInput | None, teller: VideoInput | None) -> np.ndarray:
        """Builds a new canvas from the latest frames (either may be missing: its area stays black)."""
        canvas = self.blank()
        if customer is not None:
            sw, sh = frame_size(customer)
            w, h = fit_rect(sw, sh, self.width, self.height)
            x, y = ((self.width - w) // 2) & ~1, ((self.height - h) // 2) & ~1
            self._blit(canvas, to_i420(customer, w, h), x, y, w, h)
        if teller is not None:
            sw, sh = frame_size(teller)
            w, h = fit_rect(sw, sh, self.inset_w, self.inset_h)
            x = self.width - w - self.margin
            y = self.height - h - self.margin
            self._blit(canvas, to_i420(teller, w, h), x, y, w, h)
        return canvas
