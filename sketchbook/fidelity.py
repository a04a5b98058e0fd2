"""Style fidelity: is a render drawn in *its own* sketch's hand, or in a generic pencil filter?

Measured on hand-made descriptors of a drawing that no training loss uses (training matches VGG16
Gram matrices and, optionally, the sorted luminance; none of these is one). A sketch depicts one
scene and a render another, so comparing whole-picture statistics mostly compares scenes (the
vase's verticals against the coffee cup's ellipses). What stays the same from scene to scene is
*how each tone is drawn*: with parallel or crossing hatching, loops, stipples, long or short
strokes. So:

* the picture (luminance) is cut into 16 px blocks, and each block is described by its strokes
  (:func:`block_features`): at two pen widths (sigma 1 and 2 px), how its stroke orientations are
  spread (the histogram sorted largest first: parallel hatching fills one or two neighbouring
  bins, cross hatching two apart, loops all of them, whichever way they run) and how much stroke
  there is; and how straight its strokes are (the structure tensor's coherence);
* the blocks are grouped by their tone (dark, mid, light, paper) and averaged per tone;
* the distance from a render to a sketch is, over the render's tones (weighted by their share of
  its blocks), the mean absolute difference from the sketch's nearest tone. The sketch is
  described at 1, 1.5, 2 and 3 times the render's shorter side and the nearest is taken: a render
  may draw with a bigger or smaller pen than the scan and keep its hand.

As a check on the measure itself (``tests/test_fidelity.py``): each demo sketch's left half is
closer to its right half (and its top to its bottom) than to the other demo sketch, by a ratio
of about 0.55-0.7. That is roughly the best a render can score: a drawing in exactly the sketch's
hand, of another scene.

**own/other.** A render ``o`` of a model trained on sketch ``s`` scores
``d(o, s) / min_t d(o, t)`` over the other sketches ``t``, averaged over frames first: below 1 it
is closer to its own sketch than to any other. For a pair of sketches (a, b) the pair score is the
geometric mean of the two models' own/other on the same frames; a generic filter, which draws the
same picture whichever sketch it was trained on, scores exactly 1.0 there, and lower is more
unmistakable.

**structure.** Three correlations of the source's and the render's gradient-magnitude maps, each
map blurred by 1/60 of the shorter side (3 px at 180 px):

* :func:`edge_correlation` takes the gradients of the pictures themselves (after a 1 px blur), so
  every stroke is an edge: a drawing that shades with hatching adds edges wherever the footage is
  dark and flat, and is counted as losing structure. A drawing that reproduces the photo's tones
  exactly with hatching (``tests/test_fidelity.py``) scores 0.26 or less on three demo photos.
* :func:`structure_correlation` takes them of the pictures blurred at that same scale first: the
  picture a viewer sees squinting, where hatching and loops have become tone and what is left is
  the contours between tones. That hatched drawing of the photo scores 0.80-0.91; the same
  hatching of another frame, or an even hatching, about 0 (the tests). It is the issue's
  "equivalent structure measure", stated here: it asks whether the drawing keeps the footage's
  shapes and tones, not whether it adds strokes.
* :func:`face_correlation`: :func:`edge_correlation`'s maps, compared only inside the faces that
  OpenCV's stock frontal-face detector finds in the source frame, where fine features (eyes, a
  mouth: a few pixels) matter most and a drawing that hatches over them has lost the face.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import torch
from torch.nn import functional as F

from .images import luminance, resize_short_side

#: Blur scales (px) of the stroke detectors: pen lines of about 1-2 px and 3-4 px.
SCALES = (1.0, 2.0)
N_ORIENT = 8
#: Side (px) of the blocks whose strokes are described one by one.
BLOCK = 16
#: Integration scale (px) of the structure tensor's coherence (straight against curling strokes).
COHERENCE_SCALE = 4.0
#: Tone classes of blocks (mean luminance): dark, mid, light, paper.
TONE_EDGES = (0.0, 0.3, 0.55, 0.8, 1.0001)
TONE_BINS = 8
#: The sketch is described at these multiples of the render's shorter side, and the nearest is
#: taken: a render may draw with a larger or smaller pen than the scan and keep its hand.
SKETCH_SCALES = (1.0, 1.5, 2.0, 3.0)
#: Feature groups (rows of a block's features) and their names in reports.
GROUPS = {"orientation": (0, 1, 2, 4, 5, 6), "density": (3, 7), "coherence": (8,)}
MIN_BLOCKS = 3


@dataclass(frozen=True)
class Descriptor:
    """How a drawing draws each of its tones (see the module's docstring)."""

    tone: torch.Tensor            # (TONE_BINS,) luminance histogram, sums to 1 (reported, not compared)
    features: dict[int, torch.Tensor]  # tone class -> mean block features (9,)
    shares: dict[int, float]      # tone class -> share of the picture's blocks


def _as_lum(x: torch.Tensor) -> torch.Tensor:
    """(H, W), (1, H, W) or (3, H, W) in [0, 1] (or uint8) -> (1, 1, H, W) float luminance."""
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    x = x.float()
    if x.dim() == 2:
        x = x[None]
    if x.dim() != 3:
        raise ValueError(f"expected an image (C, H, W) or (H, W), got shape {tuple(x.shape)}")
    if x.shape[0] == 3:
        x = luminance(x)
    elif x.shape[0] != 1:
        raise ValueError(f"expected 1 or 3 channels, got {x.shape[0]}")
    return x[None].clamp(0, 1)


def _gauss(sigma: float) -> torch.Tensor:
    r = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, C, H, W), reflect-padded (replicate where too small)."""
    k = _gauss(sigma).to(x)
    r = k.numel() // 2
    c = x.shape[1]
    mode = "reflect" if min(x.shape[-2:]) > r else "replicate"
    x = F.pad(x, (r, r, 0, 0), mode=mode)
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    x = F.pad(x, (0, 0, r, r), mode=mode)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def _grad(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences (same size, replicate-padded)."""
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    gx = (p[..., 1:-1, 2:] - p[..., 1:-1, :-2]) / 2
    gy = (p[..., 2:, 1:-1] - p[..., :-2, 1:-1]) / 2
    return gx, gy


