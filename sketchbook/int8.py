"""int8 inference on the CPU: :class:`TransformerNet`'s convolutions in oneDNN's int8 kernels.

The route: ``torch.ops.onednn.qconv2d_pointwise`` (the op torch's own x86 int8 compiler path
emits), which takes plain ``uint8`` activations and ``int8`` weights with their scales and
returns fp32; no quantized tensor (the API torch 2.14 warns it will remove) is made anywhere.

- **Weights**: int8, symmetric, one scale per output channel (per parity of an upsampling
  convolution, :func:`~sketchbook.network.fold_upsample_weight`; the last 9x9 convolution runs on
  2x2 pixel blocks as in :class:`~sketchbook.network.FastTransformerNet`).
- **Activations**: uint8, one scale and zero point *per input channel*, calibrated once per model
  (:func:`calibrate_model`, :func:`input_ranges`: each convolution's input range on the model's
  own training content) and folded into the weights (scale) and the bias (zero point), so that
  oneDNN sees a per-tensor scale of 1. The frame itself is the first layer's input, exact (its
  bytes). conv2's and conv3's inputs, and any layer whose input alone in int8 costs the picture
  over :data:`LAYER_DROP_DB` (:func:`sensitive_layers`), stay in bf16 (fp32 without native bf16).
- **Instance norms** stay fp32: each convolution's output comes back in fp32, its statistics are
  taken per frame as in the fused bf16/fp32 path (float64 combination), and one pass
  (:func:`_norm_quant`: the C kernel of :mod:`sketchbook.kernels`, or torch ops) writes the
  normalised, ReLU'd value quantized for the next convolution, straight into its padded uint8
  input. The residual stream (each block's input, added back after its second convolution) stays
  fp32; only what a convolution reads is quantized.
- The last convolution's output, the sigmoid and the crop are fp32, as in the other paths.

Accuracy: the output is compared with fp32 on held-out images when the model is calibrated (the
lowest PSNR is stored with the calibration, ``psnr_vs_fp32_db``; :data:`PSNR_BAR` is the bar the
tests hold int8 to, and the bar ``auto`` asks of every model's calibration before it picks int8:
:func:`sketchbook.precision.render_precision`). A clip may also ask for it (``precision: int8``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable, Optional

import torch
from torch import nn
from torch.nn import functional as F

from . import kernels
from .atomic import atomic_file
from .errors import InputFileError
from .network import (
    PARITIES, FastTransformerNet, TransformerNet, _combine_stats, _Conv, _reflect_fill, _replicate_fill,
    _space_to_depth, _stats, fold_upsample_weight, fused_layout, space_to_depth_weight,
)

CALIBRATION_FORMAT = "sketchbook-int8-calibration/1"
#: The quality ``auto`` asks of int8 before picking it: PSNR against fp32 on held-out frames (dB).
PSNR_BAR = 38.0


def conv_layers(net: TransformerNet) -> list[str]:
    """The names of the network's convolution layers (:class:`~sketchbook.network.ConvLayer`), in
    the order they run (:func:`~sketchbook.network.fused_layout`)."""
    return [layer.name for layer in fused_layout(net)]


@torch.inference_mode()
def input_ranges(net: TransformerNet, frames: Iterable[torch.Tensor]) -> dict[str, dict[str, list[float]]]:
    """Per convolution layer, the per-channel minimum and maximum of its input over ``frames``
    (float (1|N, 3, H, W) in [0, 1]), the network run in fp32 as trained."""
    net = net.float().eval()
    lo: dict[str, torch.Tensor] = {}
    hi: dict[str, torch.Tensor] = {}
    hooks = []

    def hook(name: str):
        def record(_module: nn.Module, args: tuple) -> None:
            x = args[0].float()
            a, b = x.amin((0, 2, 3)), x.amax((0, 2, 3))
            lo[name] = a if name not in lo else torch.minimum(lo[name], a)
            hi[name] = b if name not in hi else torch.maximum(hi[name], b)
        return record

    for name in conv_layers(net):
        hooks.append(net.get_submodule(name).register_forward_pre_hook(hook(name)))
    try:
        n = 0
        for x in frames:
            net(x.float())
            n += 1
    finally:
        for h in hooks:
            h.remove()
    if n == 0:
        raise ValueError("int8 calibration needs at least one frame")
    return {name: {"min": lo[name].tolist(), "max": hi[name].tolist()} for name in conv_layers(net)}


def quant_params(rng: dict[str, list[float]]) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, zero point) per channel (float32, int64) for a calibrated input range: uint8 covers
    [min(lo, 0), max(hi, 0)] (zero exactly representable: the padding and ReLU's floor)."""
    lo = torch.tensor(rng["min"], dtype=torch.float64).clamp(max=0)
    hi = torch.tensor(rng["max"], dtype=torch.float64).clamp(min=0)
    scale = ((hi - lo) / 255).clamp(min=1e-8)
    zp = (-lo / scale).round().clamp(0, 255)
    return scale.float(), zp.long()


