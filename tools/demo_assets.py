"""Small procedurally generated demo assets: style sketches, content photos and video clips.

A developer tool beside the package, not part of it (no rule uses it): ``python tools/make_demo.py``
redraws the committed ``demo/`` tree. Everything here is deterministic and offline:

* :func:`draw_sketch` draws black-and-white pen "sketches" (the style images the network learns
  strokes from) with numpy + Pillow: anti-aliased, pressure-varying strokes on a 4x supersampled
  sheet, ink layers multiplied onto slightly grainy white paper.
* :func:`make_content_images` writes a few photos bundled with scikit-image (no downloads).
* :func:`make_clip` renders a slow pan-and-zoom over a photo and pipes the raw frames into ffmpeg
  (H.264 yuv420p, optional AAC soundtrack synthesised by ffmpeg's ``aevalsrc`` source).
* :func:`make_demo` writes the whole ``demo/`` tree.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Optional

import ffmpeg
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from sketchbook.config import parse_fps
from sketchbook.errors import ConfigError

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

SKETCH_STYLES: tuple[str, ...] = ("hatch", "scribble")
"""Styles :func:`draw_sketch` knows."""

CONTENT_PHOTOS: tuple[str, ...] = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
)
"""scikit-image sample images that ship inside the wheel (they load without pooch/network)."""

AUDIO_PRESETS: tuple[str, ...] = ("chime", "melody", "chord")
"""Soundtracks :func:`make_clip` can synthesise."""

_SS = 4  # supersampling factor of the drawing sheet
_LIGHT = np.array([-0.55, -0.5, 0.67]) / np.linalg.norm([-0.55, -0.5, 0.67])  # x right, y down, z out


# --------------------------------------------------------------------------------------------
# small geometry / noise helpers
# --------------------------------------------------------------------------------------------


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: float) -> FloatArray:
    """Value noise in about [-1, 1] with blobs roughly ``cell`` pixels across."""
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    grid = rng.uniform(-1.0, 1.0, (gh, gw)).astype(np.float32)
    img = Image.fromarray(grid).resize((w, h), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.float64)


def _wiggle(rng: np.random.Generator, n: int, amp: float, cycles: float) -> FloatArray:
    """A smooth 1-D tremor of ``n`` samples: a few sines, about ``cycles`` waves over the run."""
    t = np.linspace(0.0, 1.0, n)
    out = np.zeros(n)
    for k in range(3):
        f = rng.uniform(0.5, 1.2) * max(cycles, 0.2) * (k + 1)
        out += rng.uniform(0.6, 1.0) / (k + 1) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    return amp * out / 1.4


def _resample(pts: FloatArray, step: float) -> FloatArray:
    """A polyline resampled at (about) constant arc-length ``step``."""
    pts = np.asarray(pts, dtype=np.float64)
    if len(pts) < 2:
        return pts
    seg = np.hypot(*np.diff(pts, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] < 1e-9:
        return pts[:1]
    n = max(2, int(math.ceil(s[-1] / step)) + 1)
    u = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(u, s, pts[:, 0]), np.interp(u, s, pts[:, 1])], axis=1)


def _normals(pts: FloatArray) -> FloatArray:
    d = np.gradient(pts, axis=0)
    nrm = np.stack([-d[:, 1], d[:, 0]], axis=1)
    return nrm / np.maximum(np.hypot(nrm[:, 0], nrm[:, 1]), 1e-9)[:, None]


def _spline(ctrl: Sequence[tuple[float, float]], n_per: int = 16, closed: bool = False) -> FloatArray:
    """Catmull-Rom curve through the control points."""
    p = np.asarray(ctrl, dtype=np.float64)
    p = np.concatenate([p[-1:], p, p[:2]]) if closed else np.concatenate([p[:1], p, p[-1:]])
    t = np.linspace(0.0, 1.0, n_per, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    out.append(p[-2][None])
    return np.concatenate(out)


def _ellipse(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 96) -> FloatArray:
    a = np.linspace(a0, a1, n)
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def _poly_mask(size: int, pts: Sequence[tuple[float, float]]) -> BoolArray:
    """Pixels inside a polygon given in normalised [0, 1] coordinates."""
    img = Image.new("L", (size, size), 0)
    ImageDraw.Draw(img).polygon([(x * size, y * size) for x, y in pts], fill=1)
    return np.asarray(img) > 0


def _runs(ok: BoolArray) -> list[tuple[int, int]]:
    """Half-open index ranges where ``ok`` is true."""
    d = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def _sample(grid: NDArray[np.generic], pts: FloatArray) -> NDArray[np.generic]:
    """Nearest-pixel lookup of ``grid`` at pixel coordinates ``pts``."""
    h, w = grid.shape[:2]
    ix = np.clip(pts[:, 0].astype(np.int64), 0, w - 1)
    iy = np.clip(pts[:, 1].astype(np.int64), 0, h - 1)
    return grid[iy, ix]


def _smoothstep(e0: float, e1: float, x: FloatArray) -> FloatArray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


# --------------------------------------------------------------------------------------------
# the drawing sheet and the pen
# --------------------------------------------------------------------------------------------


class _Sheet:
    """A supersampled sheet of paper. Strokes go onto an ink layer; ``flush`` multiplies the layer
    into the sheet's transmittance, so crossing layers (cross-hatching, overlapping scribbles)
    get darker like real ink does."""

    def __init__(self, size: int, rng: np.random.Generator) -> None:
        self.size = size
        self.rng = rng
        n = size * _SS
        self.trans = np.ones((n, n), dtype=np.float32)
        self.layer = Image.new("L", (n, n), 255)
        self.draw = ImageDraw.Draw(self.layer)
        self.box: list[float] | None = None

    def stroke(self, pts: FloatArray, width: FloatArray | float, ink: FloatArray | float) -> None:
        """A variable-width polyline; ``pts`` in output pixels, ``width`` in output pixels,
        ``ink`` the grey level of the ink (0 black .. 255 none)."""
        n = len(pts)
        if n < 2:
            return
        p = np.asarray(pts, dtype=np.float64) * _SS
        w = np.broadcast_to(np.asarray(width, dtype=np.float64) * _SS, (n,))
        f = np.broadcast_to(np.asarray(ink, dtype=np.float64), (n,))
        wq = np.maximum(1, np.rint(w)).astype(int).tolist()
        fq = np.clip(np.rint(f / 4) * 4, 0, 255).astype(int).tolist()
        xy = [tuple(q) for q in p.tolist()]
        draw = self.draw
        r = wq[0] / 2
        draw.ellipse((xy[0][0] - r, xy[0][1] - r, xy[0][0] + r, xy[0][1] + r), fill=fq[0])
        i = 0
        while i < n - 1:
            j = i + 1
            while j < n - 1 and j - i < 24 and wq[j] == wq[i] and fq[j] == fq[i]:
                j += 1
            draw.line(xy[i : j + 1], fill=fq[i], width=wq[i], joint="curve")
            r = wq[i] / 2
            x, y = xy[j]
            draw.ellipse((x - r, y - r, x + r, y + r), fill=fq[i])
            i = j
        m = max(wq) + 2
        lo, hi = p.min(axis=0) - m, p.max(axis=0) + m
        if self.box is None:
            self.box = [lo[0], lo[1], hi[0], hi[1]]
        else:
            b = self.box
            self.box = [min(b[0], lo[0]), min(b[1], lo[1]), max(b[2], hi[0]), max(b[3], hi[1])]

    def flush(self) -> None:
        """Multiply the current ink layer into the sheet and start a fresh layer."""
        if self.box is None:
            return
        n = self.size * _SS
        x0, y0 = max(0, int(self.box[0])), max(0, int(self.box[1]))
        x1, y1 = min(n, int(self.box[2]) + 1), min(n, int(self.box[3]) + 1)
        self.box = None
        if x1 <= x0 or y1 <= y0:
            return
        crop = np.asarray(self.layer.crop((x0, y0, x1, y1)), dtype=np.float32) / 255.0
        self.trans[y0:y1, x0:x1] *= crop
        self.draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=255)

    def finish(self) -> Image.Image:
        """Downsample (box filter = anti-aliasing) and put the ink on slightly uneven paper."""
        self.flush()
        s, rng = self.size, self.rng
        t = self.trans.reshape(s, _SS, s, _SS).mean(axis=(1, 3), dtype=np.float64)
        ink = 1.0 - t
        # ink never lies perfectly evenly: a little grain, a little blotch
        ink *= 1.0 - 0.10 * rng.random((s, s)) - 0.05 * (_smooth_noise(rng, s, s, 3.0) + 1) / 2
        paper = 251.0 + 2.0 * _smooth_noise(rng, s, s, s / 3) + 0.8 * rng.standard_normal((s, s))
        out = np.clip(paper, 245.0, 255.0) * (1.0 - ink)
        return Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8))


def _pen(
    sheet: _Sheet,
    base: FloatArray,
    *,
    width: float,
    ink: float,
    wobble: float = 0.5,
    wavelength: float = 40.0,
    taper: tuple[float, float] = (4.0, 6.0),
    pressure_var: float = 0.15,
    bow: float = 0.0,
    step: float = 1.0,
) -> None:
    """One pen stroke along ``base`` (pixels): hand tremor, a slight bow, tapered ends, and
    pressure that varies along the stroke (wider and darker when pressed)."""
    rng = sheet.rng
    pts = _resample(base, step)
    n = len(pts)
    if n < 2:
        return
    length = (n - 1) * step
    nrm = _normals(pts)
    off = _wiggle(rng, n, wobble, length / wavelength)
    if bow:
        u = np.linspace(-1.0, 1.0, n)
        off = off + bow * length * (1.0 - u * u) * 0.5
    pts = pts + nrm * off[:, None]
    s = np.linspace(0.0, length, n)
    ta, tb = taper
    ramp = np.minimum(1.0, np.minimum(s / max(ta, 1e-6), (length - s) / max(tb, 1e-6)))
    prof = 0.3 + 0.7 * np.sqrt(np.clip(ramp, 0.0, 1.0))
    press = prof * (1.0 + pressure_var * _wiggle(rng, n, 1.0, max(length / 50.0, 0.3)))
    widths = width * press
    inks = ink + (1.0 - press) * 90.0
    sheet.stroke(pts, widths, inks)


# --------------------------------------------------------------------------------------------
# shared scene machinery: tone maps, hatching, scribbling, occlusion-aware contours
# --------------------------------------------------------------------------------------------


def _straight_lines(
    rng: np.random.Generator, bbox: tuple[float, float, float, float], angle: float, spacing: float
) -> list[FloatArray]:
    """Parallel lines (pixels) covering ``bbox`` at ``angle`` degrees, spaced ~``spacing``."""
    x0, y0, x1, y1 = bbox
    c = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    r = math.hypot(x1 - x0, y1 - y0) / 2 + 2
    a = math.radians(angle)
    d = np.array([math.cos(a), math.sin(a)])
    nv = np.array([-math.sin(a), math.cos(a)])
    out = []
    off = -r + rng.uniform(0, spacing)
    while off < r:
        m = c + nv * off
        out.append(np.stack([m - d * r, m + d * r]))
        off += spacing * (1 + 0.18 * rng.uniform(-1, 1))
    return out


def _bbox(mask: BoolArray, pad: float = 2.0) -> tuple[float, float, float, float] | None:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return (xs.min() - pad, ys.min() - pad, xs.max() + 1 + pad, ys.max() + 1 + pad)


def _hatch_layer(
    sheet: _Sheet,
    cond: BoolArray,
    lines: Iterable[FloatArray],
    *,
    width: float,
    ink: float,
    patch: float,
    min_len: float,
    bow: float = 0.03,
    wobble: float = 0.35,
) -> None:
    """Hatch strokes along ``lines`` wherever ``cond`` holds. Strokes break at patch boundaries
    common to neighbouring lines (so the hatching comes in blocks of similar strokes, as drawn by
    a hand that moves on after every few centimetres), with slightly ragged ends."""
    rng = sheet.rng
    for line in lines:
        pts = _resample(line, 1.0)
        if len(pts) < 2:
            continue
        ok = _sample(cond, pts).astype(bool)
        if not ok.any():
            continue
        phase = rng.uniform(-0.12, 0.12) * patch
        breaks = np.floor((np.arange(len(pts)) + phase) / patch)
        for s, e in _runs(ok):
            s = max(0, s + int(rng.integers(-1, 3)))
            e = min(len(pts), e - int(rng.integers(-1, 3)))
            cuts = [s] + [i for i in range(s + 1, e) if breaks[i] != breaks[i - 1]] + [e]
            for a, b in zip(cuts[:-1], cuts[1:]):
                a = max(s, a - int(rng.integers(0, 3)))
                if b - a < min_len:
                    continue
                _pen(
                    sheet,
                    pts[a:b],
                    width=width * rng.uniform(0.85, 1.15),
                    ink=ink + rng.uniform(-12, 12),
                    wobble=wobble,
                    wavelength=30.0,
                    taper=(2.5, 5.0),
                    bow=bow * rng.uniform(0.3, 1.0),
                )
    sheet.flush()


def _scribble_fill(
    sheet: _Sheet,
    tone: FloatArray,
    cond: BoolArray,
    *,
    radius: float,
    angle: float,
    tight: float,
    loose: float,
    width: float,
    ink: float,
) -> None:
    """Ballpoint tonal scribble: the pen runs in loops while its centre sweeps back and forth
    over the area; where ``tone`` is dark the centre moves slowly (dense overlapping loops),
    where it is light the loops stretch out. Ink only where ``cond`` holds."""
    rng = sheet.rng
    bb = _bbox(cond, pad=radius * 2)
    if bb is None:
        return
    x0, y0, x1, y1 = bb
    c = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    r = math.hypot(x1 - x0, y1 - y0) / 2
    a = math.radians(angle)
    dv = np.array([math.cos(a), math.sin(a)])
    nv = np.array([-math.sin(a), math.cos(a)])
    spacing = radius * 1.25
    off = -r + rng.uniform(0, spacing)
    row = 0
    ds = 0.5
    while off < r:
        s = np.arange(-r, r, ds)
        if row % 2:
            s = s[::-1]
        wander = _wiggle(rng, len(s), 0.6 * radius, 2 * r / (7 * radius))
        cen = c + dv * s[:, None] + nv * (off + wander)[:, None]
        inside = _sample(cond, cen).astype(bool)
        row += 1
        off += spacing * (1 + 0.15 * rng.uniform(-1, 1))
        # skip rows that never come near the area (cheap test on a widened band)
        near = inside.any() or _sample(cond, cen + nv * radius).any() or _sample(cond, cen - nv * radius).any()
        if not near:
            continue
        tc = np.clip(_sample(tone, cen).astype(np.float64), 0.0, 1.0)
        adv = radius * (tight + (loose - tight) * (1.0 - tc) ** 1.5)  # centre travel per loop
        adv *= 1.0 + 0.3 * _wiggle(rng, len(s), 1.0, 2 * r / (5 * radius))
        theta = np.cumsum(2 * np.pi * ds / adv) + rng.uniform(0, 2 * np.pi)
        idx = np.searchsorted(theta, np.arange(theta[0], theta[-1], 0.32))
        idx = np.clip(idx, 0, len(theta) - 1)
        th = theta[idx]
        rad = radius * (1.0 + 0.35 * _wiggle(rng, len(idx), 1.0, len(idx) / 45.0))
        tilt = a + rng.uniform(-0.5, 0.5) + 0.5 * _wiggle(rng, len(idx), 1.0, len(idx) / 150.0)
        ratio = np.clip(0.8 + 0.2 * _wiggle(rng, len(idx), 1.0, len(idx) / 80.0), 0.45, 1.0)[:, None]
        e1 = np.stack([np.cos(tilt), np.sin(tilt)], axis=1)
        e2 = np.stack([-np.sin(tilt), np.cos(tilt)], axis=1)
        pen = cen[idx] + rad[:, None] * (np.cos(th)[:, None] * e1 + ratio * np.sin(th)[:, None] * e2)
        ok = _sample(cond, pen).astype(bool)
        for s0, s1 in _runs(ok):
            while s1 - s0 >= 4:
                e = min(s1, s0 + int(rng.integers(120, 260)))
                sheet.stroke(
                    pen[s0:e],
                    width * (1.0 + 0.12 * _wiggle(rng, e - s0, 1.0, (e - s0) / 40.0)),
                    ink + 14 * _wiggle(rng, e - s0, 1.0, (e - s0) / 30.0),
                )
                sheet.flush()  # separate strokes darken where they cross
                s0 = e - 1


def _visible(pts: FloatArray, zbuf: FloatArray, z: float) -> BoolArray:
    return _sample(zbuf, pts) <= z + 0.5


def _contour(
    sheet: _Sheet,
    pts_norm: FloatArray,
    *,
    z: float,
    zbuf: FloatArray,
    width: float,
    ink: float,
    tone: FloatArray | None = None,
    passes: int = 1,
    jitter: float = 0.6,
    overshoot: float = 0.0,
    max_len: float = 140.0,
    wobble: float = 0.6,
) -> None:
    """Outline drawn in pen, hidden where something nearer covers it. Long outlines are drawn
    in several strokes; ``passes`` > 1 re-traces parts of it (a searching, sketchy line);
    ``tone`` thickens the line on the shadow side."""
    rng = sheet.rng
    size = sheet.size
    pts = _resample(np.asarray(pts_norm) * size, 1.0)
    if len(pts) < 2:
        return
    vis = _visible(pts, zbuf, z)
    for p in range(passes):
        for s, e in _runs(vis):
            if p > 0:  # re-trace only a part
                span = e - s
                a = s + int(rng.uniform(0, 0.5) * span)
                b = a + int(rng.uniform(0.35, 0.9) * span)
                s, e = a, min(e, b)
            while e - s >= 3:
                b = min(e, s + int(rng.uniform(0.6, 1.0) * max_len))
                if e - b < 12:
                    b = e
                seg = pts[s:b].copy()
                if p > 0 or jitter:
                    seg += _normals(seg) * (_wiggle(rng, len(seg), jitter * (1 + p), len(seg) / 60.0))[:, None]
                if overshoot and len(seg) > 4:
                    d0 = seg[0] - seg[3]
                    d1 = seg[-1] - seg[-4]
                    d0 /= max(np.hypot(*d0), 1e-9)
                    d1 /= max(np.hypot(*d1), 1e-9)
                    seg = np.concatenate(
                        [seg[:1] + d0 * overshoot * rng.uniform(0.2, 1.0), seg, seg[-1:] + d1 * overshoot * rng.uniform(0.2, 1.0)]
                    )
                w = width
                if tone is not None:
                    w = width * (0.75 + 0.6 * float(np.mean(_sample(tone, seg))))
                _pen(
                    sheet,
                    seg,
                    width=w * rng.uniform(0.9, 1.1) * (0.8 if p else 1.0),
                    ink=ink + (25 if p else 0),
                    wobble=wobble,
                    wavelength=50.0,
                    taper=(5.0, 8.0),
                )
                s = b - int(rng.integers(0, 3))
        sheet.flush()


# --------------------------------------------------------------------------------------------
# both sketches: the pen unit, jitter
# --------------------------------------------------------------------------------------------


def _pen_unit(size: int) -> float:
    """Line widths and spacings scale with the sheet (384 px = 1), never hair-thin."""
    return max(size / 384.0, 0.6)


def _jit(rng: np.random.Generator, v: float) -> float:
    """A uniform offset in [-v, v]: the hand never puts a shape exactly where it was meant."""
    return float(rng.uniform(-v, v))


# --------------------------------------------------------------------------------------------
# style "hatch": a still life in fineliner, contours + parallel and cross hatching
# --------------------------------------------------------------------------------------------

_HATCH_THRESHOLDS = (0.17, 0.4, 0.6, 0.8)
"""Tone above which each hatching layer inks (lightest layer first)."""

_HATCH_ANGLES: dict[int, tuple[int | None, ...]] = {  # label -> hatch angle (degrees, y down) per layer
    0: (-62, 28, -62, 28),
    1: (-4, -40, 30, -4),
    2: (0, -50, 40, 90),
    3: (-40, 0, -40, 0),
    4: (90, -45, 45, 0),
    5: (90, -40, 35, 0),
    6: (None, -52, 38, 5),  # None: strokes that follow the form (the vase's sections)
    7: (-45, 40, 0, 90),
    8: (None, -35, 55, 10),  # (the apple: crescents around its highlight)
}


class _StillLife:
    """The hatch sketch's scene: a box, a vase and an apple on a table against a wall, as maps
    the size of the sheet: ``tone`` (0 paper .. 1 darkest), ``zbuf`` (depth, nearer is larger:
    it hides contours) and ``label`` (0 wall, 1 table top, 2 table front, 3-5 the box's top,
    front and side, 6 the vase, 7 its mouth, 8 the apple), with the shapes' geometry (in [0, 1]
    sheet coordinates) that the strokes follow. The objects are set up in a fixed order, which
    fixes the random draws."""

    def __init__(self, size: int, rng: np.random.Generator) -> None:
        self.size = size
        self.rng = rng
        self.Y, self.X = (np.mgrid[0:size, 0:size] + 0.5) / size
        self.tb = 0.64 + _jit(rng, 0.015)  # table, back edge
        self.tf = 0.88 + _jit(rng, 0.01)  # table, front edge
        self.tone = np.zeros((size, size))
        self.zbuf = np.zeros((size, size))
        self.label = np.zeros((size, size), dtype=np.int16)
        self._wall_and_table()
        self._box()
        self._vase()
        self._apple()
        self.tone = np.clip(self.tone, 0, 1)

    def _wall_and_table(self) -> None:
        X, Y, tone, label, tf = self.X, self.Y, self.tone, self.label, self.tf
        # the wall: darker to the right (light comes from the upper left), fading out at the edges
        dist = np.hypot(X - 0.55, (Y - 0.45) * 1.3)
        wall = 0.06 + 0.46 * _smoothstep(0.05, 0.9, X)
        wall *= _smoothstep(0.0, 0.22, Y) * np.clip(1.2 - 1.4 * np.maximum(dist - 0.25, 0), 0, 1)
        tone[:] = wall
        top = (Y >= self.tb) & (Y < tf)
        label[top] = 1
        tone[top] = (0.05 + 0.08 * X)[top]
        front = Y >= tf
        label[front] = 2
        tone[front] = (0.42 + 0.15 * X + 0.4 * _smoothstep(tf + 0.035, tf + 0.015, Y))[front]

    def _box(self) -> None:
        """A box behind, to the right, and its shadow on the table."""
        X, Y, tone, label, size, rng = self.X, self.Y, self.tone, self.label, self.size, self.rng
        bx0, bx1, by0, by1 = 0.57 + _jit(rng, 0.01), 0.82 + _jit(rng, 0.01), 0.47 + _jit(rng, 0.01), 0.72
        dx, dy = 0.085, -0.07
        self.bx0, self.bx1, self.by0, self.by1, self.dx, self.dy = bx0, bx1, by0, by1, dx, dy
        box_front = _poly_mask(size, [(bx0, by0), (bx1, by0), (bx1, by1), (bx0, by1)])
        box_top = _poly_mask(size, [(bx0, by0), (bx1, by0), (bx1 + dx, by0 + dy), (bx0 + dx, by0 + dy)])
        box_side = _poly_mask(size, [(bx1, by0), (bx1 + dx, by0 + dy), (bx1 + dx, by1 + dy), (bx1, by1)])
        box_shadow = _poly_mask(
            size, [(bx1, by1), (bx1 + dx, by1 + dy), (bx1 + dx + 0.09, by1 + dy + 0.015), (bx1 + 0.06, by1 + 0.03)]
        ) & (label == 1)
        tone[box_shadow] = 0.72
        for m, lab, t in ((box_top, 3, 0.1), (box_front, 4, None), (box_side, 5, 0.78)):
            label[m] = lab
            self.zbuf[m] = 1
            tone[m] = t if t is not None else (0.36 + 0.18 * (X - bx0) / (bx1 - bx0) + 0.1 * (Y - by0) / (by1 - by0))[m]

    def vase_radius(self, y: FloatArray) -> FloatArray:
        """The vase's radius at heights ``y``."""
        return np.interp(y, self.vy, self.vr)

    def _vase(self) -> None:
        """The vase, a surface of revolution lit from the upper left, and its cast shadows."""
        X, Y, tone, label, size, rng = self.X, self.Y, self.tone, self.label, self.size, self.rng
        vx = 0.35 + _jit(rng, 0.015)
        prof = np.array(
            [(0.19, 0.060), (0.215, 0.056), (0.29, 0.040), (0.39, 0.095), (0.51, 0.148), (0.63, 0.142), (0.73, 0.108), (0.80, 0.092)]
        )
        prof[:, 1] *= 1 + _jit(rng, 0.06)
        curve = _spline([tuple(p) for p in prof], n_per=24)
        order = np.argsort(curve[:, 0])
        self.vy, self.vr = vy, vr = curve[order, 0], curve[order, 1]
        self.vx = vx
        self.ytop, self.ybot = ytop, ybot = float(vy[0]), float(vy[-1])
        self.ecc = ecc = 0.2  # ellipse ratio of horizontal sections seen from slightly above
        radius = self.vase_radius
        rY = radius(Y)
        drdy = np.gradient(radius(np.linspace(0, 1, size * 4)), 1.0 / (size * 4))
        dr = np.interp(Y, np.linspace(0, 1, size * 4), drdy)
        self.rt, self.rb = rt, rb = float(vr[0]), float(vr[-1])
        body = (Y >= ytop) & (Y <= ybot) & (np.abs(X - vx) <= rY)
        base_ell = ((X - vx) / rb) ** 2 + ((Y - ybot) / (ecc * rb)) ** 2 <= 1
        lip_ell = ((X - vx) / rt) ** 2 + ((Y - ytop) / (ecc * rt)) ** 2 <= 1
        mouth = ((X - vx) / (rt * 0.8)) ** 2 + ((Y - ytop) / (ecc * rt * 0.8)) ** 2 <= 1
        vase = body | base_ell | lip_ell
        sphi = np.clip((X - vx) / np.maximum(rY, 1e-6), -1, 1)
        cphi = np.sqrt(1 - sphi**2)
        nrm = np.stack([sphi, -dr, cphi])
        nrm /= np.linalg.norm(nrm, axis=0)
        lam = np.clip(np.tensordot(_LIGHT, nrm, axes=1), 0, 1)
        vtone = 0.04 + 0.92 * (1 - lam) ** 1.4 - 0.2 * _smoothstep(0.7, 0.97, sphi)  # reflected light
        # cast shadow of the vase on the table (to the right and back) and on the wall
        sx, sy = (X - (vx + 0.16)) / 0.2, (Y - (ybot - 0.035)) / 0.04
        vshadow = (sx**2 + sy**2 <= 1) & (label == 1)
        tone[vshadow] = np.maximum(tone[vshadow], 0.62 + 0.25 * _smoothstep(0.5, -1.0, sx[vshadow]))
        wall_sh = (label == 0) & (np.abs(X - vx - 0.12) <= radius(Y + 0.03) * 1.05) & (Y >= ytop + 0.05)
        tone[wall_sh] = np.maximum(tone[wall_sh], 0.5)
        label[vase] = 6
        self.zbuf[vase] = 2
        tone[vase] = vtone[vase]
        label[mouth] = 7
        tone[mouth] = 0.85

    def _apple(self) -> None:
        """An apple in front, lit from the upper left, and its shadow."""
        X, Y, tone, label, rng = self.X, self.Y, self.tone, self.label, self.rng
        self.ax, self.ay, self.ar = ax, ay, ar = 0.6 + _jit(rng, 0.015), 0.765 + _jit(rng, 0.01), 0.088
        th = np.arctan2(Y - ay, X - ax)
        shape = ar * (1 + 0.04 * np.cos(2 * th) - 0.09 * np.exp(-(((th + np.pi / 2) / 0.35) ** 2)))
        apple = np.hypot(X - ax, Y - ay) <= shape
        ash = ((X - ax - 0.075) / 0.1) ** 2 + ((Y - ay - ar + 0.012) / 0.026) ** 2 <= 1
        ash &= ~apple & (label <= 2)
        tone[ash] = 0.8
        an = np.stack([(X - ax) / ar, (Y - ay) / ar, np.zeros_like(X)])
        an[2] = np.sqrt(np.clip(1 - an[0] ** 2 - an[1] ** 2, 0, 1))
        an /= np.linalg.norm(an, axis=0)
        alam = np.clip(np.tensordot(_LIGHT, an, axes=1), 0, 1)
        atone = 0.06 + 0.92 * (1 - alam) ** 1.1 - 0.15 * _smoothstep(0.6, 0.95, an[0] * 0.7 + an[1] * 0.7)
        label[apple] = 8
        self.zbuf[apple] = 3
        tone[apple] = atone[apple]


