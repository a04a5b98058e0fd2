"""Stylizing a clip's frames by its plan: each model loaded once, frames in batches.

On the CPU the network runs as :class:`~sketchbook.network.FastTransformerNet` (the model's
function for less work: fused norms and padding, folded upsampling, bf16 convolutions where the
CPU has them, channels-last), one frame at a time (larger batches do not help a CPU), in bands of
rows on large frames so that memory stays bounded. On CUDA it runs the model itself,
channels-last, under autocast, a batch at a time.
Reading and writing PNGs overlaps the network on a small thread pool, with a bounded number of
frames in flight; gray frames are written as 1-channel PNGs (a third of the encoding work).
The output goes to a temporary folder renamed when every frame is written.

One loop serves every setting: batches read ahead, drawn (:func:`draw_batch`, a network call per
variant in the batch), stabilized where asked, finished (:func:`finish_frames`) and written. With
``stabilize`` 0 the batches go variant by variant, one model in memory at a time. ``stabilize``
> 0 (flow stabilization, :func:`stabilize_frame`) needs the frames in order: the batches go in
frame order with every model loaded, the optical flow between consecutive source frames computed
ahead in the reader threads (it depends on the sources only), the blend on the drawing's final
values, before the colour and the strength.

``color`` (:data:`COLORS`, :func:`finish`) picks gray, the network's own colours, or the drawing's
luminance in the footage's colours (:func:`footage_colors`; drawn and stabilized as gray, coloured
after). ``strength`` (:func:`soften`) applies last, on the frame as it would be written; 1 skips
it. :func:`draw_batch` and :func:`finish_frames` are also the morph's (:mod:`sketchbook.morph`).
"""

from __future__ import annotations

import copy
import logging
import sys
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Mapping, Optional

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from .atomic import atomic_dir
from .errors import InputFileError
from .images import luminance, read_frame, to_uint8, write_frame
from .int8 import Int8TransformerNet, load_calibration
from .modelfile import NO_STRETCH, StyleModel, calibration_path, load_model  # load_model: scripts/ take it here
from .network import FastTransformerNet, TransformerNet
from .precision import autocast, cpu_has_bf16, cpu_has_vnni

log = logging.getLogger(__name__)

#: Frames whose first activation is over WHOLE_MB (beyond 1080p) run in bands of rows of about
#: BAND_MB: bounded memory on 4K frames (2.3-2.7 GB peak RSS in bf16, 3.6 GB in fp32).
BAND_MB, WHOLE_MB = 32.0, 288.0
#: Frames smaller than this (either side) run through the module itself.
MIN_FAST_SIDE = 16


