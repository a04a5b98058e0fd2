"""The temporal term of training: outputs of two nearby frames must agree where the motion is known.

Following Huang et al. 2017 and ReCoNet's output-level term (Gao et al. 2018): for a pair of
frames ``a``, ``b`` with the flow that pulls ``a`` onto ``b``'s grid and a mask of the pixels where
that warp can be trusted,

    L_t = sum(M * mean_c (W(O_a) - O_b)^2) / sum(M)

where ``O`` are the network's outputs and ``W`` warps by the flow. The pair's first frames are
crops of the training batch, its second frames extra crops on top of it, seen only by this term
(:func:`sample_pairs`).

Conventions are :mod:`sketchbook.flow`'s, in torch: a flow ``f`` (N, H, W, 2) [dx, dy] in pixels
pulls an image onto another grid: ``warp(img, f)(x) = img(x + f(x))``. Here the flow of a pair
pulls the *first* frame onto the *second*: ``b(x) ~ a(x + f(x))``, so ``warp(O_a, f)`` is
compared with ``O_b`` on ``b``'s grid, and the mask lives there too.

Pairs with a known flow (:func:`shift_motion`): each crop is moved by a random shift of a whole
number of pixels (up to :data:`PAIR_SHIFT_PX` along each axis), as a hand-held camera moves between
frames. The flow is then exact, and so is the warp: a whole-pixel shift moves every stroke without
resampling it. (A sub-pixel motion would blur the first output's thin strokes as it warps them, so
the term would punish fine hatching itself, not its boil: trained with the zoom-and-rotation
motions of :func:`random_motion`, the hatch model drew coarser, more regular hatching for less
steadiness: the README's "Films that hold still" gives the figures.) The mask is the pixels whose
source lies inside the crop (the border the shift brings in is left out). Every content folder
gets pairs this way, photos included.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch.nn import functional as F

#: The shift of a training pair (:func:`shift_motion`): up to this many whole pixels along each axis.
PAIR_SHIFT_PX = 4

#: The random motion of :func:`random_motion` (the cards' known-motion error): shift up to this many
#: px along each axis, zoom by up to this fraction, rotate by up to this many degrees (each uniform,
#: both signs).
MAX_SHIFT_PX = 4.0
MAX_ZOOM = 0.03
MAX_ROTATION_DEG = 2.0


def _grid(flow: torch.Tensor) -> torch.Tensor:
    """grid_sample's normalised grid (align_corners=True) for sampling at ``x + flow(x)``."""
    n, h, w, _ = flow.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=flow.dtype, device=flow.device),
                            torch.arange(w, dtype=flow.dtype, device=flow.device), indexing="ij")
    gx = (xs + flow[..., 0]) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (ys + flow[..., 1]) * (2.0 / max(h - 1, 1)) - 1.0
    return torch.stack([gx, gy], dim=-1)