def _vase_section_arcs(rng: np.random.Generator, life: _StillLife, spacing: float) -> list[FloatArray]:
    """Hatch lines that follow the vase's form: the front halves of its horizontal sections."""
    size = life.size
    lines = []
    yy = life.ytop * size + rng.uniform(0, spacing)
    while yy < (life.ybot + 0.03) * size:
        y0 = yy / size
        r0 = float(life.vase_radius(np.array([y0]))[0])
        arc = _ellipse(life.vx, y0, r0, life.ecc * r0, 0.0, np.pi, 64)[::-1] * size
        lines.append(arc)
        yy += spacing * (1 + 0.15 * rng.uniform(-1, 1))
    return lines


def _apple_crescents(rng: np.random.Generator, life: _StillLife, spacing: float) -> list[FloatArray]:
    """Hatch lines around the apple's highlight: nearly closed circles, growing outwards."""
    size, ax, ay, ar = life.size, life.ax, life.ay, life.ar
    hx, hy = (ax - 0.4 * ar) * size, (ay - 0.4 * ar) * size
    lines = []
    rr = 0.3 * ar * size
    while rr < 2.2 * ar * size:
        lines.append(_ellipse(hx, hy, rr, rr, -0.3, 2.2 * np.pi - 0.3, 160))
        rr += spacing * (1 + 0.15 * rng.uniform(-1, 1))
    return lines


