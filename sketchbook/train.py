"""Training a fast style network on one sketch (Johnson et al. 2016).

The loss: content (MSE of one VGG16 layer's features), style (MSE of Gram matrices on several
layers, each divided by C*H*W) and total variation; optionally a tonal term and a temporal
term (:mod:`sketchbook.temporal`: with ``temporal_weight``, the first half of each batch are the
first frames of pairs whose second frames come on top of the batch, seen by that term only, and
their outputs must agree after warping; the pairs are moved copies of crops, and every other
step, where the content has clips, crops of the clips' frame pairs with their flow,
:class:`ClipPairSampler`). Content images are random crops of the training images, seeded; the
sketch is scaled so that its shorter side is ``style_size``.
"""

from __future__ import annotations

import csv
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch
from torch.nn import functional as F

from .atomic import atomic_file
from .errors import ConfigError
from .images import load_rgb, luminance, resize_short_side
from .lossnet import LossNetwork
from .modelfile import named_state_dict, save_model
from .network import TransformerNet
from .pairs import load_pair
from .precision import autocast
from .settings import TrainSettings
from .temporal import inside, sample_pairs, temporal_loss

log = logging.getLogger(__name__)


def gram_matrix(f: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, C), divided by C*H*W, in fp32."""
    n, c, h, w = f.shape
    f = f.float().reshape(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def total_variation(x: torch.Tensor) -> torch.Tensor:
    return (x[..., 1:, :] - x[..., :-1, :]).abs().mean() + (x[..., :, 1:] - x[..., :, :-1]).abs().mean()


class CropSampler:
    """Seeded random square crops (random scale, random flip) of a set of content images."""

    def __init__(self, images: Sequence[torch.Tensor], size: int, seed: int) -> None:
        if not images:
            raise ConfigError("no content images to train on")
        # Keep each image at most 2x the crop size on its shorter side: bounded memory.
        self.images = [resize_short_side(im, 2 * size) if min(im.shape[-2:]) > 2 * size else im for im in images]
        self.size = size
        self.gen = torch.Generator().manual_seed(seed)

    def _rand(self) -> float:
        return float(torch.rand((), generator=self.gen))

    def sample(self, n: int) -> torch.Tensor:
        out = []
        for _ in range(n):
            im = self.images[int(torch.randint(len(self.images), (), generator=self.gen))]
            h, w = im.shape[-2:]
            side = min(h, w)
            crop = max(8, int(side * (0.4 + 0.6 * self._rand())))
            top = int((h - crop) * self._rand())
            left = int((w - crop) * self._rand())
            patch = im[:, top : top + crop, left : left + crop]
            patch = F.interpolate(patch[None], size=(self.size, self.size), mode="bilinear",
                                  antialias=True, align_corners=False)[0]
            if self._rand() < 0.5:
                patch = patch.flip(-1)
            out.append(patch)
        return torch.stack(out).clamp_(0, 1)


def crop_pair(pair: dict, top: int, left: int, crop: int, size: int, flip: bool
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One square window of a clip's frame pair (:mod:`sketchbook.pairs`), as a training crop.

    ``pair``: tensors ``a``, ``b`` (3, H, W) uint8, ``flow`` (2, H, W) float px pulling ``a`` onto
    ``b``'s grid, ``mask`` (1, H, W) float. Both frames are cut at the same window
    (``crop`` px at ``top``, ``left``) and resized to ``size`` as :meth:`CropSampler.sample`
    resizes; the flow is resized with them and its vectors scaled by ``size / crop``, so that
    ``warp(a', flow') ~ b'`` still; mirrored (``flip``), the field is mirrored and its dx negated.
    The mask keeps the pixels whose every source pixel was valid and whose flow stays inside the
    window (the crop's edge is a border as the frame's is).
    Returns ``(a, b, flow, mask)``: (3, S, S) float in [0, 1] twice, (S, S, 2), (S, S) bool.
    """
    win = (slice(None), slice(top, top + crop), slice(left, left + crop))

    def resize(t: torch.Tensor) -> torch.Tensor:
        return F.interpolate(t[win][None].float(), size=(size, size), mode="bilinear", antialias=True,
                             align_corners=False)[0]

    a, b = resize(pair["a"]) / 255.0, resize(pair["b"]) / 255.0
    flow = resize(pair["flow"]) * (size / crop)
    valid = resize(pair["mask"])[0] >= 1.0 - 1e-4
    if flip:
        a, b, flow, valid = a.flip(-1), b.flip(-1), flow.flip(-1), valid.flip(-1)
        flow = torch.stack([-flow[0], flow[1]])
    flow = flow.permute(1, 2, 0).contiguous()
    return a.clamp_(0, 1), b.clamp_(0, 1), flow, valid & inside(flow[None])[0]