def warp(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``img`` (N, C, H, W) sampled at ``x + flow(x)`` (bilinear; outside: the nearest edge pixel).

    Differentiable with respect to ``img`` (and the flow)."""
    return F.grid_sample(img, _grid(flow.to(img.dtype)), mode="bilinear", padding_mode="border",
                         align_corners=True)


def inside(flow: torch.Tensor) -> torch.Tensor:
    """(N, H, W) bool: True where ``x + flow(x)`` lies inside the frame."""
    n, h, w, _ = flow.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=flow.dtype, device=flow.device),
                            torch.arange(w, dtype=flow.dtype, device=flow.device), indexing="ij")
    mx, my = xs + flow[..., 0], ys + flow[..., 1]
    return (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)


def temporal_loss(out_a: torch.Tensor, out_b: torch.Tensor, flow: torch.Tensor,
                  mask: torch.Tensor) -> torch.Tensor:
    """Masked mean squared difference (mean over channels) between ``warp(out_a, flow)`` and ``out_b``.

    ``out_a``, ``out_b``: (N, C, H, W); ``flow``: (N, H, W, 2) pulling ``a`` onto ``b``'s grid;
    ``mask``: (N, H, W), 1 where the warp is valid. 0 for an empty mask."""
    d = (warp(out_a, flow) - out_b).pow(2).mean(1)
    m = mask.to(d.dtype)
    return (d * m).sum() / m.sum().clamp_min(1.0)


def random_motion(n: int, size: int, gen: Optional[torch.Generator] = None,
                  max_shift: float = MAX_SHIFT_PX, max_zoom: float = MAX_ZOOM,
                  max_rotation_deg: float = MAX_ROTATION_DEG) -> tuple[torch.Tensor, torch.Tensor]:
    """(flow (n, size, size, 2), mask (n, size, size) bool) of ``n`` small random similarity motions.

    The second frame is ``b = warp(a, flow)``: ``b(x) = a(T(x))`` with ``T(x) = c + z R (x - c) + d``
    about the centre ``c``, so ``flow = T(x) - x`` exactly; the mask is ``T(x)`` inside the crop.
    Draws 4 numbers per motion from ``gen`` (seeded training stays reproducible)."""
    r = torch.rand(n, 4, generator=gen, dtype=torch.float64) * 2 - 1
    dx, dy = r[:, 0] * max_shift, r[:, 1] * max_shift
    zoom = 1 + r[:, 2] * max_zoom
    th = r[:, 3] * math.radians(max_rotation_deg)
    c = (size - 1) / 2
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64),
                            indexing="ij")
    u, v = (xs - c)[None], (ys - c)[None]
    cos, sin = (th.cos() * zoom)[:, None, None], (th.sin() * zoom)[:, None, None]
    tx = c + cos * u - sin * v + dx[:, None, None]
    ty = c + sin * u + cos * v + dy[:, None, None]
    flow = torch.stack([tx - xs, ty - ys], dim=-1).float()
    return flow, inside(flow)


def shift_motion(n: int, size: int, gen: Optional[torch.Generator] = None, max_shift: int = PAIR_SHIFT_PX
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """(flow (n, size, size, 2), mask (n, size, size) bool) of ``n`` random whole-pixel shifts.

    Each axis's shift is a uniform draw in [-max_shift, max_shift] rounded to the nearest integer
    (so 0 and the extremes are half as likely as the others); ``warp(a, flow)`` is then ``a``
    moved exactly, without resampling. Draws 2 numbers per shift from ``gen``."""
    r = torch.rand(n, 2, generator=gen, dtype=torch.float64) * 2 - 1
    d = (r * max_shift).round().float()
    flow = d[:, None, None, :].expand(n, size, size, 2).contiguous()
    return flow, inside(flow)


def sample_pairs(sample, batch_size: int, size: int, gen: Optional[torch.Generator] = None
                 ) -> tuple[torch.Tensor, int, torch.Tensor, torch.Tensor]:
    """A training batch of ``batch_size`` crops and, on top of them, moved copies of the first
    ``k = batch_size // 2``, with their flow and mask.

    ``sample(n)`` gives ``n`` crops (:meth:`sketchbook.train.CropSampler.sample`). Returns
    ``(x, k, flow, mask)``: ``x`` holds ``batch_size + k`` crops, the pairs are ``x[:k]`` and
    ``x[-k:]`` (``x[-k:] = warp(x[:k], flow)``). The copies are extra: training scores the first
    ``batch_size`` crops as it would without the term, and the copies only by the temporal term,
    so the term takes no distinct crops away from the style and content terms (it did when the
    copies were half of the batch: at the demo's batch of 2, one crop a step instead of two, and
    the hatch model's style loss rose by 19% at 0.35x the warping error, against 11% at 0.42x with
    the copies on top). The network runs on ``k`` more crops: about 1.2x the seconds per step."""
    k = batch_size // 2
    if k < 1:
        raise ValueError("known-flow pairs need a batch of at least 2 crops")
    crops = sample(batch_size)
    flow, mask = shift_motion(k, size, gen)
    moved = warp(crops[:k], flow).clamp_(0, 1)
    return torch.cat([crops, moved]), k, flow, mask


#: The fixed motions of :func:`known_motion_error`: their count and seed (the same for every model).
KNOWN_MOTIONS, KNOWN_MOTION_SEED = 4, 20181


@torch.inference_mode()
def known_motion_error(render, images, n: int = KNOWN_MOTIONS, seed: int = KNOWN_MOTION_SEED) -> float:
    """A model's steadiness without a clip: Lai et al.'s warping error on known-motion pairs.

    Each image (float (3, H, W) in [0, 1]) is moved by ``n`` small seeded motions
    (:func:`random_motion`, as a hand-held camera moves between frames: the same motions for every
    model); ``render`` (float (1, 3, H, W) -> float (1, C, H, W) in [0, 1], the picture as the film
    shows it) draws the image and each moved copy, and the error is the masked mean squared
    luminance difference between the moved copy's render and the image's render moved the same
    way: 0 for a model whose drawing moves with the picture, larger the more its strokes boil.
    Luminance in [0, 1], as :mod:`sketchbook.stability` measures clips (the figures compare).
    """
    from .images import luminance

    gen = torch.Generator().manual_seed(seed)
    total, count = 0.0, 0
    for img in images:
        h, w = img.shape[-2:]
        side = min(h, w)
        a = img[None, :, (h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side].float()
        flow, mask = random_motion(n, side, gen)
        moved = warp(a.expand(n, -1, -1, -1), flow).clamp_(0, 1)
        ra = luminance(render(a))
        rb = torch.cat([luminance(render(moved[i:i + 1])) for i in range(n)])
        total += float(temporal_loss(ra.expand(n, -1, -1, -1), rb, flow, mask)) * n
        count += n
    return total / max(1, count)