def _hatch_tone_layer(sheet: _Sheet, life: _StillLife, k: int, noise: FloatArray) -> None:
    """Hatching layer ``k``: on every surface, strokes wherever the tone (made a little uneven by
    ``noise``) is darker than the layer's threshold, at the surface's angle for this layer."""
    rng = sheet.rng
    u = _pen_unit(life.size)
    sp = 4.3 * u
    hw, hink = 1.15 * u, 40.0
    patch = 26 * u
    for lab, angles in _HATCH_ANGLES.items():
        m = life.label == lab
        cond = m & (life.tone + noise > _HATCH_THRESHOLDS[k])
        bb = _bbox(cond)
        if bb is None:
            continue
        lines: list[FloatArray]
        if angles[k] is not None:
            lines = _straight_lines(rng, bb, angles[k] + _jit(rng, 4), sp * (0.85 if k == 3 else 1.0))
        elif lab == 6:
            lines = _vase_section_arcs(rng, life, sp)
        else:
            lines = _apple_crescents(rng, life, sp)
        _hatch_layer(
            sheet,
            cond,
            lines,
            width=hw * (1.1 if k >= 2 else 1.0),
            ink=hink - 6 * k,
            patch=patch if lab not in (0, 2) else patch * 1.6,
            min_len=(9 if lab in (0, 1, 2) else 5) * u,
        )