class Stylizer:
    """A model made ready to stylize on ``device`` in ``precision``: float [0, 1] in and out.

    ``model``: a :class:`~sketchbook.modelfile.StyleModel` (its network and its ink and paper
    levels) or a bare network (``ink_paper`` then gives the levels; default: no stretch).

    ``fast`` (default): on the CPU, a :class:`FastTransformerNet` (fp32 gives the model's own
    numbers within float rounding). Any other module, CUDA, or ``fast=False``: the module under
    autocast (channels-last on CUDA). ``precision`` int8 (CPU): an :class:`Int8TransformerNet`
    with the model's calibration (a :class:`StyleModel` read with its ``.int8.json``); frames
    under 16 px a side run the module in fp32.
    """

    def __init__(self, model: StyleModel | torch.nn.Module, device: torch.device, precision: str,
                 fast: bool = True, band_mb: float = BAND_MB, ink_paper: tuple[float, float] = NO_STRETCH) -> None:
        path = None
        if isinstance(model, StyleModel):
            model, ink_paper, path = model.net, model.ink_paper, model.path
        self.model, self.device, self.precision = model, torch.device(device), precision
        self.ink_paper, self.band_mb = ink_paper, band_mb
        self._large: Optional[FastTransformerNet] = None  # int8: frames beyond 1080p (_large_int8)
        self.fast: Optional[FastTransformerNet | Int8TransformerNet] = None
        if precision == "int8":
            if self.device.type != "cpu" or not isinstance(model, TransformerNet):
                raise ValueError("precision int8 needs a TransformerNet on the CPU")
            if path is None:
                raise ValueError("precision int8 needs a model read from its file (its calibration lies beside it)")
            calibration = load_calibration(calibration_path(path))
            if not cpu_has_vnni():
                log.warning("precision int8 on a CPU without VNNI: oneDNN's int8 kernels run slower than bf16 "
                            "or fp32 here, and their 16-bit intermediate sums can saturate")
            self.fast = Int8TransformerNet(model, calibration["layers"], calibration["bf16_layers"])
        elif fast and isinstance(model, TransformerNet) and self.device.type == "cpu":
            dtype = torch.bfloat16 if precision == "bf16" else torch.float32
            self.fast = FastTransformerNet(model, dtype, channels_last=True, band_mb=band_mb,
                                           whole_mb=max(band_mb, WHOLE_MB))
        elif self.device.type == "cuda":  # a channels-last copy (Module.to works in place)
            self.model = copy.deepcopy(model).to(memory_format=torch.channels_last)

    @property
    def engine(self) -> str:
        """What runs the network, in words (for the log)."""
        if isinstance(self.fast, Int8TransformerNet):
            kept = self.fast.bf16_layers
            return ("int8 CPU inference (oneDNN int8 convolutions, fp32 norms), channels-last"
                    + (f"; in bf16: {', '.join(kept)}" if kept else "") + "; frames beyond 1080p in bf16 bands")
        if self.fast is not None:
            return (f"fused CPU inference, {'bf16' if self.fast.dtype == torch.bfloat16 else 'fp32'} "
                    f"convolutions, channels-last, {self.fast.band_mb:g} MB bands above {self.fast.whole_mb:g} MB")
        return f"the model's forward on {self.device}, {self.precision}"

    def _large_int8(self, x: torch.Tensor) -> Optional[FastTransformerNet]:
        """For an int8 stylizer, frames beyond 1080p (a first activation over WHOLE_MB in bf16):
        the fused bf16 path in bands (fp32 where the CPU has no bf16). int8 runs whole frames,
        its fp32 convolution outputs 4K frames past 4 GB, and 4K in bf16 bands is faster."""
        if not isinstance(self.fast, Int8TransformerNet):
            return None
        if x.shape[-2] * x.shape[-1] * self.model.width * 2 <= WHOLE_MB * 2 ** 20:
            return None
        if self._large is None:
            dtype = torch.bfloat16 if cpu_has_bf16() else torch.float32
            log.info("frames of %dx%d: beyond 1080p, int8 hands them to the %s path in bands", x.shape[-1],
                     x.shape[-2], "bf16" if dtype == torch.bfloat16 else "fp32")
            self._large = FastTransformerNet(self.model, dtype, channels_last=True, band_mb=self.band_mb,
                                             whole_mb=max(self.band_mb, WHOLE_MB))
        return self._large

    @torch.inference_mode()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        large = self._large_int8(x)
        if large is not None:
            return torch.cat([large(x[i:i + 1]) for i in range(x.shape[0])])
        if self.fast is not None and min(x.shape[-2:]) >= MIN_FAST_SIDE:
            # One frame at a time: its activations stay in cache, and memory is one frame's.
            return torch.cat([self.fast(x[i:i + 1]) for i in range(x.shape[0])])
        if self.device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast(self.precision, self.device):
            return self.model(x).float()


#: The ``color`` settings: ``gray`` the drawing in black and white (the seed's look), ``sketch``
#: the network's own colours, ``footage`` the drawing's luminance in the footage's colours.
COLORS = ("gray", "sketch", "footage")


def color_mode(color: str | bool) -> str:
    """``color`` checked (one of :data:`COLORS`); ``True``/``False`` (the old ``grayscale``
    flag) mean ``gray``/``sketch``."""
    if isinstance(color, bool):
        return "gray" if color else "sketch"
    if color not in COLORS:
        raise ValueError(f"color must be one of {', '.join(COLORS)}, got {color!r}")
    return color