class _QConv:
    """One convolution in int8: weights with the input's scale folded in, quantized per output
    channel and prepacked for oneDNN; the input's zero point folded into the bias."""

    def __init__(self, conv: nn.Conv2d, scale: torch.Tensor, zp: torch.Tensor, upsample: bool = False,
                 space_to_depth: int = 1) -> None:
        w = conv.weight.detach().float() * scale.view(1, -1, 1, 1)
        bias = conv.bias.detach().float()
        self.k, self.stride, self.cout = conv.kernel_size[0], conv.stride[0], conv.out_channels
        self.upsample, self.block = upsample, space_to_depth
        self.pad = 1 if upsample else self.k // 2
        shift = zp.float()
        if upsample:
            kernels = fold_upsample_weight(w)
        elif space_to_depth > 1:
            kernels = {None: space_to_depth_weight(w, space_to_depth)}
            bias = bias.repeat_interleave(space_to_depth ** 2)
            shift = shift.repeat(space_to_depth ** 2)  # input channels ordered (row, column, C)
        else:
            kernels = {None: w}
        stride = [1, 1] if (upsample or space_to_depth > 1) else [self.stride] * 2
        self.stride_arg = stride
        self.packed: dict = {}
        for key, kern in kernels.items():
            wscale = kern.abs().amax((1, 2, 3)).clamp(min=1e-12) / 127
            q = (kern / wscale.view(-1, 1, 1, 1)).round().clamp(-127, 127)
            # Σ w (x_q - zp) = Σ w x_q - Σ w zp: the second sum is a constant per output channel.
            b = bias - wscale * (q * shift.view(1, -1, 1, 1)).sum((1, 2, 3))
            q8 = q.to(torch.int8)
            packed = torch.ops.onednn.qconv_prepack(q8, wscale, 1.0, 0, stride, [0, 0], [1, 1], 1, None)
            self.packed[key] = (packed, wscale, torch.zeros(len(wscale), dtype=torch.int32), b)

    def _run(self, key, x: torch.Tensor) -> torch.Tensor:
        packed, wscale, wzp, b = self.packed[key]
        return torch.ops.onednn.qconv2d_pointwise(x, 1.0, 0, packed, wscale, wzp, b, self.stride_arg, [0, 0], [1, 1],
                                                  1, 1.0, 0, torch.float32, "none", [], "")

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        if self.upsample:
            return 2 * h, 2 * w
        return (h + 2 * self.pad - self.k) // self.stride + 1, (w + 2 * self.pad - self.k) // self.stride + 1

    def pieces(self, src: torch.Tensor) -> list[tuple[slice, slice, torch.Tensor]]:
        """The whole output from the padded uint8 input ``src``: (rows, columns, fp32 values)."""
        if self.upsample:
            h, w = src.shape[-2] - 2, src.shape[-1] - 2
            return [(slice(i, None, 2), slice(j, None, 2), self._run((i, j), src[..., i:i + h + 1, j:j + w + 1]))
                    for i, j in PARITIES]
        if self.block > 1:
            b = self.block
            return [(slice(None), slice(None), F.pixel_shuffle(self._run(None, _space_to_depth(src, b)), b))]
        return [(slice(None), slice(None), self._run(None, src))]


def high_dtype() -> torch.dtype:
    """The dtype of the layers int8 does not take: bf16 where the CPU has it natively, else fp32
    (emulated bf16 is many times slower than fp32)."""
    from .precision import cpu_has_bf16

    return torch.bfloat16 if cpu_has_bf16() else torch.float32


class _BConv(_Conv):
    """A convolution kept in bf16 (fp32 on a CPU without bf16): a layer whose input in int8 would
    cost the picture its quality."""

    def __init__(self, conv: nn.Conv2d, upsample: bool = False, space_to_depth: int = 1) -> None:
        super().__init__(conv, high_dtype(), torch.channels_last, upsample, space_to_depth)

    def pieces(self, src: torch.Tensor) -> list[tuple[slice, slice, torch.Tensor]]:  # type: ignore[override]
        return super().pieces(src, 0, self.out_size(src.shape[-2] - 2 * self.pad, src.shape[-1] - 2 * self.pad)[0])