def _still_life_contours(sheet: _Sheet, life: _StillLife) -> None:
    """The outlines, behind to front: table edges, box, vase (with a painted band), apple, stem, leaf."""
    u = _pen_unit(life.size)
    tb, tf = life.tb, life.tf
    bx0, bx1, by0, by1, dx, dy = life.bx0, life.bx1, life.by0, life.by1, life.dx, life.dy
    vx, vy, vr, ytop, ybot, ecc, rt, rb = life.vx, life.vy, life.vr, life.ytop, life.ybot, life.ecc, life.rt, life.rb
    ax, ay, ar = life.ax, life.ay, life.ar
    cw, cink = 1.9 * u, 22.0
    kw: dict[str, Any] = dict(zbuf=life.zbuf, width=cw, ink=cink, tone=life.tone, passes=2, jitter=0.5 * u)
    _contour(sheet, np.array([(-0.02, tb), (1.02, tb + 0.004)]), z=0, **kw)
    _contour(sheet, np.array([(-0.02, tf), (1.02, tf - 0.003)]), z=0, **kw)
    _contour(sheet, np.array([(-0.02, tf + 0.018), (1.02, tf + 0.016)]), z=0, **kw)
    for edge in (
        [(bx0, by1), (bx0, by0), (bx1, by0), (bx1, by1), (bx0, by1)],
        [(bx0, by0), (bx0 + dx, by0 + dy), (bx1 + dx, by0 + dy), (bx1 + dx, by1 + dy), (bx1, by1)],
        [(bx1, by0), (bx1 + dx, by0 + dy)],
    ):
        _contour(sheet, np.array(edge), z=1, **kw)
    left = np.stack([vx - vr, vy], axis=1)
    right = np.stack([vx + vr, vy], axis=1)
    _contour(sheet, left, z=2, **kw)
    _contour(sheet, right, z=2, **kw)
    _contour(sheet, _ellipse(vx, ytop, rt, ecc * rt, 0, 2 * np.pi), z=2, **kw)
    _contour(sheet, _ellipse(vx, ytop, rt * 0.8, ecc * rt * 0.8, np.pi * 1.05, np.pi * 1.95), z=2, **kw)
    _contour(sheet, _ellipse(vx, ybot, rb, ecc * rb, 0, np.pi), z=2, **kw)
    for yb in (0.405, 0.42):  # a painted band on the shoulder
        r0 = float(life.vase_radius(np.array([yb]))[0])
        _contour(sheet, _ellipse(vx, yb, r0 * 0.99, ecc * r0, 0.05, np.pi - 0.05), z=2, **{**kw, "width": cw * 0.7, "passes": 1})
    a = np.linspace(-np.pi, np.pi, 200)
    ra = ar * (1 + 0.04 * np.cos(2 * a) - 0.09 * np.exp(-(((a + np.pi / 2) / 0.35) ** 2)))
    _contour(sheet, np.stack([ax + ra * np.cos(a), ay + ra * np.sin(a)], axis=1), z=3, **kw)
    stem = _spline([(ax - 0.003, ay - ar * 0.8), (ax + 0.0, ay - ar * 0.98), (ax + 0.012, ay - ar * 1.12)], 10)
    _contour(sheet, stem, z=3, **{**kw, "width": cw * 1.3, "passes": 1})
    leaf_a = _spline([(ax + 0.001, ay - ar * 0.93), (ax + 0.025, ay - ar * 1.12), (ax + 0.055, ay - ar * 1.08)], 10)
    leaf_b = _spline([(ax + 0.001, ay - ar * 0.93), (ax + 0.03, ay - ar * 0.9), (ax + 0.055, ay - ar * 1.08)], 10)
    _contour(sheet, leaf_a, z=4, **kw)
    _contour(sheet, leaf_b, z=4, **kw)


def _draw_hatch(size: int, rng: np.random.Generator) -> Image.Image:
    sheet = _Sheet(size, rng)
    life = _StillLife(size, rng)
    noise = 0.06 * _smooth_noise(rng, size, size, 14 * _pen_unit(size))  # one unevenness for every layer
    for k in range(len(_HATCH_THRESHOLDS)):  # lightest layer first
        _hatch_tone_layer(sheet, life, k, noise)
    _still_life_contours(sheet, life)
    return sheet.finish()


#: Watercolour pigments (RGB transmittance of a full wash) of the still life's parts, by label:
#: wall, table top, table front, the box's top, front and side, vase, its mouth, apple.
_WASH_PIGMENTS: dict[int, tuple[float, float, float]] = {
    0: (0.93, 0.86, 0.66), 1: (0.86, 0.62, 0.38), 2: (0.70, 0.45, 0.28), 3: (0.62, 0.76, 0.93),
    4: (0.36, 0.52, 0.82), 5: (0.24, 0.36, 0.66), 6: (0.30, 0.66, 0.58), 7: (0.16, 0.34, 0.32),
    8: (0.88, 0.24, 0.20),
}


def draw_watercolor(size: int = 384, seed: int = 0) -> Image.Image:
    """A colour sketch (mode ``"RGB"``): the hatch sketch's still life in loose watercolour washes
    (each part's pigment, darker in its shadows, a little past its outline, blooms of uneven
    pigment and darker rims where the wash dried) under fineliner outlines. Not one of the demo
    film's sketches: it shows the colour settings in the README."""
    rng = np.random.default_rng([seed, 7])
    life = _StillLife(size, rng)
    u = _pen_unit(size)
    paper = np.ones((size, size, 3))
    for lab, pigment in _WASH_PIGMENTS.items():
        mask = (life.label == lab).astype(np.float64)
        if lab == 0:  # the wall: a wash that fades out towards the top, paper left bare
            mask *= np.clip(1.6 * life.Y - 0.25, 0, 1) * (life.X < 0.9 + 0.05 * _smooth_noise(rng, size, size, 40))
        m = Image.fromarray(np.uint8(np.clip(mask, 0, 1) * 255))
        # offset and soften: the brush goes a little past the pen's line
        dx, dy = rng.integers(-2, 3, size=2) * int(round(u))
        m = m.transform(m.size, Image.Transform.AFFINE, (1, 0, -dx, 0, 1, -dy), fillcolor=0)
        soft = np.asarray(m.filter(ImageFilter.GaussianBlur(1.5 * u)), dtype=np.float64) / 255
        wide = np.asarray(m.filter(ImageFilter.GaussianBlur(5 * u)), dtype=np.float64) / 255
        rim = np.clip(soft - wide, 0, 1) * 1.6  # pigment collects at the wash's edge
        bloom = 0.75 + 0.25 * _smooth_noise(rng, size, size, 10 * u)
        density = np.clip(soft * bloom * (0.55 + 0.6 * life.tone) + rim, 0, 1.3)
        paper *= 1.0 - density[..., None] * (1.0 - np.asarray(pigment))
    paper *= 1.0 - 0.04 * rng.random((size, size, 1))  # granulation
    sheet = _Sheet(size, rng)
    _still_life_contours(sheet, life)
    ink = np.asarray(sheet.finish(), dtype=np.float64)[..., None] / 255
    out = np.clip(paper * ink * 253.0, 0, 255)
    return Image.fromarray(np.rint(out).astype(np.uint8), "RGB")