def finish(y: torch.Tensor, color: str | bool, levels: bool, ink_paper: tuple[float, float],
           source: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Network output (float, [0, 1]) -> uint8 (N, 3, H, W) on the CPU, in ``color``.

    ``gray`` and ``footage``: the luminance, with ``levels`` the model's ``ink_paper`` luminances
    stretched to black and white; ``footage`` then takes the ``source`` frames' colours
    (:func:`footage_colors`, ``source`` uint8 (N, 3, H, W) needed). ``sketch``: the output as is.
    """
    color = color_mode(color)
    if color == "sketch":
        return to_uint8(y).cpu()
    g = luminance(y)
    if levels:
        lo, hi = ink_paper
        g = (g - lo) / (hi - lo)
    # One channel through the float ops, then the same byte repeated (to_gray would repeat first).
    gray = to_uint8(g).expand_as(y).contiguous().cpu()
    if color == "footage":
        if source is None:
            raise ValueError("color footage needs the source frames")
        return footage_colors(gray, source)
    return gray


def footage_colors(drawn: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """The drawing's luminance in the footage's colours: uint8 (N, 3, H, W).

    Luminance-only transfer (Gatys et al. 2016, "Preserving color in neural artistic style
    transfer"): ``Y`` (Rec. 601, as :func:`~sketchbook.images.luminance`) from ``drawn`` (its
    first channel: a gray drawing, uint8 (N, 1|3, H, W)), the chroma Cb, Cr from ``source`` (uint8
    (N, 3, H, W)). With the same ``Y`` weights in both, keeping Cb and Cr is adding the same
    ``Y_drawn - Y_source`` to each of the source's channels; values beyond [0, 255] (saturated
    colours under white paper) are clipped.
    """
    src = source.cpu().float()
    out = src + (drawn[:, :1].cpu().float() - luminance(src))
    return out.round_().clamp_(0, 255).to(torch.uint8)


def footage_target(source: torch.Tensor, color: str) -> torch.Tensor:
    """What strength 0 shows: the source frames (uint8 (N, 3, H, W)), for ``gray`` their
    luminance (uint8 (N, 1, H, W))."""
    if color_mode(color) == "gray":
        return to_uint8(luminance(source.cpu().float().div_(255)))
    return source.cpu()


def soften(drawn: torch.Tensor, footage: torch.Tensor, strength: float) -> torch.Tensor:
    """``drawn`` at ``strength`` in [0, 1] over ``footage``: uint8, ``drawn``'s shape.

    1 returns ``drawn`` itself, 0 ``footage``. In between, the drawing's ink goes onto the
    footage and the footage then gives way to the paper: ``min(ink, base)`` (a darken blend),
    with ``ink = lerp(255, drawn, min(1, 2 s))`` (the strokes, fading in on white) and ``base =
    lerp(footage, 255, max(0, 2 s - 1))`` (the footage, fading out to white). Up to 0.5 the
    footage stays whole and the strokes darken on it; from 0.5 the footage's tones lift until
    only the drawing is left. A stroke is never lighter than the footage under it, so nothing is
    ghosted: it reads as less of the drawing, not as a plain blend's double exposure (README:
    Strength, docs/strength.png). ``drawn`` and ``footage``: uint8 (N, C, H, W) of the same
    shape, C 1 or 3 (per channel in colour).
    """
    if strength >= 1:
        return drawn
    if strength <= 0:
        return footage.clone()
    a, b = min(1.0, 2.0 * strength), max(0.0, 2.0 * strength - 1.0)
    ink = drawn.float().sub_(255).mul_(a).add_(255)
    base = footage.float()
    if b > 0:
        base = base.mul_(1.0 - b).add_(255 * b)
    return torch.minimum(ink, base).round_().to(torch.uint8)


@torch.inference_mode()
def stylize_batch(model: StyleModel | torch.nn.Module, frames: torch.Tensor, device: torch.device, precision: str,
                  color: str | bool, levels: bool = False, fast: bool = True) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> uint8 (N, 3, H, W), in ``color`` (:func:`finish`).

    ``levels`` (gray and footage): stretch the model's ink and paper levels to black and white.
    ``model`` may also be a :class:`Stylizer` (made once, reused for every batch); a bare network
    has no ink and paper levels to stretch.
    """
    st = model if isinstance(model, Stylizer) else Stylizer(model, device, precision, fast=fast)
    x = frames.to(st.device, non_blocking=True).float().div_(255)
    return finish(st(x), color, levels, st.ink_paper, frames)