class Int8TransformerNet:
    """Inference with a trained :class:`TransformerNet` in int8 (see the module's text).

    ``ranges``: :func:`input_ranges` of this network (the calibration). ``bf16_layers``: layers
    (:func:`conv_layers` names) whose convolution runs in bf16 instead, input and weights (the
    calibration's choice: :func:`sensitive_layers`). Input: float (N, 3, H, W) in [0, 1]
    (quantized to its 8-bit values: exact for frames read from 8-bit files); output: float32
    (N, 3, H, W) in [0, 1]. Frames need at least 16 pixels a side.
    """

    def __init__(self, net: TransformerNet, ranges: dict[str, dict[str, list[float]]],
                 bf16_layers: Iterable[str] = (), use_c: bool = True) -> None:
        self.use_c = use_c  # the C kernel for the pass after each convolution, where it builds
        self.high = high_dtype()  # the layers kept out of int8
        names = conv_layers(net)
        bf16_layers = set(bf16_layers)
        missing = [n for n in names[1:] if n not in ranges and n not in bf16_layers]
        if missing:
            raise ValueError(f"int8 calibration lacks layers {', '.join(missing)}")
        if bf16_layers - set(names):
            raise ValueError(f"int8: no layers {', '.join(sorted(bf16_layers - set(names)))} in the network")
        self.steps = []
        for layer in fused_layout(net):
            name = layer.name
            conv = net.get_submodule(name).conv
            if name in bf16_layers:
                scale, zp = None, None
                qconv = _BConv(conv, upsample=layer.upsample, space_to_depth=layer.space_to_depth)
            else:
                if name == "conv1":  # the frame's own bytes
                    scale, zp = torch.full((3,), 1 / 255), torch.zeros(3, dtype=torch.long)
                else:
                    scale, zp = quant_params(ranges[name])
                qconv = _QConv(conv, scale, zp, upsample=layer.upsample, space_to_depth=layer.space_to_depth)
            norm = layer.norm
            self.steps.append({"name": name, "conv": qconv, "scale": scale, "zp": zp,
                               "norm": None if norm is None else (norm.weight.detach().float(),
                                                                  norm.bias.detach().float(), norm.eps),
                               "relu": layer.relu, "adds": layer.adds_block_input, "keeps": layer.keeps_output})

    @property
    def bf16_layers(self) -> list[str]:
        return [s["name"] for s in self.steps if s["scale"] is None]

    @torch.inference_mode()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self._frame(x[i:i + 1]) for i in range(x.shape[0])])

    def _frame(self, x: torch.Tensor) -> torch.Tensor:
        _, _, h, w = x.shape
        ph, pw = (-h) % 4, (-w) % 4
        x = x.float()
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        p0 = self.steps[0]["conv"].pad
        x = F.pad(x, (p0, p0, p0, p0), mode="reflect")
        if self.steps[0]["scale"] is None:
            src = x.to(self.high)
        else:
            src = x.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)
        src = src.contiguous(memory_format=torch.channels_last)
        hh, ww = h + ph, w + pw
        skip: Optional[torch.Tensor] = None  # the residual stream (fp32, unpadded)
        for i, step in enumerate(self.steps):
            conv = step["conv"]
            oh, ow = conv.out_size(hh, ww)
            pieces = conv.pieces(src)
            if step["norm"] is None:  # the last convolution
                y = pieces[0][2]
                return torch.sigmoid(y[..., :h, :w].float())
            nxt = self.steps[i + 1]
            q = nxt["conv"].pad
            quantized = nxt["scale"] is not None  # else the next convolution reads bf16
            dst = torch.empty((1, conv.cout, oh + 2 * q, ow + 2 * q), memory_format=torch.channels_last,
                              dtype=torch.uint8 if quantized else self.high)
            inner = dst[..., q:q + oh, q:q + ow]
            mean, var = _combine_stats([_stats(p[2]) for p in pieces])
            mean, var = mean[0].float(), var[0].float()
            g, b, eps = step["norm"]
            stream = None
            if step["adds"] or step["keeps"]:
                stream = torch.empty((1, conv.cout, oh, ow), memory_format=torch.channels_last)
            for rows, cols, y in pieces:
                if not quantized:
                    z = F.batch_norm(y.float(), mean, var, g, b, False, 0.0, eps)
                    if step["adds"]:
                        z.add_(skip[..., rows, cols])
                    elif step["relu"]:
                        z.clamp_(min=0)
                    if stream is not None:
                        stream[..., rows, cols] = z
                    inner[..., rows, cols] = z
                    continue
                inv, shift = 1.0 / nxt["scale"], nxt["zp"].float() + 0.5  # +0.5: the copy to uint8 truncates
                _norm_quant(y, mean, var, g, b, eps, step["relu"],
                            skip[..., rows, cols] if step["adds"] else None,
                            None if stream is None else stream[..., rows, cols], inv, shift,
                            inner[..., rows, cols], self.use_c)
            del pieces
            if nxt["conv"].upsample:
                _replicate_fill(dst)
            else:
                _reflect_fill(dst, q)
            if stream is not None:
                skip = stream
            src, hh, ww = dst, oh, ow
        raise AssertionError("unreachable")


