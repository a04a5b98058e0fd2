"""Optical flow between frames, warping by it, and the occlusion mask: the base of the temporal work.

Conventions (the ones every function here keeps):

* Images are numpy arrays, float32 in [0, 1], (H, W) luminance or (H, W, C); flow estimation
  runs on 8-bit luminance (:func:`gray_u8`).
* ``flow(a, b)`` is the *backward* flow that pulls ``b`` onto ``a``'s pixel grid: for every pixel
  ``x`` of ``a``, ``a(x) ~ b(x + f(x))``. So ``warp(b, flow(a, b))`` is ``b`` moved to where things
  are in ``a``. (OpenCV's DIS computes exactly this: ``calc(a, b)``.)
* A *valid* mask is True where the warped value can be trusted: the forward-backward check passes
  (the pixel is not occluded or disoccluded between the two frames) and the pixel it comes from lies
  inside the frame.

Flow comes from OpenCV's DIS (Kroeger et al. 2016, ``opencv-python-headless``): hundreds of small
frames per second on one CPU core. OpenCV is imported on first use, not at import time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

import numpy as np

#: DIS preset: "medium" (the quality the metric and the training pairs use), "fast", "ultrafast".
PRESET = "medium"


def _cv2():
    import cv2

    return cv2


def luminance(img: np.ndarray) -> np.ndarray:
    """(H, W) float32 Rec. 601 luminance of a float [0, 1] image, (H, W), (H, W, 1) or (H, W, C>=3)."""
    a = np.asarray(img, dtype=np.float32)
    if a.ndim == 3:
        if a.shape[2] == 1:
            return a[..., 0]
        return a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114
    if a.ndim != 2:
        raise ValueError(f"expected an (H, W) or (H, W, C) image, not shape {a.shape}")
    return a


def gray_u8(img: np.ndarray) -> np.ndarray:
    """(H, W) uint8 luminance (Rec. 601) of a float [0, 1] image, (H, W) or (H, W, C)."""
    return np.clip(luminance(img) * 255.0 + 0.5, 0, 255).astype(np.uint8)


class FlowEstimator:
    """One DIS instance (not thread-safe: one estimator per thread)."""

    def __init__(self, preset: str = PRESET) -> None:
        cv2 = _cv2()
        presets = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
                   "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
                   "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}
        if preset not in presets:
            raise ValueError(f"DIS preset must be one of {', '.join(presets)}, not {preset!r}")
        self.dis = cv2.DISOpticalFlow_create(presets[preset])

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Backward flow (H, W, 2) float32 [dx, dy] that pulls ``b`` onto ``a`` (see the module doc)."""
        return self.gray(gray_u8(a), gray_u8(b))

    def gray(self, ga: np.ndarray, gb: np.ndarray) -> np.ndarray:
        """:meth:`__call__` on frames already made 8-bit luminance (:func:`gray_u8`)."""
        if ga.shape != gb.shape:
            raise ValueError(f"frames differ in size: {ga.shape} and {gb.shape}")
        return self.dis.calc(ga, gb, None)


@lru_cache(maxsize=8)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    gx.flags.writeable = gy.flags.writeable = False  # shared between calls
    return gx, gy


def _coords(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gx, gy = _grid(*flow.shape[:2])
    return gx + flow[..., 0], gy + flow[..., 1]


def warp(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``img`` sampled at ``x + flow(x)`` (bilinear; outside the frame: the nearest edge pixel)."""
    cv2 = _cv2()
    mx, my = _coords(flow)
    a = np.ascontiguousarray(img, dtype=np.float32)
    out = cv2.remap(a, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(a.shape)


def inside(flow: np.ndarray) -> np.ndarray:
    """True where ``x + flow(x)`` lies inside the frame."""
    return _inside(*_coords(flow))


def _inside(mx: np.ndarray, my: np.ndarray) -> np.ndarray:
    h, w = mx.shape
    return (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)


def consistent(flow_ab: np.ndarray, flow_ba: np.ndarray) -> np.ndarray:
    """Forward-backward check on ``a``'s grid (Sundaram et al. 2010, as Ruder et al. 2016 use it).

    ``flow_ab`` pulls ``b`` onto ``a``; ``flow_ba`` pulls ``a`` onto ``b``. Where nothing is
    occluded, going a -> b -> a returns to the start: |f_ab + f_ba(x + f_ab)|^2 is small against
    the motion itself. True where the check passes and the target lies inside the frame.
    """
    cv2 = _cv2()
    mx, my = _coords(flow_ab)
    back = cv2.remap(np.ascontiguousarray(flow_ba, dtype=np.float32), mx, my, interpolation=cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)
    def sq(f: np.ndarray) -> np.ndarray:  # |f|^2 per pixel (numpy's sum over a last axis of 2 is slow)
        return f[..., 0] * f[..., 0] + f[..., 1] * f[..., 1]

    lhs = sq(flow_ab + back)
    rhs = 0.01 * (sq(flow_ab) + sq(back)) + 0.5
    return (lhs < rhs) & _inside(mx, my)


def flow_and_mask(a: np.ndarray, b: np.ndarray, estimator: Optional[FlowEstimator] = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(flow pulling ``b`` onto ``a``, valid mask on ``a``'s grid), from both directions' flow."""
    est = estimator or FlowEstimator()
    ga, gb = gray_u8(a), gray_u8(b)  # once each, for both directions
    f_ab = est.gray(ga, gb)
    f_ba = est.gray(gb, ga)
    return f_ab, consistent(f_ab, f_ba)