# --------------------------------------------------------------------------------------------
# style "scribble": a landscape in ballpoint, loose looping scribbles
# --------------------------------------------------------------------------------------------


class _Landscape:
    """The scribble sketch's scene: far hills and a near field, a tree (a trunk and a crown of
    overlapping leaf clumps) and a little house on the hills, as maps the size of the sheet:
    ``tone`` (0 paper .. 1 darkest) and ``zbuf`` (depth, nearer is larger: it hides outlines),
    with the shapes' masks and geometry (in [0, 1] sheet coordinates). The parts are set up in
    a fixed order, which fixes the random draws."""

    def __init__(self, size: int, rng: np.random.Generator) -> None:
        self.size = size
        self.rng = rng
        self.Y, self.X = (np.mgrid[0:size, 0:size] + 0.5) / size
        self.tone = np.zeros((size, size))
        self.zbuf = np.zeros((size, size))
        self._land()
        self._tree()
        self._house()
        self.tone = np.clip(self.tone, 0, 1)

    def far(self, x: FloatArray) -> FloatArray:
        """The far hills' skyline at ``x``."""
        return 0.56 + 0.035 * np.sin(2 * np.pi * (0.9 * x) + self.p1) + 0.015 * np.sin(2 * np.pi * 2.3 * x + self.p2)

    def near(self, x: FloatArray) -> FloatArray:
        """The near field's edge at ``x``."""
        return 0.68 + 0.05 * np.sin(2 * np.pi * 0.55 * x + self.p2 + 1.0) - 0.03 * x

    def _land(self) -> None:
        X, Y, tone = self.X, self.Y, self.tone
        self.p1, self.p2 = self.rng.uniform(0, 2 * np.pi, 2)
        self.hills = hills = (Y >= self.far(X)) & (Y < self.near(X))
        self.field = field = Y >= self.near(X)
        tone[hills] = (0.28 + 0.25 * _smoothstep(0.0, 0.12, Y - self.far(X)))[hills]
        tone[field] = (0.12 + 0.3 * _smoothstep(0.7, 1.0, Y))[field]
        self.zbuf[hills] = 0.3
        self.zbuf[field] = 0.6

    def _tree(self) -> None:
        """A trunk, its shadow on the field, and a crown made of overlapping leaf clumps."""
        X, Y, tone, zbuf, size, rng = self.X, self.Y, self.tone, self.zbuf, self.size, self.rng
        self.tx = tx = 0.33 + _jit(rng, 0.02)
        self.gy = gy = 0.80 + _jit(rng, 0.01)  # where the trunk meets the ground
        self.trunk = trunk = _poly_mask(
            size,
            [(tx - 0.035, gy + 0.01), (tx - 0.018, gy - 0.15), (tx - 0.015, 0.42), (tx + 0.02, 0.42), (tx + 0.022, gy - 0.15), (tx + 0.04, gy + 0.01)],
        )
        ttone = 0.45 + 0.4 * _smoothstep(tx - 0.03, tx + 0.03, X)
        shadow = self.field & ((((X - tx - 0.14) / 0.19) ** 2 + ((Y - gy - 0.008) / 0.032) ** 2) <= 1)
        tone[shadow] = 0.72
        tone[trunk] = ttone[trunk]
        zbuf[trunk] = 2
        cx, cy = tx + 0.01, 0.33
        clumps: list[tuple[float, float, float, float]] = []  # (x, y, radius, height)
        for i in range(11):
            ang = 2 * np.pi * i / 11 + _jit(rng, 0.2)
            d = rng.uniform(0.09, 0.16)
            clumps.append((cx + d * math.cos(ang) * 1.2, cy + d * math.sin(ang) * 0.85, rng.uniform(0.07, 0.1), rng.uniform(0, 1)))
        for _ in range(4):
            clumps.append((cx + _jit(rng, 0.07), cy + _jit(rng, 0.05), rng.uniform(0.08, 0.11), rng.uniform(1, 2)))
        self.clumps = clumps
        height = np.full((size, size), -np.inf)
        ftone = np.zeros((size, size))
        for ccx, ccy, cr, cz in clumps:
            dx, dy = (X - ccx) / cr, (Y - ccy) / cr
            inside = dx**2 + dy**2 <= 1
            h = cz + 0.0 * dx
            top = inside & (h > height)
            nz = np.sqrt(np.clip(1 - dx**2 - dy**2, 0, 1))
            lam = np.clip(_LIGHT[0] * dx + _LIGHT[1] * dy + _LIGHT[2] * nz, 0, 1)
            t = 0.25 + 0.6 * (1 - lam) ** 1.5 + 0.25 * _smoothstep(cy - 0.05, cy + 0.2, Y)
            ftone[top] = t[top]
            height[top] = h[top]
        self.crown = crown = np.isfinite(height)
        tone[crown] = np.clip(ftone[crown], 0, 0.97)
        zbuf[crown] = 3

    def _house(self) -> None:
        """A little house on the hills: front wall, side wall, roof and door."""
        size, tone = self.size, self.tone
        hx, hy, hwid, hh = 0.74 + _jit(self.rng, 0.02), 0.585, 0.085, 0.06
        hy = float(self.far(np.array([hx]))[0]) + 0.03
        self.hx, self.hy, self.hwid, self.hh = hx, hy, hwid, hh
        self.wall_f = wall_f = _poly_mask(size, [(hx, hy - hh), (hx + hwid * 0.6, hy - hh), (hx + hwid * 0.6, hy), (hx, hy)])
        self.wall_s = wall_s = _poly_mask(size, [(hx + hwid * 0.6, hy - hh), (hx + hwid, hy - hh - 0.012), (hx + hwid, hy - 0.01), (hx + hwid * 0.6, hy)])
        self.roof = roof = _poly_mask(
            size, [(hx - 0.008, hy - hh), (hx + 0.3 * hwid, hy - hh - 0.045), (hx + hwid + 0.008, hy - hh - 0.055), (hx + hwid * 0.6 + 0.008, hy - hh)]
        )
        self.door = door = _poly_mask(size, [(hx + 0.02, hy - 0.035), (hx + 0.034, hy - 0.035), (hx + 0.034, hy), (hx + 0.02, hy)])
        for m, t in ((wall_f, 0.12), (wall_s, 0.6), (roof, 0.8), (door, 0.95)):
            tone[m] = t
            self.zbuf[m] = 0.4


def _landscape_scribbles(sheet: _Sheet, scape: _Landscape) -> None:
    """The tonal scribbles, light pass first: land, crown, trunk, house."""
    size, tone = scape.size, scape.tone
    u = _pen_unit(size)
    noise = 0.08 * _smooth_noise(sheet.rng, size, size, 9 * u)
    bw, bink = 1.0 * u, 62.0
    land, crown, trunk = scape.hills | scape.field, scape.crown, scape.trunk
    _scribble_fill(sheet, tone, land & (tone + noise > 0.17), radius=5.5 * u, angle=-8, tight=0.5, loose=3.6, width=bw, ink=bink + 12)
    _scribble_fill(sheet, tone, land & (tone + noise > 0.6), radius=4.0 * u, angle=10, tight=0.6, loose=2.2, width=bw, ink=bink)
    _scribble_fill(sheet, tone, crown & (tone + noise > 0.2), radius=6.5 * u, angle=-20, tight=0.45, loose=2.6, width=bw, ink=bink + 6)
    _scribble_fill(sheet, tone, crown & (tone + noise > 0.55), radius=4.5 * u, angle=35, tight=0.5, loose=1.8, width=bw, ink=bink - 6)
    _scribble_fill(sheet, tone, crown & (tone + noise > 0.78), radius=3.5 * u, angle=-60, tight=0.6, loose=1.6, width=bw, ink=bink - 10)
    _scribble_fill(sheet, tone, trunk & (tone > 0.3), radius=3.0 * u, angle=90, tight=0.75, loose=1.8, width=bw, ink=bink - 6)
    door, roof = scape.door, scape.roof
    house = scape.wall_f | scape.wall_s | roof | door
    _scribble_fill(sheet, tone, house & (tone > 0.3), radius=2.2 * u, angle=0, tight=0.3, loose=1.5, width=bw * 0.9, ink=bink - 6)
    _scribble_fill(sheet, tone, (door | roof) & (tone > 0.7), radius=1.8 * u, angle=60, tight=0.3, loose=1.0, width=bw * 0.9, ink=bink - 10)


def _outline_pen(scape: _Landscape) -> dict[str, Any]:
    """The ballpoint's settings for the loose outlines (of the land and of the sky)."""
    u = _pen_unit(scape.size)
    return dict(zbuf=scape.zbuf, width=1.25 * u, ink=30.0, jitter=1.0 * u, overshoot=6 * u, max_len=110 * u, wobble=0.9 * u)