#: A layer whose input alone in int8 costs more than this (dB of PSNR against fp32, on a frame,
#: against every layer in bf16) runs in bf16.
LAYER_DROP_DB = 3.0
#: Layers kept in bf16 whatever the check says: the inputs of conv2 and conv3 (the first layers'
#: full- and half-resolution maps, the ones whose uint8 steps show: on the demo's models each
#: costs 1-7 dB alone, near the threshold, so a check alone would flip with the frames); their
#: convolutions are 7% of the network's multiply-adds.
ALWAYS_BF16 = ("conv2", "conv3")


@torch.inference_mode()
def sensitive_layers(net: TransformerNet, ranges: dict, frames: list[torch.Tensor],
                     drop_db: float = LAYER_DROP_DB) -> list[str]:
    """The layers to keep in bf16: :data:`ALWAYS_BF16`, and each other layer tried alone in int8
    (every other one in bf16) on ``frames`` that costs more than ``drop_db`` on any frame."""
    names = conv_layers(net)
    ref = [FastTransformerNet(net, torch.float32)(x) for x in frames]
    all_bf16 = Int8TransformerNet(net, ranges, names)
    base = [psnr(all_bf16(x), r) for x, r in zip(frames, ref)]
    keep = list(ALWAYS_BF16)
    for name in names[1:]:  # conv1 reads the frame's own bytes: exact
        if name in keep:
            continue
        trial = Int8TransformerNet(net, ranges, [n for n in names if n != name])
        if max(b - psnr(trial(x), r) for x, r, b in zip(frames, ref, base)) > drop_db:
            keep.append(name)
    return keep


def _norm_quant(y: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, g: torch.Tensor, b: torch.Tensor,
                eps: float, relu: bool, skip: Optional[torch.Tensor], stream: Optional[torch.Tensor],
                qa: torch.Tensor, qb: torch.Tensor, out: torch.Tensor, use_c: bool = True) -> None:
    """The pass after an int8 convolution: ``z`` = the instance norm of ``y`` (``mean``, ``var``,
    affine ``g``, ``b``), plus ``skip`` (the residual stream) or else ReLU'd where ``relu``; ``z``
    into ``stream`` where given; ``z`` quantized (``clamp(z * qa + qb, 0, 255.4999)``, truncated)
    into the uint8 view ``out``. One pass in C where the kernel is built (:mod:`sketchbook.kernels`),
    else torch ops (the same numbers within float rounding)."""
    lib = kernels.library() if use_c else None
    if lib is None:
        _norm_quant_torch(y, mean, var, g, b, eps, relu, skip, stream, qa, qb, out)
        return
    y = y.float()  # the output of a layer kept in bf16
    a = (g.double() / (var.double() + eps).sqrt())
    shift = (b.double() - mean.double() * a).float().contiguous()
    a = a.float().contiguous()
    qa, qb = qa.float().contiguous(), qb.float().contiguous()
    for t, dtype in ((y, torch.float32), (skip, torch.float32), (stream, torch.float32), (out, torch.uint8)):
        if t is not None and (t.stride(1) != 1 or t.shape[0] != 1 or t.dtype != dtype):
            raise ValueError("int8 pass: maps must be channels-last, one frame")
    h, w, c = y.shape[-2], y.shape[-1], y.shape[1]

    def ptr(t: Optional[torch.Tensor]) -> tuple:
        return (None, 0, 0) if t is None else (t.data_ptr(), t.stride(2), t.stride(3))

    yp, sp, tp, op = ptr(y), ptr(skip), ptr(stream), ptr(out)
    lib.sbk_norm_quant(*yp, w, c, 0, h, a.data_ptr(), shift.data_ptr(), int(relu), *sp, *tp, qa.data_ptr(),
                       qb.data_ptr(), *op)


