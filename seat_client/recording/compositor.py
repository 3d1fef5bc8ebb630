"""Composes the customer picture (large) and the teller picture (inset) into one I420 canvas.

:meth:`Compositor.compose_frame` writes straight into the planes of a new ``av.VideoFrame`` that goes to the encoder
as it is; :meth:`Compositor.compose` builds the same picture as one packed I420 array (tests, tools). Per 720p
frame the direct path saves four full-picture copies (packing the source planes, blitting them, copying the
canvas for the watermark and copying it into a frame for the encoder).
"""

from __future__ import annotations

import av
import numpy as np

from seat_client.media.convert import frame_to_ndarray, plane_views, reformat_frame

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


def to_i420_frame(frame: VideoInput, width: int, height: int) -> av.VideoFrame:
    """Scales and converts a frame to a yuv420p ``av.VideoFrame`` (the input itself when nothing is to be done)."""
    if isinstance(frame, np.ndarray):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:, :, :3]), format="bgr24")
    return reformat_frame(frame, width=width, height=height, format="yuv420p")


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

    def _rects(
        self, customer: VideoInput | None, teller: VideoInput | None
    ) -> list[tuple[VideoInput, int, int, int, int]]:
        """(picture, x, y, w, h) of what is drawn: the customer letterboxed, then the teller's inset."""
        out = []
        if customer is not None:
            sw, sh = frame_size(customer)
            w, h = fit_rect(sw, sh, self.width, self.height)
            out.append((customer, ((self.width - w) // 2) & ~1, ((self.height - h) // 2) & ~1, w, h))
        if teller is not None:
            sw, sh = frame_size(teller)
            w, h = fit_rect(sw, sh, self.inset_w, self.inset_h)
            out.append((teller, self.width - w - self.margin, self.height - h - self.margin, w, h))
        return out

    def compose_frame(self, customer: VideoInput | None, teller: VideoInput | None) -> av.VideoFrame:
        """The same picture as :meth:`compose`, written into a new yuv420p frame (the sources are only read)."""
        out = av.VideoFrame(self.width, self.height, "yuv420p")
        dy, du, dv = plane_views(out)
        rects = self._rects(customer, teller)
        if customer is None or rects[0][3:] != (self.width, self.height):  # black where the customer is not
            dy[:] = 16
            du[:] = 128
            dv[:] = 128
        for picture, x, y, w, h in rects:
            sy, su, sv = plane_views(to_i420_frame(picture, w, h))
            dy[y : y + h, x : x + w] = sy[:h, :w]
            du[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = su[: h // 2, : w // 2]
            dv[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = sv[: h // 2, : w // 2]
        return out

    def compose(self, customer: VideoInput | None, teller: VideoInput | None) -> np.ndarray:
        """Builds a new canvas from the latest frames (either may be missing: its area stays black)."""
        canvas = self.blank()
        for picture, x, y, w, h in self._rects(customer, teller):
            self._blit(canvas, to_i420(picture, w, h), x, y, w, h)
        return canvas