def _orientation_maps(angle: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """(1, 1, H, W) angles and weights -> (1, N_ORIENT, H, W): each pixel's weight put in its
    orientation bin over [0, pi), split linearly between the two nearest bins (no aliasing)."""
    pos = (angle % math.pi) / (math.pi / N_ORIENT)
    lo = pos.floor()
    frac = pos - lo
    lo = lo.long() % N_ORIENT
    maps = torch.zeros(1, N_ORIENT, *angle.shape[-2:], dtype=weight.dtype)
    maps.scatter_add_(1, lo, weight * (1 - frac))
    maps.scatter_add_(1, (lo + 1) % N_ORIENT, weight * frac)
    return maps


def block_features(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per BLOCK x BLOCK block: (mean luminance (n,), features (9, n)).

    Features, per stroke scale (sigma 1 and 2 px), from the pixels' stroke strength (the
    Hessian's larger eigenvalue, scale-normalised: dark lines on lighter paper) and direction
    (across the stroke, in 8 bins): the block's orientation histogram sorted largest first, its
    top three shares (parallel hatching fills one or two neighbouring bins, cross hatching two
    apart, loops spread over all of them, whichever way they run), and its stroke energy (x20,
    capped at 1); then the structure tensor's coherence (straight strokes near 1, curling ones
    lower).
    """
    lum = _as_lum(image)
    tone = F.avg_pool2d(lum, BLOCK, BLOCK, ceil_mode=True)[0, 0].flatten()
    cols = []
    for sigma in SCALES:
        gx, gy = _grad(blur(lum, sigma))
        gxx, gxy = _grad(gx)
        _, gyy = _grad(gy)
        # The Hessian's larger eigenvalue: a dark stroke is a valley, curving up across it; its
        # eigenvector is the direction across the stroke.
        half_diff = (gxx - gyy) / 2
        strength = ((gxx + gyy) / 2 + torch.sqrt(half_diff ** 2 + gxy ** 2)).clamp_min(0) * sigma ** 2
        angle = 0.5 * torch.atan2(gxy, half_diff)
        blocks = F.avg_pool2d(_orientation_maps(angle, strength), BLOCK, BLOCK, ceil_mode=True)[0].flatten(1)
        energy = blocks.sum(0)
        profile = (blocks / energy.clamp_min(1e-12)).sort(0, descending=True).values
        profile = torch.where(energy > 1e-6, profile, torch.full_like(profile, 1 / N_ORIENT))
        cols += [profile[:3], (energy * 20).clamp(max=1)[None]]
    gx, gy = _grad(blur(lum, 1.0))
    j = blur(torch.cat([gx * gx, gx * gy, gy * gy], 1), COHERENCE_SCALE)
    tr = j[:, 0] + j[:, 2]
    coh = torch.sqrt((j[:, 0] - j[:, 2]) ** 2 + 4 * j[:, 1] ** 2)
    num = F.avg_pool2d(coh[None], BLOCK, BLOCK, ceil_mode=True).flatten()
    den = F.avg_pool2d(tr[None], BLOCK, BLOCK, ceil_mode=True).flatten()
    cols.append((num / den.clamp_min(1e-12)).clamp(0, 1)[None])
    return tone, torch.cat(cols, 0)


def describe(image: torch.Tensor) -> Descriptor:
    """The descriptor of one drawing (or render): an image (C, H, W) or (H, W) in [0, 1]."""
    lum = _as_lum(image)
    hist = torch.histc(lum, bins=TONE_BINS, min=0.0, max=1.0)
    tone, feats = block_features(image)
    features, shares = {}, {}
    for k in range(len(TONE_EDGES) - 1):
        m = (tone >= TONE_EDGES[k]) & (tone < TONE_EDGES[k + 1])
        if int(m.sum()) >= min(MIN_BLOCKS, tone.numel()):
            features[k] = feats[:, m].mean(1)
            shares[k] = float(m.float().mean())
    return Descriptor(hist / hist.sum().clamp_min(1), features, shares)


def group_distances(render: Descriptor, sketch: Descriptor) -> dict[str, float]:
    """Each feature group's distance: for every tone class of the render (weighted by its share
    of blocks), the mean absolute difference of its block features from the sketch's nearest
    tone class. 0 for the same drawing; asymmetric (the render's tones are the ones asked about)."""
    out = {g: 0.0 for g in GROUPS}
    if not render.features or not sketch.features:
        return out
    total = sum(render.shares.values())
    for k, f in render.features.items():
        near = min(sketch.features, key=lambda j: (abs(j - k), j))
        diff = (f - sketch.features[near]).abs()
        for g, rows in GROUPS.items():
            out[g] += render.shares[k] / total * float(diff[list(rows)].mean())
    return out


def _combine(groups: Mapping[str, float]) -> float:
    """Group distances -> the mean over all features (groups weighted by their size)."""
    n = sum(len(r) for r in GROUPS.values())
    return sum(groups[k] * len(GROUPS[k]) for k in GROUPS) / n


def distance(render: Descriptor, sketch: Descriptor) -> float:
    """The mean block-feature difference over all features (groups weighted by their size)."""
    return _combine(group_distances(render, sketch))


def scale_to(image: torch.Tensor, short_side: int) -> torch.Tensor:
    """(C, H, W) image (float in [0, 1], or uint8) scaled so that its shorter side is ``short_side``."""
    x = image.float() / 255.0 if image.dtype == torch.uint8 else image.float()
    return resize_short_side(x, short_side) if min(x.shape[-2:]) != short_side else x


class SketchDescriptors:
    """Each sketch described at SKETCH_SCALES times a render's shorter side (cached per size)."""

    def __init__(self, sketches: Mapping[str, torch.Tensor]) -> None:
        self.sketches = dict(sketches)
        self._cache: dict[tuple[str, int], list[Descriptor]] = {}

    def at(self, sketch: str, short_side: int) -> list[Descriptor]:
        key = (sketch, int(short_side))
        if key not in self._cache:
            self._cache[key] = [describe(scale_to(self.sketches[sketch], round(short_side * f)))
                                for f in SKETCH_SCALES]
        return self._cache[key]

    def distance(self, render: torch.Tensor | Descriptor, sketch: str, short_side: int) -> float:
        """A render's distance to the sketch at the nearest of its scales."""
        d = render if isinstance(render, Descriptor) else describe(render)
        return min(distance(d, s) for s in self.at(sketch, short_side))


def distances_to_sketches(renders: Sequence[torch.Tensor], sketches: SketchDescriptors) -> dict[str, float]:
    """Mean distance of the renders to every sketch."""
    out = {s: 0.0 for s in sketches.sketches}
    for r in renders:
        d = describe(r)
        for s in out:
            out[s] += sketches.distance(d, s, min(r.shape[-2:]))
    n = max(1, len(renders))
    return {s: v / n for s, v in out.items()}


def own_other(dists: Mapping[str, float], own: str) -> tuple[float, str]:
    """(own/other ratio, nearest other sketch) from a model's mean distances to every sketch.

    NaN and "" where there is no other sketch to compare with."""
    others = {s: d for s, d in dists.items() if s != own}
    if not others:
        return float("nan"), ""
    nearest = min(others, key=others.get)
    return dists[own] / max(others[nearest], 1e-9), nearest


def pair_score(dists: Mapping[str, Mapping[str, float]], a: str, b: str) -> float:
    """Geometric mean of the two models' own/other for the pair (a, b) (``dists[model][sketch]``).

    1.0 for a generic filter (both models draw the same picture); lower is more unmistakable."""
    ra = dists[a][a] / max(dists[a][b], 1e-9)
    rb = dists[b][b] / max(dists[b][a], 1e-9)
    return math.sqrt(ra * rb)


def _edge_maps(source: torch.Tensor, render: torch.Tensor, sigma: float | None,
               pre: float | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Both pictures' gradient-magnitude maps (1, 1, H, W) at the source's size: the luminance
    blurred by ``pre`` (default ``sigma``), its gradient magnitude blurred by ``sigma`` (default
    1/60 of the shorter side, at least 1 px)."""
    a, b = _as_lum(source), _as_lum(render)
    if a.shape != b.shape:
        b = F.interpolate(b, size=a.shape[-2:], mode="bilinear", antialias=True, align_corners=False)
    sigma = sigma or max(1.0, min(a.shape[-2:]) / 60)
    maps = []
    for x in (a, b):
        gx, gy = _grad(blur(x, pre or sigma))
        maps.append(blur(torch.sqrt(gx ** 2 + gy ** 2), sigma))
    return maps[0], maps[1]


def _pearson(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.flatten() - a.mean(), b.flatten() - b.mean()
    den = float(a.norm() * b.norm())
    return float((a * b).sum()) / den if den > 1e-12 else 0.0


def edge_correlation(source: torch.Tensor, render: torch.Tensor, sigma: float | None = None) -> float:
    """Pearson correlation of the blurred gradient-magnitude maps of source and render (same size).

    The gradients are taken after a 1 px blur, so a drawing's own strokes count as edges;
    ``sigma`` (the maps' blur) defaults to 1/60 of the shorter side (3 px at 180 px)."""
    return _pearson(*_edge_maps(source, render, sigma, 1.0))


def structure_correlation(source: torch.Tensor, render: torch.Tensor, sigma: float | None = None) -> float:
    """:func:`edge_correlation` of the two pictures first blurred at the stroke scale ``sigma``
    (1/60 of the shorter side): the contours between tones that a viewer squinting sees, whether
    the tones are drawn with hatching, loops or grey (the module's docstring)."""
    return _pearson(*_edge_maps(source, render, sigma, None))


#: OpenCV's stock frontal-face Haar cascade (shipped inside opencv-python), and its settings: a
#: face at least this many px, found by at least this many overlapping windows.
FACE_CASCADE = "haarcascade_frontalface_default.xml"
FACE_MIN_SIDE = 24
FACE_NEIGHBOURS = 5


@functools.lru_cache(maxsize=1)
def _face_cascade():
    import cv2

    cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / FACE_CASCADE))
    if cascade.empty():
        raise RuntimeError(f"OpenCV's face detector {FACE_CASCADE} could not be read from {cv2.data.haarcascades}: "
                           "reinstall opencv-python-headless (make setup)")
    return cascade


def find_faces(image: torch.Tensor) -> list[tuple[int, int, int, int]]:
    """Frontal faces in a picture ((C, H, W) or (H, W), [0, 1] or uint8): boxes (x, y, w, h), px."""
    import cv2
    import numpy as np

    lum = (_as_lum(image)[0, 0] * 255).round().to(torch.uint8).numpy()
    found = _face_cascade().detectMultiScale(cv2.equalizeHist(np.ascontiguousarray(lum)), scaleFactor=1.1,
                                     minNeighbors=FACE_NEIGHBOURS, minSize=(FACE_MIN_SIDE, FACE_MIN_SIDE))
    return [tuple(int(v) for v in box) for box in found]


def _in_faces(a: torch.Tensor, b: torch.Tensor, faces: Sequence[tuple[int, int, int, int]]) -> float:
    """Pearson correlation of two (1, 1, H, W) maps over the face boxes (x, y, w, h) only."""
    mask = torch.zeros(a.shape[-2:], dtype=torch.bool)
    for x, y, w, h in faces:
        mask[y:y + h, x:x + w] = True
    return _pearson(a[0, 0][mask], b[0, 0][mask])


def face_correlation(source: torch.Tensor, render: torch.Tensor,
                     faces: Sequence[tuple[int, int, int, int]] | None = None) -> float:
    """:func:`edge_correlation`'s maps compared inside the source's faces only (``faces``, boxes
    (x, y, w, h) as :func:`find_faces` gives them, found there when None); NaN without a face."""
    faces = find_faces(source) if faces is None else faces
    if not faces:
        return float("nan")
    return _in_faces(*_edge_maps(source, render, None, 1.0), faces)


def structure_summary(sources: Sequence[torch.Tensor], renders: Sequence[torch.Tensor]) -> dict[str, float]:
    """How much of the pictures their renders keep: the mean :func:`edge_correlation` and
    :func:`structure_correlation`, and :func:`face_correlation` over the pictures with a face
    (NaN where none has one). Each picture's edge maps serve both edge and face."""
    edge, structure, face = 0.0, 0.0, []
    for x, r in zip(sources, renders):
        maps = _edge_maps(x, r, None, 1.0)
        edge += _pearson(*maps)
        structure += structure_correlation(x, r)
        faces = find_faces(x)
        if faces:
            face.append(_in_faces(*maps, faces))
    n = max(1, len(sources))
    return {"edge_corr": edge / n, "structure_corr": structure / n,
            "face_corr": sum(face) / len(face) if face else float("nan")}


def hand_summary(renders: Sequence[torch.Tensor], sketch: torch.Tensor) -> dict:
    """A render set's distance to one sketch, in total and by feature group (for a model's card)."""
    hands = SketchDescriptors({"own": sketch})
    groups = {g: 0.0 for g in GROUPS}
    for r in renders:
        d = describe(r)
        nearest = min((group_distances(d, s) for s in hands.at("own", min(r.shape[-2:]))), key=_combine)
        for g, v in nearest.items():
            groups[g] += v / max(1, len(renders))
    return {"distance": round(_combine(groups), 5), "by_group": {g: round(v, 5) for g, v in groups.items()}}