class ClipPairSampler:
    """Seeded random square crops of clip frame pairs, each pair's two frames at the same window.

    The windows are drawn as :class:`CropSampler` draws its crops (a random pair, a random scale of
    0.4 to 1 of its shorter side, a random place, mirrored half the time), from the generator
    given (the training's sampler's: one random stream, saved in its checkpoints)."""

    def __init__(self, pairs: Sequence[dict], size: int, gen: torch.Generator) -> None:
        if not pairs:
            raise ConfigError("no clip frame pairs to train on")
        self.pairs = [{"a": torch.from_numpy(p["a"]).permute(2, 0, 1).contiguous(),
                       "b": torch.from_numpy(p["b"]).permute(2, 0, 1).contiguous(),
                       "flow": torch.from_numpy(p["flow"]).permute(2, 0, 1).float().contiguous(),
                       "mask": torch.from_numpy(p["mask"])[None].float()} for p in pairs]
        self.size = size
        self.gen = gen

    def _rand(self) -> float:
        return float(torch.rand((), generator=self.gen))

    def sample(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``n`` cropped pairs: (a (n, 3, S, S), b (n, 3, S, S), flow (n, S, S, 2), mask (n, S, S))."""
        out = []
        for _ in range(n):
            pair = self.pairs[int(torch.randint(len(self.pairs), (), generator=self.gen))]
            h, w = pair["a"].shape[-2:]
            side = min(h, w)
            crop = max(8, int(side * (0.4 + 0.6 * self._rand())))
            top = int((h - crop) * self._rand())
            left = int((w - crop) * self._rand())
            out.append(crop_pair(pair, top, left, crop, self.size, self._rand() < 0.5))
        a, b, flow, mask = (torch.stack(t) for t in zip(*out))
        return a, b, flow, mask

    def batch(self, sample: Callable[[int], torch.Tensor], batch_size: int
              ) -> tuple[torch.Tensor, int, torch.Tensor, torch.Tensor]:
        """A training batch as :func:`sketchbook.temporal.sample_pairs` makes one, of clip pairs:
        ``(x, k, flow, mask)`` with ``x[:k]`` the first frames, then ``batch_size - k`` crops from
        ``sample`` (the photos), then the second frames on top, ``x[-k:]`` (``k = batch_size // 2``)."""
        k = batch_size // 2
        if k < 1:
            raise ValueError("frame pairs need a batch of at least 2 crops")
        a, b, flow, mask = self.sample(k)
        return torch.cat([a, sample(batch_size - k), b]), k, flow, mask


#: With clip frame pairs, every CLIP_PAIR_EVERY-th step (the first, and every other after it)
#: takes its pairs from the clips; the other steps take known-flow pairs of the photos.
CLIP_PAIR_EVERY = 2


def clip_pair_step(step: int) -> bool:
    """Whether training step ``step`` (from 1) takes its pairs from the clips (when there are some)."""
    return (step - 1) % CLIP_PAIR_EVERY == 0


@dataclass
class Losses:
    content: float
    style: float
    tv: float
    total: float
    tone: float = 0.0
    temporal: float = 0.0


class StyleLoss:
    """Perceptual loss against one style image, with precomputed style Grams."""

    def __init__(self, lossnet: LossNetwork, style: torch.Tensor, settings: TrainSettings) -> None:
        self.net = lossnet
        self.s = settings
        for layer in [settings.content_layer, *settings.style_layers]:
            if layer not in lossnet.names.values():
                raise ConfigError(f"unknown VGG16 layer {layer!r}; choose from {sorted(lossnet.names.values())}")
        self.layer_weights = settings.layer_weights()
        with torch.no_grad():
            feats = lossnet(style[None].float())
            self.grams = {k: gram_matrix(feats[k]) for k in settings.style_layers}
            # The sketch's luminance, sorted: the tonal term's target (ink against paper).
            self.tones = luminance(style.float()).flatten().sort().values

    def __call__(self, out: torch.Tensor, content: torch.Tensor, prec: str,
                 pairs: Optional[tuple[int, torch.Tensor, torch.Tensor]] = None) -> tuple[torch.Tensor, Losses]:
        """The weighted total and each term. ``pairs``: ``(k, flow, mask)`` when ``out[:k]`` and
        ``out[-k:]`` are the outputs of frame pairs (:func:`sketchbook.temporal.sample_pairs`):
        adds the temporal term, and the last ``k`` (the pairs' second frames, extra crops on top of
        the batch) are seen by that term only; every other term sees the rest of the batch."""
        s = self.s
        pair_out = out
        if pairs is not None:
            k, flow, mask = pairs
            out, content = out[:-k], content[:-k]
        with autocast(prec, out.device):
            fo = self.net(out)
            with torch.no_grad():
                # The photo's features are only needed for the content term (relu2_2 by default):
                # the layers after it are about 14% of a training step's FLOPs.
                fc = self.net(content, upto=s.content_layer)
        c_loss = F.mse_loss(fo[s.content_layer].float(), fc[s.content_layer].float())
        st_loss = sum(self.layer_weights[layer] * F.mse_loss(gram_matrix(fo[layer]),
                                                             self.grams[layer].expand(out.shape[0], -1, -1))
                      for layer in s.style_layers)
        tv = total_variation(out.float())
        tone = tone_loss(out.float(), self.tones)
        total = s.content_weight * c_loss + s.style_weight * st_loss + s.tv_weight * tv
        if s.tone_weight:
            total = total + s.tone_weight * tone
        temporal = 0.0
        if pairs is not None:
            t_loss = temporal_loss(pair_out[:k].float(), pair_out[-k:].float(), flow.to(out.device),
                                   mask.to(out.device))
            total = total + s.temporal_weight * t_loss
            temporal = t_loss.item()
        return total, Losses(c_loss.item(), st_loss.item(), tv.item(), total.item(), tone.item(), temporal)


def tone_loss(out: torch.Tensor, tones: torch.Tensor) -> torch.Tensor:
    """The tonal term (a 1-D optimal transport, as Risser et al.'s histogram loss): each output's
    sorted luminance against the sketch's luminance at the same quantiles, mean squared.

    It asks for the sketch's share of ink, paper and greys, wherever the network puts them."""
    lum = luminance(out).flatten(1)
    n = lum.shape[1]
    idx = torch.linspace(0, tones.numel() - 1, n, device=tones.device).round().long()
    target = tones[idx].to(lum)
    return F.mse_loss(lum.sort(dim=1).values, target.expand_as(lum))


CHECKPOINT_FORMAT = "sketchbook-checkpoint/1"
LOSS_COLUMNS = ["step", "content", "style", "tv", "tone", "temporal", "total", "seconds"]


def _upgrade_row(r: Sequence[float]) -> list[float]:
    """A losses row of a checkpoint written before the temporal column: 0 there."""
    r = list(r)
    return r[:5] + [0.0] + r[5:] if len(r) == len(LOSS_COLUMNS) - 1 else r


@dataclass
class TrainResult:
    final: Losses
    steps: int
    seconds: float
    resumed_from: int


def _save_checkpoint(path: Path, settings: TrainSettings, step: int, model: TransformerNet,
                     opt: torch.optim.Optimizer, sampler: CropSampler, rows: list, elapsed: float) -> None:
    blob = {"format": CHECKPOINT_FORMAT, "settings": settings.to_dict(), "step": step,
            "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "optimizer": opt.state_dict(), "sampler": sampler.gen.get_state(), "rows": rows,
            "elapsed": elapsed}
    with atomic_file(path) as tmp:  # a kill mid-write leaves the previous checkpoint intact
        torch.save(blob, tmp)


def _load_checkpoint(path: Optional[Path], settings: TrainSettings, progress: Callable[[str], None]) -> Optional[dict]:
    """The checkpoint at ``path`` if it is readable and was made with the same settings."""
    if path is None or not path.is_file():
        return None
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a corrupt checkpoint is not fatal: start again
        progress(f"checkpoint {path} unreadable ({type(exc).__name__}); starting from step 0")
        return None
    if not isinstance(blob, dict) or blob.get("format") != CHECKPOINT_FORMAT:
        progress(f"checkpoint {path} has an unknown format; starting from step 0")
        return None
    if blob.get("settings") != settings.to_dict():
        progress(f"checkpoint {path} was made with other settings; starting from step 0")
        return None
    return blob


def train(
    settings: TrainSettings,
    style_path: Path,
    content_paths: Sequence[Path],
    lossnet: LossNetwork,
    out_model: Path,
    out_losses: Path,
    device: torch.device,
    precision: str,
    progress: Callable[[str], None] = log.info,
    log_every: int = 0,
    checkpoint: Optional[Path] = None,
    checkpoint_every: int = 0,
    checkpoint_seconds: float = 30.0,
    on_step: Optional[Callable[[int, TransformerNet], None]] = None,
    pairs: Sequence[Path] = (),
) -> TrainResult:
    """Train one model; write its weights and a loss-per-step CSV.

    ``pairs``: the content clips' frame pair files (:mod:`sketchbook.pairs`); with a
    ``temporal_weight``, every other step (:func:`clip_pair_step`) takes its pairs from them
    (:class:`ClipPairSampler`) and the others known-flow pairs of the photos. Without a
    ``temporal_weight`` they are not read.

    With ``checkpoint``, the model, optimizer, sampler state and losses so far are saved there
    every ``checkpoint_every`` steps (or every ``checkpoint_seconds``); a run that finds a
    checkpoint made with the same settings continues from its step, and gives the same model as
    an uninterrupted run. The checkpoint is removed once the model is written.
    ``on_step(step, model)`` is called after every step (the benchmark snapshots models with it).
    """
    s = settings
    torch.manual_seed(s.seed)
    style = resize_short_side(load_rgb(style_path, "sketch"), s.style_size).to(device)
    contents = [load_rgb(p, "content image") for p in content_paths]
    sampler = CropSampler(contents, s.image_size, s.seed)
    clip_pairs = None
    if s.temporal_weight and pairs:
        clip_pairs = ClipPairSampler([load_pair(p) for p in pairs], s.image_size, sampler.gen)
    model = TransformerNet(s.width, s.n_residual).to(device).train()
    loss_fn = StyleLoss(lossnet, style, s)
    opt = torch.optim.Adam(model.parameters(), lr=s.learning_rate)
    # fp16 needs loss scaling against underflow; bf16 and fp32 do not.
    scaler = torch.amp.GradScaler(device.type, enabled=(precision == "fp16"))
    rows: list[list[float]] = []
    start, elapsed0 = 0, 0.0
    blob = _load_checkpoint(checkpoint, s, progress)
    if blob is not None:
        model.load_state_dict(named_state_dict(blob["model"]))  # a checkpoint from before the names too
        opt.load_state_dict(blob["optimizer"])
        sampler.gen.set_state(blob["sampler"])
        rows, start, elapsed0 = [_upgrade_row(r) for r in blob["rows"]], int(blob["step"]), float(blob["elapsed"])
        progress(f"resuming from checkpoint {checkpoint} at step {start}/{s.iterations}")
    log_every = log_every or max(1, s.iterations // 20)
    t0 = time.perf_counter() - elapsed0
    last_ckpt = time.perf_counter()
    last: Optional[Losses] = None
    for step in range(start + 1, s.iterations + 1):
        step_pairs = None
        if s.temporal_weight:
            # The batch's crops as without, and the pairs' second frames on top (for the term only).
            if clip_pairs is not None and clip_pair_step(step):
                x, k, flow, mask = clip_pairs.batch(sampler.sample, s.batch_size)
            else:  # known-flow pairs: moved copies
                x, k, flow, mask = sample_pairs(sampler.sample, s.batch_size, s.image_size, sampler.gen)
            x, step_pairs = x.to(device), (k, flow, mask)
        else:
            x = sampler.sample(s.batch_size).to(device)
        opt.zero_grad(set_to_none=True)
        with autocast(precision, device):
            y = model(x)
        total, last = loss_fn(y.float(), x, precision, step_pairs)
        if not torch.isfinite(total):
            raise FloatingPointError(f"loss became {float(total)} at step {step}; lower learning_rate")
        scaler.scale(total).backward()
        scaler.step(opt)
        scaler.update()
        elapsed = time.perf_counter() - t0
        rows.append([step, last.content, last.style, last.tv, last.tone, last.temporal, last.total, elapsed])
        if step % log_every == 0 or step == s.iterations:
            eta = (elapsed - elapsed0) / (step - start) * (s.iterations - step)
            progress(f"step {step}/{s.iterations} ({100 * step // s.iterations}%) "
                     f"content {last.content:.4g} style {last.style:.4g} tv {last.tv:.4g} "
                     + (f"temporal {last.temporal:.4g} " if s.temporal_weight else "")
                     + f"| {(elapsed - elapsed0) / (step - start):.3f} s/step, ETA {eta:.0f} s")
        due = (checkpoint_every and step % checkpoint_every == 0) or (
            not checkpoint_every and time.perf_counter() - last_ckpt >= checkpoint_seconds)
        if on_step is not None:
            on_step(step, model)
        if checkpoint is not None and due and step < s.iterations:
            _save_checkpoint(checkpoint, s, step, model, opt, sampler, rows, elapsed)
            last_ckpt = time.perf_counter()
    if last is None:  # resumed at the very end
        r = rows[-1]
        last = Losses(r[1], r[2], r[3], r[6], r[4], r[5])
    write_losses(rows, out_losses)
    out_model.parent.mkdir(parents=True, exist_ok=True)
    ink_paper = ink_levels(model, contents, s.image_size * 2, device)
    progress(f"ink levels (black, paper) of the output: {ink_paper[0]:.3f}, {ink_paper[1]:.3f}")
    save_model(model, out_model, ink_paper, {"settings": s.to_dict(), "precision": precision})
    if checkpoint is not None and checkpoint.exists():
        checkpoint.unlink()
    return TrainResult(last, s.iterations, float(rows[-1][-1]) if rows else 0.0, start)


#: Percentiles of the output's luminance taken as ink black and paper white (see ink_levels).
INK_PERCENTILE, PAPER_PERCENTILE = 0.01, 0.90


@torch.no_grad()
def ink_levels(model: TransformerNet, images: Sequence[torch.Tensor], size: int,
               device: torch.device) -> tuple[float, float]:
    """The luminance of ink (1st percentile) and paper (90th) in the model's output on ``images``.

    Rendering in grayscale stretches these to black and white: the scan-levels step an artist
    does by hand, so that short training's grey paper and washed-out ink come out as paper white
    and black ink. Deterministic (the images' centre, resized), so a model always has one pair.
    """
    model.eval()
    lums = []
    for im in images:
        x = resize_short_side(im, size)
        h, w = x.shape[-2:]
        top, left = (h - size) // 2, (w - size) // 2
        x = x[:, max(0, top): max(0, top) + size, max(0, left): max(0, left) + size]
        y = model(x[None].to(device)).float()
        lum = luminance(y)
        lums.append(lum.flatten()[::3].cpu())
    allv = torch.cat(lums)
    q = torch.quantile(allv[: 2 ** 24], torch.tensor([INK_PERCENTILE, PAPER_PERCENTILE])).tolist()
    lo, hi = q
    if hi - lo < 0.05:  # a flat output: leave it alone
        return 0.0, 1.0
    return float(lo), float(hi)


def write_losses(rows: Sequence[Sequence[float]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(LOSS_COLUMNS)
        for r in rows:
            w.writerow([int(r[0]), *(f"{v:.6g}" for v in r[1:-1]), f"{r[-1]:.3f}"])


def plot_losses(losses_csv: Path | str, out_png: Path | str, title: str) -> None:
    """Loss curves (content, style, total, and temporal where trained with it; log scale,
    smoothed) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    df = pd.read_csv(losses_csv)
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    win = max(1, len(df) // 25)
    cols = [("total", "black"), ("content", "tab:blue"), ("style", "tab:red")]
    if "temporal" in df and (df["temporal"] > 0).any():  # files written before the column lack it
        cols.append(("temporal", "tab:green"))
    for col, colour in cols:
        ax.plot(df["step"], df[col], color=colour, alpha=0.2, lw=0.8)
        ax.plot(df["step"], df[col].rolling(win, min_periods=1).mean(), color=colour, lw=1.5, label=col)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_file(out_png, ".tmp.png") as tmp:
        fig.savefig(tmp)
        plt.close(fig)