def drawing_color(color: str | bool) -> str:
    """The colour the network's output is drawn in before the frame is finished: ``sketch`` in
    its own colours, ``gray`` and ``footage`` in gray (``footage`` takes the footage's colours in
    :func:`finish_frames`, after the flow stabilization)."""
    return "sketch" if color_mode(color) == "sketch" else "gray"


@torch.inference_mode()
def draw_batch(stylizer: Stylizer, frames: torch.Tensor, device: torch.device, precision: str,
               color: str | bool, levels: bool) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> the drawing, uint8 (N, C, H, W): the network's output in
    :func:`drawing_color` (``levels`` as in :func:`finish`), one channel (C 1) when that is gray.
    What the flow stabilization runs on; :func:`finish_frames` then makes the frames as written."""
    drawn = stylize_batch(stylizer, frames, device, precision, drawing_color(color), levels)
    return drawn if drawing_color(color) == "sketch" else drawn[:, :1]


def finish_frames(drawn: torch.Tensor, source: torch.Tensor, color: str | bool, strength: float) -> torch.Tensor:
    """The drawing (:func:`draw_batch`, stabilized or not) -> the frames as written, uint8
    (N, C, H, W): in ``footage`` colour the footage's colours (:func:`footage_colors`, C 3),
    then ``strength`` over the footage (:func:`soften`; 1 leaves the drawing as it is). A gray
    clip's frames keep one channel (a third of the PNG encoding; readers expand it to RGB).
    ``source``: the frames drawn, uint8 (N, 3, H, W)."""
    color = color_mode(color)
    out = footage_colors(drawn, source) if color == "footage" else drawn
    if strength < 1:
        out = soften(out, footage_target(source, color), strength)
    return out


def stabilize_frame(current: np.ndarray, previous: Optional[np.ndarray], flow: Optional[np.ndarray],
                    valid: Optional[np.ndarray], strength: float) -> np.ndarray:
    """One step of the flow stabilization, on final frame values (0-255): float32, ``current``'s shape.

    ``b = (1 - s*M) * current + s*M * warp(previous, flow)``: ``previous`` is the last output
    frame (this function's last result, float, before rounding to bytes), ``flow`` pulls it onto
    ``current``'s grid (the source frames' flow from this frame to the one before, see
    :mod:`sketchbook.flow`), ``M`` is ``valid`` (False where the source is occluded or the motion
    comes from outside the frame: there ``current`` is taken unchanged) and ``s`` the strength in
    [0, 1). The recursion is an exponential moving average along the motion paths: noise that
    differs from frame to frame averages out, what moves with the picture stays.

    Averaging strokes that boil out of step turns ink grey: the blend alone washed the demo's
    hatching out (ink share 0.25 -> 0.22 at s 0.5, 0.20 at 0.7). So the blend keeps the model's
    tones: inside ``M`` its values are mapped, rank for rank, onto the current frame's values there
    (:func:`match_tones`): the same share of ink, greys and paper as the model drew, placed where
    the steadied frame has them (per channel in colour).
    ``current``: (H, W) or (H, W, C); no ``previous`` (the clip's first frame) returns ``current``.
    """
    from .flow import warp

    cur = np.asarray(current, dtype=np.float32)
    if previous is None or strength <= 0:
        return cur.copy()
    m = np.asarray(valid, dtype=bool)
    w = np.float32(strength) * m.astype(np.float32)
    if cur.ndim == 3:
        w = w[..., None]
    blended = cur + w * (warp(previous, flow) - cur)
    return match_tones(blended, cur, m)


def match_tones(x: np.ndarray, ref: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``x`` with its values inside ``mask`` replaced, rank for rank, by ``ref``'s values there.

    A histogram match (per channel for (H, W, C)): the result has exactly ``ref``'s values inside
    the mask, ordered as ``x`` orders them; outside the mask ``x`` is unchanged."""
    out = np.array(x, dtype=np.float32, copy=True)
    if not mask.any():
        return out
    chans = [(out, np.asarray(ref, np.float32))] if out.ndim == 2 else \
        [(out[..., c], np.asarray(ref, np.float32)[..., c]) for c in range(out.shape[-1])]
    for o, r in chans:
        vals = o[mask]
        order = np.argsort(vals)  # introsort: deterministic, 2.5x faster than a stable sort here
        vals[order] = np.sort(r[mask])
        o[mask] = vals
    return out


def _source_flow(estimators: threading.local, frame: torch.Tensor, before: torch.Tensor
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(flow pulling ``before`` onto ``frame``, valid mask), on uint8 (3, H, W) source frames."""
    from .flow import FlowEstimator, flow_and_mask

    est = getattr(estimators, "est", None)
    if est is None:  # DIS is not thread-safe: one estimator per reader thread
        est = estimators.est = FlowEstimator()
    a = frame.permute(1, 2, 0).numpy().astype(np.float32) / 255.0
    b = before.permute(1, 2, 0).numpy().astype(np.float32) / 255.0
    return flow_and_mask(a, b, est)


def stylize_frames(
    plan: pd.DataFrame,
    frames_dir: Path | str,
    out_dir: Path | str,
    models: Mapping[str, Path | str],
    device: torch.device,
    precision: str,
    color: str | bool,
    levels: bool = False,
    batch_size: int = 8,
    io_threads: int = 2,
    progress_file=None,
    fast: bool = True,
    band_mb: float = BAND_MB,
    stabilize: float = 0.0,
    strength: float = 1.0,
) -> int:
    """Stylize every frame of ``plan`` with its variant's model; returns the frame count.

    At most about ``2 * batch_size`` frames are in memory (read ahead or waiting to be written),
    whatever the clip's length. ``color``: one of :data:`COLORS` (:func:`finish`). ``stabilize``
    in [0, 1): the flow stabilization's strength (:func:`stabilize_frame`; 0, the default, is
    off: the frames of before, byte for byte). ``strength`` in [0, 1]: how much of the drawing
    (:func:`soften`), applied last, on the final frame; 1 (the default) is the drawing itself.
    """
    frames_dir, out_dir = Path(frames_dir), Path(out_dir)
    device = torch.device(device)
    missing = sorted(set(plan["variant"]) - set(models))
    if missing:
        raise InputFileError(f"plan names variant(s) {', '.join(missing)} with no model given")
    if not 0.0 <= stabilize < 1.0:
        raise ValueError(f"stabilize must be in [0, 1), got {stabilize}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}")
    color = color_mode(color)
    if strength < 1:
        log.info("strength %g: the drawing over the footage's %s", strength,
                 "luminance" if color == "gray" else "colours")
    # The batches, each a list of (file, variant). Stabilized: in frame order (the recursion runs
    # along the clip), every model kept. Otherwise variant by variant, one model in memory at a time.
    if stabilize > 0:
        rows = plan.sort_values("frame", kind="stable")
        pairs = list(zip(rows["file"], rows["variant"]))
        batches = [pairs[i:i + batch_size] for i in range(0, len(pairs), batch_size)]
    else:
        batches = []
        for variant, rows in plan.groupby("variant", sort=True):
            files = list(rows["file"])
            batches += [[(f, variant) for f in files[i:i + batch_size]] for i in range(0, len(files), batch_size)]
    stylizers = _Stylizers(models, plan["variant"].value_counts().to_dict(), stabilize > 0, device, precision,
                           fast, band_mb)
    if stabilize > 0:
        log.info("flow stabilization, strength %g: frames in order", stabilize)
    estimators = threading.local()

    def read(batch: list[tuple[str, str]], before: Optional[torch.Tensor]):
        """The batch's frames and, stabilizing, each one's source flow to the frame before
        (``before``: the previous batch's last frame; the clip's first frame has none)."""
        frames = torch.stack([read_frame(frames_dir / f) for f, _ in batch])
        flows = []
        for frame in frames:
            flows.append(None if stabilize <= 0 or before is None else _source_flow(estimators, frame, before))
            before = frame
        return frames, flows

    bar = tqdm(total=len(plan), desc=f"stylize {frames_dir.name}", unit="frame",
               file=progress_file or sys.stderr, mininterval=2.0, ascii=True)
    writes: deque[Future] = deque()
    previous: Optional[np.ndarray] = None
    with atomic_dir(out_dir) as tmp, ThreadPoolExecutor(max(1, io_threads)) as pool:
        nxt = pool.submit(read, batches[0], None) if batches else None
        for i, batch in enumerate(batches):
            frames, flows = nxt.result()
            if i + 1 < len(batches):  # read ahead (the flow included) while the network runs
                nxt = pool.submit(read, batches[i + 1], frames[-1])
            drawn = _draw_by_variant(stylizers, frames, [v for _, v in batch], device, precision, color, levels)
            if stabilize > 0:
                drawn, previous = _stabilize_batch(drawn, flows, previous, stabilize)
            for (f, _), img in zip(batch, finish_frames(drawn, frames, color, strength)):
                writes.append(pool.submit(write_frame, img, tmp / f))
                while len(writes) > batch_size:  # bounded: never more than a batch waiting
                    writes.popleft().result()
            bar.update(len(batch))
        while writes:
            writes.popleft().result()
    bar.close()
    return len(plan)


class _Stylizers:
    """A clip's stylizers by variant, each made on first use (a model loaded once per clip);
    ``keep_all`` False holds one at a time: taking another variant's drops the one held."""

    def __init__(self, models: Mapping[str, Path | str], counts: Mapping[str, int], keep_all: bool,
                 device: torch.device, precision: str, fast: bool, band_mb: float) -> None:
        self.models, self.counts, self.keep_all = models, counts, keep_all
        self.device, self.precision, self.fast, self.band_mb = device, precision, fast, band_mb
        self.held: dict[str, Stylizer] = {}

    def __getitem__(self, variant: str) -> Stylizer:
        if variant not in self.held:
            if not self.keep_all:
                self.held.clear()  # before loading the next: one model in memory
            st = Stylizer(load_model(self.models[variant], self.device), self.device, self.precision,
                          fast=self.fast, band_mb=self.band_mb)
            log.info("variant %s: %d frames, %s", variant, self.counts[variant], st.engine)
            self.held[variant] = st
        return self.held[variant]


def _draw_by_variant(stylizers: _Stylizers, frames: torch.Tensor, variants: list[str], device: torch.device,
                     precision: str, color: str, levels: bool) -> torch.Tensor:
    """A batch's drawings (:func:`draw_batch`), each frame by its variant's model: one network
    call per variant in the batch."""
    kinds = sorted(set(variants))
    if len(kinds) == 1:
        return draw_batch(stylizers[kinds[0]], frames, device, precision, color, levels)
    drawn: Optional[torch.Tensor] = None
    for variant in kinds:
        idx = [j for j, v in enumerate(variants) if v == variant]
        part = draw_batch(stylizers[variant], frames[idx], device, precision, color, levels)
        if drawn is None:
            drawn = part.new_empty((len(frames), *part.shape[1:]))
        drawn[idx] = part
    return drawn


def _stabilize_batch(drawn: torch.Tensor, flows: list, previous: Optional[np.ndarray], strength: float
                     ) -> tuple[torch.Tensor, Optional[np.ndarray]]:
    """The flow stabilization (:func:`stabilize_frame`) over a batch of drawings in frame order:
    the steadied drawings (uint8, ``drawn``'s shape) and the last one's float values, the
    recursion's state for the next batch. ``flows``: each frame's (flow, valid) from the source
    frame before it, or None (the clip's first frame)."""
    one_channel = drawn.shape[1] == 1  # gray: the blend runs on one channel
    out = []
    for j, fv in enumerate(flows):
        cur = drawn[j, 0].numpy() if one_channel else drawn[j].permute(1, 2, 0).numpy()
        flow, valid = fv if fv is not None else (None, None)
        previous = stabilize_frame(cur, previous, flow, valid, strength)
        img = torch.from_numpy(np.clip(np.rint(previous), 0, 255).astype(np.uint8))
        out.append(img.unsqueeze(0) if one_channel else img.permute(2, 0, 1))
    return torch.stack(out), previous