def _landscape_outlines(sheet: _Sheet, scape: _Landscape, pen: Optional[dict[str, Any]] = None,
                        passes: int = 2, points: int = 120) -> None:
    """Outlines of the skyline, the field's edge and the trunk, each traced ``passes`` times with
    ``pen`` (default: the ballpoint's loose outline pen)."""
    kw = pen if pen is not None else _outline_pen(scape)
    xs = np.linspace(-0.02, 1.02, points)
    _contour(sheet, np.stack([xs, scape.far(xs)], 1), z=0.3, passes=passes, **kw)
    _contour(sheet, np.stack([xs, scape.near(xs)], 1), z=0.6, passes=passes, **kw)
    tx, gy = scape.tx, scape.gy
    for side in (-1, 1):
        xt = tx + side * np.array([0.037, 0.02, 0.017, 0.012])
        yt = np.array([gy + 0.01, gy - 0.15, 0.5, 0.4])
        _contour(sheet, np.stack([xt, yt], 1), z=2, passes=passes, **kw)


def _crown_outlines(sheet: _Sheet, scape: _Landscape) -> None:
    """Every leaf clump's visible rim: the crown's outer silhouette, and the lower rims of the
    clumps overlapping inside it."""
    kw = _outline_pen(scape)
    clumps = scape.clumps
    for ccx, ccy, cr, cz in clumps:
        a = np.linspace(0, 2 * np.pi, 140)
        rim = np.stack([ccx + cr * np.cos(a), ccy + cr * np.sin(a)], 1)
        keep = np.ones(len(a), dtype=bool)
        for ox, oy, orr, oz in clumps:
            if oz > cz:
                keep &= np.hypot(rim[:, 0] - ox, rim[:, 1] - oy) > orr
        outer = np.ones(len(a), dtype=bool)
        for ox, oy, orr, oz in clumps:
            if (ox, oy) != (ccx, ccy):
                outer &= np.hypot(rim[:, 0] - ox, rim[:, 1] - oy) > orr
        inner_lower = keep & ~outer & (np.sin(a) > -0.2)  # inner clump edges: only their lower rims
        for sel, passes in ((keep & outer, 2), (inner_lower, 1)):
            for s, e in _runs(sel):
                if e - s > 6:
                    _contour(sheet, rim[s:e], z=3, passes=passes, **kw)


def _house_outlines(sheet: _Sheet, scape: _Landscape) -> None:
    """The house: front wall, side wall and roof, each traced twice with a finer pen."""
    u = _pen_unit(scape.size)
    kw = _outline_pen(scape)
    hx, hy, hwid, hh = scape.hx, scape.hy, scape.hwid, scape.hh
    for poly in (
        [(hx, hy), (hx, hy - hh), (hx + hwid * 0.6, hy - hh), (hx + hwid * 0.6, hy), (hx, hy)],
        [(hx + hwid * 0.6, hy), (hx + hwid, hy - 0.01), (hx + hwid, hy - hh - 0.012)],
        [(hx - 0.008, hy - hh), (hx + 0.3 * hwid, hy - hh - 0.045), (hx + hwid + 0.008, hy - hh - 0.055), (hx + hwid * 0.6 + 0.008, hy - hh), (hx - 0.008, hy - hh)],
    ):
        _contour(sheet, np.array(poly), z=0.5, passes=2, **{**kw, "overshoot": 3 * u, "width": 1.1 * u})


def _sun(sheet: _Sheet, scape: _Landscape) -> None:
    """The sun: a few quick loops and nine rays."""
    rng = sheet.rng
    kw = _outline_pen(scape)
    sx, sy, sr = 0.8 + _jit(rng, 0.03), 0.16 + _jit(rng, 0.02), 0.055
    a = np.linspace(0, 2 * np.pi * 2.6, 400) + rng.uniform(0, 6)
    rr = sr * (1 + 0.06 * np.sin(3.1 * a))
    _contour(sheet, np.stack([sx + rr * np.cos(a), sy + rr * np.sin(a) * 0.97], 1), z=0, passes=1, **{**kw, "max_len": 1e9})
    for k in range(9):
        ang = 2 * np.pi * k / 9 + _jit(rng, 0.15)
        r0, r1 = sr * 1.35, sr * rng.uniform(1.7, 2.0)
        ray = np.array([(sx + r0 * math.cos(ang), sy + r0 * math.sin(ang)), (sx + r1 * math.cos(ang), sy + r1 * math.sin(ang))])
        _contour(sheet, ray, z=0, passes=1, **{**kw, "overshoot": 0.0})


def _cloud_and_birds(sheet: _Sheet, scape: _Landscape) -> None:
    """A cloud (a row of bumps over a flat base) and three birds (one wing stroke each)."""
    rng = sheet.rng
    u = _pen_unit(scape.size)
    kw = _outline_pen(scape)
    ccx0, ccy0 = 0.2 + _jit(rng, 0.03), 0.13 + _jit(rng, 0.02)
    bumps = [(-0.07, 0.01, 0.035), (-0.03, -0.02, 0.045), (0.025, -0.025, 0.05), (0.07, 0.0, 0.035)]
    for bx_, by_, br in bumps:
        a = np.linspace(np.pi * 0.95, np.pi * 2.05, 60)
        _contour(sheet, np.stack([ccx0 + bx_ + br * np.cos(a), ccy0 + by_ + br * np.sin(a)], 1), z=0, passes=1, **kw)
    _contour(sheet, np.array([(ccx0 - 0.11, ccy0 + 0.03), (ccx0 + 0.1, ccy0 + 0.028)]), z=0, passes=2, **kw)
    for bxx, byy, bs in ((0.5, 0.12, 0.022), (0.56, 0.16, 0.017), (0.46, 0.19, 0.014)):
        bxx, byy = bxx + _jit(rng, 0.02), byy + _jit(rng, 0.02)
        wing = _spline([(bxx - bs, byy - bs * 0.4), (bxx - bs * 0.5, byy - bs * 0.6), (bxx, byy), (bxx + bs * 0.5, byy - bs * 0.7), (bxx + bs, byy - bs * 0.3)], 8)
        _contour(sheet, wing, z=0, passes=1, **{**kw, "overshoot": 0.0, "jitter": 0.3 * u})


def _grass(sheet: _Sheet, scape: _Landscape) -> None:
    """Grass: quick upward flicks in the foreground and at the foot of the tree."""
    rng, size = sheet.rng, scape.size
    u = _pen_unit(size)
    for _ in range(40):
        gx = rng.uniform(0, 1)
        gyy = rng.uniform(0.88, 1.0) if rng.random() < 0.75 else scape.gy + rng.uniform(-0.005, 0.012)
        for _ in range(int(rng.integers(3, 7))):
            ln = rng.uniform(0.012, 0.032) * (1.3 if gyy > 0.93 else 1.0)
            lean = rng.uniform(-0.7, 0.7)
            bx_ = gx + rng.uniform(-0.006, 0.006)
            blade = np.array([(bx_, gyy), (bx_ + lean * ln * 0.3, gyy - ln * 0.6), (bx_ + lean * ln, gyy - ln)]) * size
            _pen(sheet, _spline([tuple(p) for p in blade], 6), width=1.1 * u, ink=40.0, wobble=0.2, taper=(1.0, 6.0 * u))
    sheet.flush()


def _draw_scribble(size: int, rng: np.random.Generator) -> Image.Image:
    sheet = _Sheet(size, rng)
    scape = _Landscape(size, rng)
    _landscape_scribbles(sheet, scape)
    _landscape_outlines(sheet, scape)
    _crown_outlines(sheet, scape)
    _house_outlines(sheet, scape)
    _sun(sheet, scape)
    _cloud_and_birds(sheet, scape)
    _grass(sheet, scape)
    return sheet.finish()


# --------------------------------------------------------------------------------------------
# audition candidates: the same scenes in other hands (stippling, charcoal, brush, contour)
# --------------------------------------------------------------------------------------------


def _draw_stipple(size: int, rng: np.random.Generator) -> Image.Image:
    """The still life in stippling: round dots of a technical pen, denser where the tone is darker
    (no outlines; the edges are where the density changes)."""
    sheet = _Sheet(size, rng)
    life = _StillLife(size, rng)
    u = _pen_unit(size)
    tone = np.clip(life.tone + 0.05 * _smooth_noise(rng, size, size, 10 * u), 0, 1)
    # Candidate dots on a jittered grid, kept with a probability that grows with the tone.
    step = 1.6 * u
    n = int(size / step)
    gy, gx = (np.mgrid[0:n, 0:n] + 0.5) * step
    px = (gx + rng.uniform(-0.5, 0.5, gx.shape) * step).ravel()
    py = (gy + rng.uniform(-0.5, 0.5, gy.shape) * step).ravel()
    t = tone[np.clip(py.astype(int), 0, size - 1), np.clip(px.astype(int), 0, size - 1)]
    keep = rng.random(len(px)) < np.clip(1.15 * t, 0, 1) ** 1.1 * 0.85
    r = 0.8 * u * _SS
    for x, y in zip(px[keep] * _SS, py[keep] * _SS):
        rr = r * rng.uniform(0.8, 1.25)
        sheet.draw.ellipse((x - rr, y - rr, x + rr, y + rr), fill=int(rng.uniform(10, 40)))
    sheet.box = [0.0, 0.0, float(size * _SS), float(size * _SS)]
    return sheet.finish()