def _norm_quant_torch(y, mean, var, g, b, eps, relu, skip, stream, qa, qb, out) -> None:
    """:func:`_norm_quant` as torch ops (four passes and a temporary)."""
    if stream is not None or skip is not None:
        z = F.batch_norm(y, mean, var, g, b, False, 0.0, eps)
        if skip is not None:
            z.add_(skip)
        elif relu:
            z.clamp_(min=0)
        if stream is not None:
            stream.copy_(z)
        z = torch.addcmul(qb.view(1, -1, 1, 1), z, qa.view(1, -1, 1, 1))
    else:  # ReLU, then quantized: one normalisation with the scale folded in
        z = F.batch_norm(y, mean, var, g * qa, b * qa + qb, False, 0.0, eps)
    z.clamp_(0, 255.4999)  # ReLU's floor is zero point 0 (+0.5) for a ReLU layer's input
    out.copy_(z)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR (dB) of two images in [0, 1] after rounding to 8 bits, as the frames are written."""
    a8, b8 = (a.clamp(0, 1) * 255).round(), (b.clamp(0, 1) * 255).round()
    mse = (a8 - b8).double().pow(2).mean().item()
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def save_calibration(path: Path | str, ranges: dict, bf16_layers: list[str], frames: list[str],
                     psnr_db: float) -> None:
    blob = {"format": CALIBRATION_FORMAT, "frames": frames, "psnr_vs_fp32_db": psnr_db,
            "bf16_layers": bf16_layers, "layers": ranges}
    with atomic_file(path) as tmp:
        Path(tmp).write_text(json.dumps(blob, indent=1) + "\n")


def load_calibration(path: Path | str) -> dict:
    """A calibration file (:func:`save_calibration`): every failure names the file."""
    path = Path(path)
    try:
        blob = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputFileError(f"int8 calibration {path}: no such file: the model has none (the workflow's rule "
                             "calibrate_int8 makes it for clips with precision int8), so it renders in "
                             "bf16 or fp32 only") from None
    except (OSError, ValueError) as exc:
        raise InputFileError(f"int8 calibration {path}: not readable JSON ({exc})") from None
    if (not isinstance(blob, dict) or blob.get("format") != CALIBRATION_FORMAT
            or not isinstance(blob.get("layers"), dict) or not isinstance(blob.get("bf16_layers"), list)):
        raise InputFileError(f"int8 calibration {path}: not a Sketchbook int8 calibration ({CALIBRATION_FORMAT})")
    return blob


#: Calibration: at most this many training images, shorter side CALIBRATION_SIDE (px); the PSNR
#: check: at most CHECK_IMAGES held-out images, shorter side CHECK_SIDE (a 640x360 render's).
CALIBRATION_IMAGES, CALIBRATION_SIDE = 8, 256
CHECK_IMAGES, CHECK_SIDE = 4, 360


def _spread(paths: list, n: int) -> list:
    """At most ``n`` of ``paths`` (name order), evenly spread."""
    paths = sorted(paths, key=str)
    if len(paths) <= n:
        return paths
    return [paths[round(i * (len(paths) - 1) / (n - 1))] if n > 1 else paths[0] for i in range(n)]


def _frame(path: Path | str, side: int) -> torch.Tensor:
    """An image as an 8-bit frame (1, 3, H, W), its shorter side ``side`` at most (never enlarged)."""
    from .images import load_rgb, resize_short_side

    x = load_rgb(path)
    if min(x.shape[-2:]) > side:
        x = resize_short_side(x, side)
    return (x[None] * 255).round() / 255


def calibrate_model(model_path: Path | str, content: list, held_out: list, out_path: Path | str) -> dict:
    """Calibrate a model file for int8 (:func:`input_ranges` on its training ``content`` images),
    check it against fp32 on the ``held_out`` images (the lowest PSNR is stored), write the
    calibration to ``out_path``; returns what was written."""
    from .modelfile import load_model

    net = load_model(model_path).net
    calib = _spread(content, CALIBRATION_IMAGES)
    if not calib:
        raise InputFileError(f"int8 calibration of {model_path}: no training content images to calibrate on")
    frames = [_frame(p, CALIBRATION_SIDE) for p in calib]
    ranges = {name: {k: [float(f"{v:.6g}") for v in vals] for k, vals in r.items()}
              for name, r in input_ranges(net, frames).items()}
    keep = sensitive_layers(net, ranges, [_frame(p, CHECK_SIDE) for p in _spread(calib, 2)])
    q, ref = Int8TransformerNet(net, ranges, keep), FastTransformerNet(net, torch.float32)
    checks = _spread(held_out, CHECK_IMAGES) or calib[:1]
    worst = math.inf
    for p in checks:
        x = _frame(p, CHECK_SIDE)
        worst = min(worst, psnr(q(x), ref(x)))
    worst = round(min(worst, 100.0), 2)  # 100: identical
    save_calibration(out_path, ranges, keep, [Path(p).name for p in calib], worst)
    return load_calibration(out_path)
