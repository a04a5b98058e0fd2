"""Style fidelity: is a render drawn in *its own* sketch's hand, or in a generic pencil filter?

Measured on hand-made descriptors of a drawing that no training loss uses (training matches VGG16
Gram matrices; none of these is one), each computed on the luminance in [0, 1]:

* ``tone``: the histogram of luminance (8 bins): how much ink, how much paper, how many greys;
* ``orientation``: at three stroke scales (sigma 1, 2, 4 px), the share of dark-line energy in
  each of 8 orientations: per pixel, the Hessian's larger eigenvalue of the blurred picture (its
  positive part: a dark stroke on lighter paper), binned by the direction across the stroke.
  Parallel hatching peaks at its angle; loops and scribbles spread over all of them;
* ``scale``: how that energy splits over the three scales: fine pen lines against broad strokes;
* ``coherence``: the structure tensor's coherence, integrated over 2 and 6 px (energy-weighted):
  long straight strokes are coherent, loops, stipples and smudges are not;
* ``density``: the share of ink pixels (luminance < 0.5) and the mean gradient magnitude.

The distance between two descriptors is the mean over those five groups of a distance in [0, 1]
for each (half the L1 distance of the distributions, the absolute difference of coherences, the
relative difference of the densities), so every group counts the same.

**own/other.** A render ``o`` of a model trained on sketch ``s`` scores
``d(o, s) / min_t d(o, t)`` over the other sketches ``t``, averaged over frames first: below 1 it
is closer to its own sketch than to any other. For a pair of sketches (a, b) the pair score is the
geometric mean of the two models' own/other on the same frames; a generic filter, which draws the
same picture whichever sketch it was trained on, scores exactly 1.0 there, and lower is more
unmistakable. Each sketch is described at the render's scale (scaled so that its shorter side is
the render's).

**structure.** :func:`edge_correlation` is the correlation of the source's and the render's
blurred gradient-magnitude maps: how much of the footage's structure the drawing keeps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import torch
from torch.nn import functional as F

#: Blur scales (px) of the orientation energy, and the number of orientations.
SCALES = (1.0, 2.0, 4.0)
N_ORIENT = 8
#: Integration scales (px) of the structure tensor's coherence.
COHERENCE_SCALES = (2.0, 6.0)
TONE_BINS = 8
INK = 0.5
GROUPS = ("tone", "orientation", "scale", "coherence", "density")


@dataclass(frozen=True)
class Descriptor:
    """The hand-made descriptors of one drawing (see the module's docstring)."""

    tone: torch.Tensor         # (TONE_BINS,), sums to 1
    orientation: torch.Tensor  # (len(SCALES), N_ORIENT), each row sums to 1
    scale: torch.Tensor        # (len(SCALES),), sums to 1
    coherence: torch.Tensor    # (len(COHERENCE_SCALES),), in [0, 1]
    density: torch.Tensor      # (2,): ink share, mean gradient magnitude

    def as_dict(self) -> dict:
        return {g: [round(float(v), 5) for v in getattr(self, g).flatten()] for g in GROUPS}


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
        x = (x * x.new_tensor([0.299, 0.587, 0.114]).view(3, 1, 1)).sum(0, keepdim=True)
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


def _orientation_histogram(angle: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Weights summed into N_ORIENT orientation bins over [0, pi), split linearly between the two
    nearest bins (no aliasing at bin edges)."""
    pos = (angle % math.pi) / (math.pi / N_ORIENT)
    lo = pos.floor()
    frac = pos - lo
    lo = lo.long() % N_ORIENT
    hist = torch.zeros(N_ORIENT, dtype=weight.dtype)
    hist.index_add_(0, lo, weight * (1 - frac))
    hist.index_add_(0, (lo + 1) % N_ORIENT, weight * frac)
    return hist


def describe(image: torch.Tensor) -> Descriptor:
    """The descriptor of one drawing (or render): an image (C, H, W) or (H, W) in [0, 1]."""
    lum = _as_lum(image)
    tone = torch.histc(lum, bins=TONE_BINS, min=0.0, max=1.0)
    tone = tone / tone.sum().clamp_min(1)
    energies = []
    for sigma in SCALES:
        b = blur(lum, sigma)
        gx, gy = _grad(b)
        gxx, gxy = _grad(gx)
        _, gyy = _grad(gy)
        # The Hessian's larger eigenvalue, scale-normalised (sigma^2): a dark stroke is a valley,
        # curving up across it; its eigenvector is the direction across the stroke.
        half_diff = (gxx - gyy) / 2
        strength = ((gxx + gyy) / 2 + torch.sqrt(half_diff ** 2 + gxy ** 2)).clamp_min(0) * sigma ** 2
        angle = 0.5 * torch.atan2(gxy, half_diff)  # (-pi/2, pi/2]
        energies.append(_orientation_histogram(angle.flatten(), strength.flatten()) / lum.numel())
    e = torch.stack(energies)  # (scales, orientations)
    per_scale = e.sum(1)
    orientation = e / per_scale.clamp_min(1e-12)[:, None]
    orientation = torch.where(per_scale[:, None] > 1e-12, orientation, torch.full_like(e, 1 / N_ORIENT))
    total = per_scale.sum()
    scale = per_scale / total if total > 1e-12 else torch.full_like(per_scale, 1 / len(SCALES))
    gx, gy = _grad(blur(lum, 1.0))
    coh = []
    for rho in COHERENCE_SCALES:
        j = blur(torch.cat([gx * gx, gx * gy, gy * gy], 1), rho)
        jxx, jxy, jyy = j[:, 0], j[:, 1], j[:, 2]
        tr = jxx + jyy
        c = torch.sqrt((jxx - jyy) ** 2 + 4 * jxy ** 2) / tr.clamp_min(1e-12)
        coh.append((c * tr).sum() / tr.sum() if tr.sum() > 1e-12 else torch.tensor(0.0))
    ink = (lum < INK).float().mean()
    edge = torch.sqrt(gx ** 2 + gy ** 2).mean()
    return Descriptor(tone, orientation, scale, torch.stack(coh).clamp(0, 1), torch.stack([ink, edge]))


def _rel(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return ((a - b).abs() / (a.abs() + b.abs()).clamp_min(1e-6)).mean()


def group_distances(a: Descriptor, b: Descriptor) -> dict[str, float]:
    """Each group's distance in [0, 1]."""
    return {
        "tone": float((a.tone - b.tone).abs().sum() / 2),
        "orientation": float((a.orientation - b.orientation).abs().sum(1).mean() / 2),
        "scale": float((a.scale - b.scale).abs().sum() / 2),
        "coherence": float((a.coherence - b.coherence).abs().mean()),
        "density": float(_rel(a.density, b.density)),
    }


def distance(a: Descriptor, b: Descriptor) -> float:
    """The mean of the group distances: 0 for the same descriptor, at most 1."""
    g = group_distances(a, b)
    return sum(g.values()) / len(g)


def scale_to(image: torch.Tensor, short_side: int) -> torch.Tensor:
    """(C, H, W) float image scaled so that its shorter side is ``short_side`` (antialiased)."""
    x = image.float() / 255.0 if image.dtype == torch.uint8 else image.float()
    h, w = x.shape[-2:]
    s = short_side / min(h, w)
    size = (max(1, round(h * s)), max(1, round(w * s)))
    if size == (h, w):
        return x
    return F.interpolate(x[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0]


class SketchDescriptors:
    """Each sketch described at the scale of the renders it is compared with (cached per size)."""

    def __init__(self, sketches: Mapping[str, torch.Tensor]) -> None:
        self.sketches = dict(sketches)
        self._cache: dict[tuple[str, int], Descriptor] = {}

    def at(self, sketch: str, short_side: int) -> Descriptor:
        key = (sketch, int(short_side))
        if key not in self._cache:
            self._cache[key] = describe(scale_to(self.sketches[sketch], int(short_side)))
        return self._cache[key]


def distances_to_sketches(renders: Sequence[torch.Tensor], sketches: SketchDescriptors) -> dict[str, float]:
    """Mean distance of the renders' descriptors to every sketch's (described at each render's scale)."""
    out = {s: 0.0 for s in sketches.sketches}
    for r in renders:
        d = describe(r)
        short = min(r.shape[-2:])
        for s in out:
            out[s] += distance(d, sketches.at(s, short))
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


def edge_correlation(source: torch.Tensor, render: torch.Tensor, sigma: float | None = None) -> float:
    """Pearson correlation of the blurred gradient-magnitude maps of source and render (same size).

    ``sigma`` defaults to 1/60 of the shorter side (3 px at 180 px): coarse enough that a
    drawing's own strokes do not count against it, fine enough that losing a contour does."""
    a, b = _as_lum(source), _as_lum(render)
    if a.shape != b.shape:
        b = F.interpolate(b, size=a.shape[-2:], mode="bilinear", antialias=True, align_corners=False)
    sigma = sigma or max(1.0, min(a.shape[-2:]) / 60)
    maps = []
    for x in (a, b):
        gx, gy = _grad(blur(x, 1.0))
        maps.append(blur(torch.sqrt(gx ** 2 + gy ** 2), sigma).flatten())
    ma, mb = maps[0] - maps[0].mean(), maps[1] - maps[1].mean()
    den = float(ma.norm() * mb.norm())
    return float((ma * mb).sum()) / den if den > 1e-12 else 0.0


def hand_summary(renders: Sequence[torch.Tensor], sketch: torch.Tensor) -> dict:
    """A render set's distance to one sketch, in total and by group (for a model's card)."""
    hands = SketchDescriptors({"own": sketch})
    groups = {g: 0.0 for g in GROUPS}
    for r in renders:
        for g, v in group_distances(describe(r), hands.at("own", min(r.shape[-2:]))).items():
            groups[g] += v / max(1, len(renders))
    return {"distance": round(sum(groups.values()) / len(groups), 5),
            "by_group": {g: round(v, 5) for g, v in groups.items()}}