def _draw_charcoal(size: int, rng: np.random.Generator) -> Image.Image:
    """The landscape in charcoal: broad, smudged tone whose grain catches on the paper's tooth, and
    a few soft, heavy strokes along the skyline and the trunk."""
    sheet = _Sheet(size, rng)
    scape = _Landscape(size, rng)
    u = _pen_unit(size)
    n = size * _SS
    tone = np.asarray(Image.fromarray((np.clip(scape.tone, 0, 1) * 255).astype(np.uint8)).resize((n, n)),
                      dtype=np.float64) / 255
    # Smudged: the tone pushed around by broad noise (a finger's rubbing), then the paper's tooth:
    # charcoal sits on the grain's peaks and skips its valleys in the light tones.
    rub = _smooth_noise(rng, n, n, 40 * u * _SS)
    tooth = _smooth_noise(rng, n, n, 1.2 * _SS) * 0.6 + rng.standard_normal((n, n)) * 0.25
    dark = np.clip(0.15 + 1.05 * tone + 0.2 * rub, 0, 1)
    cover = np.clip((dark - 0.35 + 0.35 * tooth) * 2.2, 0, 1) * (dark > 0.22)
    sheet.trans *= (1 - 0.8 * cover).astype(np.float32)
    xs = np.linspace(-0.02, 1.02, 90)
    for line in (np.stack([xs, scape.far(xs)], 1), np.stack([xs, scape.near(xs)], 1)):
        _pen(sheet, line * size, width=7 * u, ink=70.0, wobble=1.5 * u, wavelength=60.0, pressure_var=0.4)
    tx, gy = scape.tx, scape.gy
    for side in (-1, 1):
        xt = tx + side * np.array([0.037, 0.02, 0.017, 0.012])
        yt = np.array([gy + 0.01, gy - 0.15, 0.5, 0.4])
        _pen(sheet, np.stack([xt, yt], 1) * size, width=6 * u, ink=60.0, wobble=1.0 * u, pressure_var=0.4)
    sheet.flush()
    return sheet.finish()


def _draw_brush(size: int, rng: np.random.Generator) -> Image.Image:
    """The still life in bold brush: the dark masses in broad, dry, black strokes (paper showing
    between them), and heavy outlines."""
    sheet = _Sheet(size, rng)
    life = _StillLife(size, rng)
    u = _pen_unit(size)
    noise = 0.08 * _smooth_noise(rng, size, size, 18 * u)
    for k, (thr, angle) in enumerate(((0.42, -25), (0.68, 65))):
        cond = life.tone + noise > thr
        bb = _bbox(cond)
        if bb is None:
            continue
        lines = _straight_lines(rng, bb, angle + _jit(rng, 6), 9.5 * u)
        _hatch_layer(sheet, cond, lines, width=8.5 * u, ink=8.0, patch=70 * u, min_len=8 * u, bow=0.08, wobble=1.2 * u)
    for lab in (4, 6, 8):  # the box's front, the vase, the apple: a heavy outline each
        m = life.label == lab
        ys, xs = np.nonzero(m)
        if len(xs) == 0:
            continue
        cx, cy = xs.mean(), ys.mean()
        ang = np.arctan2(ys - cy, xs - cx)
        order = np.argsort(ang)
        rim = np.hypot(xs - cx, ys - cy)
        bins = np.linspace(-np.pi, np.pi, 48)
        pts = []
        for a0, a1 in zip(bins[:-1], bins[1:]):
            sel = (ang[order] >= a0) & (ang[order] < a1)
            if sel.any():
                i = order[sel][np.argmax(rim[order][sel])]
                pts.append((xs[i], ys[i]))
        if len(pts) > 3:
            pts.append(pts[0])
            _pen(sheet, np.array(pts, dtype=np.float64), width=5.5 * u, ink=5.0, wobble=1.4 * u, wavelength=80.0,
                 pressure_var=0.45, taper=(10.0 * u, 25.0 * u))
    sheet.flush()
    return sheet.finish()


def _draw_contour(size: int, rng: np.random.Generator) -> Image.Image:
    """The landscape in fine contour: a thin, even pen line around every shape, traced once, no
    shading at all."""
    sheet = _Sheet(size, rng)
    scape = _Landscape(size, rng)
    pen = {**_outline_pen(scape), "width": 0.8 * _pen_unit(size), "ink": 20.0, "overshoot": 0.0, "jitter": 0.2}
    _landscape_outlines(sheet, scape, pen, passes=1, points=160)
    _crown_outlines(sheet, scape)
    _house_outlines(sheet, scape)
    _sun(sheet, scape)
    _cloud_and_birds(sheet, scape)
    return sheet.finish()


CANDIDATE_STYLES: tuple[str, ...] = ("stipple", "charcoal", "brush", "contour")
"""The audition's extra candidate sketches (``demo/candidates/``): the demo's scenes in other hands."""

_DRAW = {"stipple": _draw_stipple, "charcoal": _draw_charcoal, "brush": _draw_brush, "contour": _draw_contour}


def draw_candidate(style: str, size: int = 384, seed: int = 0) -> Image.Image:
    """A candidate sketch (mode ``"L"``, ``size`` x ``size``) in one of :data:`CANDIDATE_STYLES`:
    ``"stipple"`` (the still life in dots), ``"charcoal"`` (the landscape in smudged charcoal),
    ``"brush"`` (the still life in bold dry-brush strokes), ``"contour"`` (the landscape in thin
    outlines only). The same ``(style, size, seed)`` always gives the same image."""
    if style not in CANDIDATE_STYLES:
        raise ValueError(f"unknown candidate style {style!r}; choose one of {', '.join(CANDIDATE_STYLES)}")
    if not isinstance(size, int) or size < 64:
        raise ValueError(f"sketch size must be an integer >= 64, got {size!r}")
    rng = np.random.default_rng([seed, 100 + CANDIDATE_STYLES.index(style)])
    return _DRAW[style](size, rng)


def draw_sketch(style: str, size: int = 384, seed: int = 0) -> Image.Image:
    """A black-and-white pen sketch (mode ``"L"``, ``size`` x ``size``) in one of
    :data:`SKETCH_STYLES`: ``"hatch"`` is a fineliner still life with contours and parallel and
    cross hatching; ``"scribble"`` a ballpoint landscape of loose looping scribbles. The same
    ``(style, size, seed)`` always gives the same image."""
    if style not in SKETCH_STYLES:
        raise ValueError(f"unknown sketch style {style!r}; choose one of {', '.join(SKETCH_STYLES)}")
    if not isinstance(size, int) or size < 64:
        raise ValueError(f"sketch size must be an integer >= 64, got {size!r}")
    rng = np.random.default_rng([seed, SKETCH_STYLES.index(style)])
    return _draw_hatch(size, rng) if style == "hatch" else _draw_scribble(size, rng)


# --------------------------------------------------------------------------------------------
# content photos
# --------------------------------------------------------------------------------------------


def _skimage_data() -> Any:
    """``skimage.data``: scikit-image is needed by this generator only, so it is not in
    requirements.txt (nor in the container image); ``tools/setup.sh`` installs it for developers."""
    try:
        import skimage.data
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("skimage"):
            raise
        raise ModuleNotFoundError(
            "the demo's photos come from scikit-image, which only the demo-asset generator needs: "
            "install it with `bash tools/setup.sh` (`make setup` runs it; it pins the version) "
            "or `pip install scikit-image`",
            name=exc.name,
        ) from exc
    return skimage.data


def load_photo(name: str) -> NDArray[np.uint8]:
    """One of :data:`CONTENT_PHOTOS` as an RGB uint8 array (grey images are repeated on three
    channels, alpha dropped). Only images bundled in the scikit-image wheel are allowed, so
    nothing is ever downloaded."""
    if name not in CONTENT_PHOTOS:
        raise ValueError(f"unknown photo {name!r}; choose one of {', '.join(CONTENT_PHOTOS)}")
    img = np.asarray(getattr(_skimage_data(), name)())
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    return np.ascontiguousarray(img[:, :, :3].astype(np.uint8))


def _center_square(img: NDArray[np.uint8], size: int) -> Image.Image:
    h, w = img.shape[:2]
    s = min(h, w)
    y0, x0 = (h - s) // 2, (w - s) // 2
    return Image.fromarray(img[y0 : y0 + s, x0 : x0 + s]).resize((size, size), Image.Resampling.LANCZOS)


def make_content_images(out_dir: Path, size: int = 256) -> list[Path]:
    """Write :data:`CONTENT_PHOTOS` as centre-cropped ``size`` px RGB JPEGs (quality 92)."""
    if size < 16:
        raise ValueError(f"content image size must be >= 16, got {size}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in CONTENT_PHOTOS:
        path = out_dir / f"{name}.jpg"
        _center_square(load_photo(name), size).save(path, format="JPEG", quality=92)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------------------------
# clips
# --------------------------------------------------------------------------------------------


_NOTES = {  # equal temperament, A4 = 440 Hz
    n: 440.0 * 2 ** ((i - 9) / 12 + (o - 4))
    for o in range(2, 7)
    for i, n0 in enumerate(["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"])
    for n in [f"{n0}{o}"]
}


def _audio_source(preset: str, duration: float, rate: int = 44100) -> str:
    """An ``aevalsrc`` lavfi source for a short, soft soundtrack: plucked/bell-like notes
    (decaying sine + octave partial, alternately panned) over a quiet sustained chord."""
    # (start s, note, amplitude, decay 1/s)
    notes: list[tuple[float, str, float, float]] = []
    pad: list[tuple[str, float]] = []
    if preset == "chime":  # C major arpeggio, bell-like
        seq = ["C5", "E5", "G5", "C6", "G5", "E5", "D5", "G5"]
        notes = [(0.05 + 0.36 * i, seq[i % len(seq)], 0.16, 2.6) for i in range(int((duration - 0.4) / 0.36) + 1)]
        pad = [("C3", 0.05), ("G3", 0.035), ("E4", 0.02)]
    elif preset == "melody":  # a slow tune in F major
        seq = ["A4", "C5", "F5", "E5", "D5", "C5", "A4", "G4", "F4"]
        notes = [(0.05 + 0.42 * i, seq[i % len(seq)], 0.2, 2.0) for i in range(int((duration - 0.4) / 0.42) + 1)]
        pad = [("F3", 0.05), ("C4", 0.03), ("A3", 0.025)]
    elif preset == "chord":  # a warm A-minor 9 swell with a couple of soft plucks
        notes = [(0.1, "E5", 0.1, 1.2), (0.9, "B4", 0.09, 1.2), (1.7, "C5", 0.09, 1.2), (2.5, "A4", 0.08, 1.2)]
        notes = [n for n in notes if n[0] < duration - 0.3]
        pad = [("A2", 0.07), ("E3", 0.05), ("G3", 0.04), ("C4", 0.04), ("B4", 0.02)]
    else:
        raise ValueError(f"unknown audio preset {preset!r}; choose one of {', '.join(AUDIO_PRESETS)} or None")
    chans = []
    for ch in (0, 1):
        terms = []
        for i, (st, name, amp, dec) in enumerate(notes):
            f = _NOTES[name] * (1.0 if ch == 0 else 1.0015)
            g = amp * (0.75 if (i + ch) % 2 else 1.0)
            terms.append(
                f"{g:.4f}*gte(t,{st:.3f})*exp(-{dec:.2f}*(t-{st:.3f}))*(1-exp(-90*(t-{st:.3f})))"
                f"*(sin(2*PI*{f:.3f}*t)+0.3*sin(4*PI*{f:.3f}*t)+0.08*sin(6*PI*{f:.3f}*t))"
            )
        for name, amp in pad:
            f = _NOTES[name] * (1.0 if ch == 0 else 1.002)
            terms.append(f"{amp:.4f}*(1-exp(-2.5*t))*(1+0.15*sin(2*PI*{0.7 + 0.2 * ch:.2f}*t))*sin(2*PI*{f:.3f}*t)")
        chans.append("+".join(terms))
    return f"aevalsrc=exprs='{chans[0]}|{chans[1]}':s={rate}:d={duration:.6f}"


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


def _ken_burns_frames(
    photo: NDArray[np.uint8],
    n: int,
    size: tuple[int, int],
    start: tuple[float, float, float],
    end: tuple[float, float, float],
) -> Iterator[bytes]:
    """Raw RGB24 frames of a smooth pan and zoom from ``start`` to ``end``, each
    ``(centre_x, centre_y, zoom)`` with the centre in [0, 1] photo coordinates and zoom 1 = the
    largest crop of the output's aspect ratio that fits the photo."""
    w, h = size
    img = Image.fromarray(photo)
    pw, ph = img.size
    aspect = w / h
    bw, bh = (pw, pw / aspect) if pw / ph <= aspect else (ph * aspect, ph)
    for i in range(n):
        t = _ease(i / (n - 1)) if n > 1 else 0.0
        cx, cy, z = (s + (e - s) * t for s, e in zip(start, end))
        z = max(z, 1.0)
        cw, ch = bw / z, bh / z
        x0 = min(max(cx * pw - cw / 2, 0.0), pw - cw)
        y0 = min(max(cy * ph - ch / 2, 0.0), ph - ch)
        # render at 2x and box-reduce: sub-pixel smooth motion without aliasing
        big = img.transform((2 * w, 2 * h), Image.Transform.EXTENT, (x0, y0, x0 + cw, y0 + ch), Image.Resampling.BICUBIC)
        yield big.reduce(2).tobytes()


def _drain(stream: IO[bytes], sink: list[bytes]) -> None:
    sink.append(stream.read())


def make_clip(
    out_path: Path,
    photo: NDArray[np.uint8],
    seconds: float,
    fps: str,
    size: tuple[int, int],
    audio: str | None,
    *,
    start: tuple[float, float, float] = (0.5, 0.5, 1.0),
    end: tuple[float, float, float] = (0.5, 0.5, 1.2),
    crf: int = 26,
    audio_bitrate: str = "64k",
) -> Path:
    """An H.264 (yuv420p) mp4 of a slow pan-and-zoom over ``photo`` (H x W [x 3] uint8), exactly
    ``round(seconds * fps)`` frames at the exact rate ``fps`` (e.g. ``"24"``, ``"30000/1001"``),
    ``size`` = (width, height), both even. ``audio`` names one of :data:`AUDIO_PRESETS` for an
    AAC soundtrack synthesised by ffmpeg, or None for a clip without an audio stream."""
    try:
        rate = parse_fps(fps, "clip fps")  # the config's own parsing: "24", "30000/1001", 29.97
    except ConfigError as exc:  # a bad argument here, not a bad config
        raise ValueError(str(exc)) from None
    w, h = size
    if w < 16 or h < 16 or w % 2 or h % 2:
        raise ValueError(f"clip size must be even and >= 16 px, got {w}x{h}")
    if not seconds > 0:
        raise ValueError(f"clip length must be positive, got {seconds!r} s")
    n = round(seconds * rate)
    if n < 1:
        raise ValueError(f"{seconds} s at {fps} fps is less than one frame")
    if audio is not None and audio not in AUDIO_PRESETS:
        raise ValueError(f"unknown audio preset {audio!r}; choose one of {', '.join(AUDIO_PRESETS)} or None")
    photo = np.asarray(photo)
    if photo.ndim == 2:
        photo = np.repeat(photo[:, :, None], 3, axis=2)
    if photo.ndim != 3 or photo.shape[2] not in (3, 4) or photo.dtype != np.uint8:
        raise ValueError(f"photo must be an H x W x 3 uint8 array, got {photo.shape} {photo.dtype}")
    photo = np.ascontiguousarray(photo[:, :, :3])
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)

    rate_s = f"{rate.numerator}/{rate.denominator}"
    duration = float(n / rate)
    video = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{w}x{h}", framerate=rate_s)
    streams = [video]
    opts: dict[str, object] = dict(
        vcodec="libx264", pix_fmt="yuv420p", crf=crf, preset="slow", r=rate_s, movflags="+faststart", map_metadata=-1
    )
    if audio is not None:
        a = ffmpeg.input(_audio_source(audio, duration), f="lavfi")
        a = a.filter("aecho", 0.9, 0.7, "90|170", "0.25|0.12").filter("atrim", end=f"{duration:.6f}")
        a = a.filter("afade", t="in", st=0, d=min(0.05, duration))
        a = a.filter("afade", t="out", st=max(0.0, duration - 0.5), d=min(0.5, duration)).filter("volume", 1.7)
        streams.append(a)
        opts.update(acodec="aac", audio_bitrate=audio_bitrate, ac=2)
    cmd = (
        ffmpeg.output(*streams, str(out_path), **opts)
        .global_args("-hide_banner", "-nostats", "-loglevel", "error")
        .overwrite_output()
    )
    proc = cmd.run_async(pipe_stdin=True, pipe_stderr=True)
    err: list[bytes] = []
    drain = threading.Thread(target=_drain, args=(proc.stderr, err), daemon=True)
    drain.start()
    try:
        for frame in _ken_burns_frames(photo, n, (w, h), start, end):
            proc.stdin.write(frame)
    except BrokenPipeError:
        pass
    finally:
        proc.stdin.close()
        rc = proc.wait()
        drain.join()
    if rc != 0:
        raise ffmpeg.Error("ffmpeg", b"", b"".join(err))
    return out_path


# --------------------------------------------------------------------------------------------
# the demo tree
# --------------------------------------------------------------------------------------------

DEMO_CLIPS: tuple[tuple[str, str, float, str, tuple[int, int], str | None, tuple[float, float, float], tuple[float, float, float]], ...] = (
    # file, photo, seconds, fps, (w, h), audio, start (cx, cy, zoom), end
    ("intro.mp4", "astronaut", 3.0, "24", (320, 240), "chime", (0.5, 0.4, 1.0), (0.45, 0.28, 1.6)),
    ("coffee.mp4", "coffee", 3.0, "30000/1001", (320, 180), "melody", (0.35, 0.5, 1.15), (0.6, 0.45, 1.35)),
    ("cat.mp4", "chelsea", 3.0, "25", (320, 240), "chord", (0.5, 0.5, 1.0), (0.45, 0.45, 1.3)),
)


def make_demo(root: Path) -> None:
    """Write the demo assets under ``root``: ``sketches/{hatch,scribble}.png`` (the film's),
    ``sketches/watercolor.png`` (a colour sketch for the README),
    ``candidates/{stipple,charcoal,brush,contour}.png`` (the audition's),
    ``content/*.jpg`` and ``clips/{intro,coffee,cat}.mp4``."""
    _skimage_data()  # missing scikit-image: say so before drawing anything
    root = Path(root)
    sk = root / "sketches"
    sk.mkdir(parents=True, exist_ok=True)
    for style in SKETCH_STYLES:
        draw_sketch(style, 384, seed=0).save(sk / f"{style}.png", optimize=True)
    draw_watercolor(384, seed=0).save(sk / "watercolor.png", optimize=True)
    cand = root / "candidates"
    cand.mkdir(parents=True, exist_ok=True)
    for style in CANDIDATE_STYLES:
        draw_candidate(style, 384, seed=0).save(cand / f"{style}.png", optimize=True)
    make_content_images(root / "content", 256)
    for fname, photo, seconds, fps, size, audio, start, end in DEMO_CLIPS:
        make_clip(root / "clips" / fname, load_photo(photo), seconds, fps, size, audio, start=start, end=end)
