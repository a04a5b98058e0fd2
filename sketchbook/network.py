"""The image-transformation network of Johnson et al. (2016).

Strided convolutions down, residual blocks, upsample-then-convolve up, instance norm throughout.
Input and output are RGB images in [0, 1] (N, 3, H, W); any H, W work (the output is cropped to
the input size).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F


class ConvLayer(nn.Module):
    """Reflection-padded convolution (no checkerboard from zero padding)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1) -> None:
        super().__init__()
        self.pad = nn.ReflectionPad2d(kernel // 2)
        self.conv = nn.Conv2d(cin, cout, kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pad(x))


class UpsampleConvLayer(ConvLayer):
    """Nearest-neighbour upsampling by ``scale`` then a :class:`ConvLayer` (Odena et al.: avoids
    checkerboards)."""

    def __init__(self, cin: int, cout: int, kernel: int, scale: int) -> None:
        super().__init__(cin, cout, kernel)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.interpolate(x, scale_factor=self.scale, mode="nearest"))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, 3)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, 3)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.in1(self.conv1(x)))
        return x + self.in2(self.conv2(y))


class TransformerNet(nn.Module):
    """Johnson's residual transformation network; ``width`` is the first layer's channels (32).

    The layers are named as in pytorch/examples' fast_neural_style: ``conv1``-``conv3`` (down,
    each followed by instance norm ``in1``-``in3`` and ReLU), ``res1``-``resN`` (residual blocks),
    ``deconv1``-``deconv2`` (upsample and convolve, ``in4``-``in5``, ReLU), ``deconv3`` (the
    last 9x9 convolution to RGB).
    """

    def __init__(self, width: int = 32, n_residual: int = 5) -> None:
        super().__init__()
        w1, w2, w3 = width, 2 * width, 4 * width
        self.width = width
        self.n_residual = n_residual
        # Made in the order of the network (their initial weights come from one random stream).
        self.conv1, self.in1 = ConvLayer(3, w1, 9), nn.InstanceNorm2d(w1, affine=True)
        self.conv2, self.in2 = ConvLayer(w1, w2, 3, 2), nn.InstanceNorm2d(w2, affine=True)
        self.conv3, self.in3 = ConvLayer(w2, w3, 3, 2), nn.InstanceNorm2d(w3, affine=True)
        for i in range(1, n_residual + 1):
            self.add_module(f"res{i}", ResidualBlock(w3))
        self.deconv1, self.in4 = UpsampleConvLayer(w3, w2, 3, 2), nn.InstanceNorm2d(w2, affine=True)
        self.deconv2, self.in5 = UpsampleConvLayer(w2, w1, 3, 2), nn.InstanceNorm2d(w1, affine=True)
        self.deconv3 = ConvLayer(w1, 3, 9)

    def residual_blocks(self) -> list[ResidualBlock]:
        """``res1`` .. ``resN``, in order."""
        return [getattr(self, f"res{i}") for i in range(1, self.n_residual + 1)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        # Pad to a multiple of 4 so that down- and up-sampling give back the input size.
        ph, pw = (-h) % 4, (-w) % 4
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        y = F.relu(self.in1(self.conv1(x)))
        y = F.relu(self.in2(self.conv2(y)))
        y = F.relu(self.in3(self.conv3(y)))
        for block in self.residual_blocks():
            y = block(y)
        y = F.relu(self.in4(self.deconv1(y)))
        y = F.relu(self.in5(self.deconv2(y)))
        y = self.deconv3(y)
        # A sigmoid keeps the output a valid image: paper white and ink black are reachable
        # without the unbounded values that clamping would silently cut.
        return torch.sigmoid(y[..., :h, :w])


# --- Fast inference -------------------------------------------------------------------------------
# The same function as TransformerNet.forward for trained models, computed with less work:
# - each instance norm's statistics are taken in one read, and normalisation, ReLU (or the
#   residual sum) and the next convolution's padding are written in one more pass, straight into
#   the padded input of the next convolution;
# - an upsampling convolution (2x nearest, then 3x3) is four 2x2 convolutions of the
#   low-resolution input, one per output pixel parity, with the taps that read the same input
#   pixel summed: 4/9 of the multiply-adds, and no upsampled copy;
# - the last 9x9 convolution (3 output channels) runs on 2x2 pixel blocks (space to depth);
# - convolutions can run in bf16 (statistics and normalisation in fp32), channels-last;
# - large frames run each convolution in bands of rows: the norms still see the whole frame, so
#   the output is the untiled one (no seams) while the temporaries stay bounded.


def _reflect_fill(buf: torch.Tensor, p: int) -> torch.Tensor:
    """Fill the ``p``-wide border of ``buf`` (…, H+2p, W+2p) by reflecting its interior (in place)."""
    if p == 0:
        return buf
    h, w = buf.shape[-2] - 2 * p, buf.shape[-1] - 2 * p
    buf[..., :p, p:p + w] = buf[..., p + 1:2 * p + 1, p:p + w].flip(-2)
    buf[..., p + h:, p:p + w] = buf[..., h - 1:h + p - 1, p:p + w].flip(-2)
    buf[..., :, :p] = buf[..., :, p + 1:2 * p + 1].flip(-1)
    buf[..., :, p + w:] = buf[..., :, w - 1:w + p - 1].flip(-1)
    return buf


def _replicate_fill(buf: torch.Tensor) -> torch.Tensor:
    """Fill the 1-pixel border of ``buf`` with its interior's edge pixels (in place)."""
    buf[..., :1, 1:-1] = buf[..., 1:2, 1:-1]
    buf[..., -1:, 1:-1] = buf[..., -2:-1, 1:-1]
    buf[..., :, :1] = buf[..., :, 1:2]
    buf[..., :, -1:] = buf[..., :, -2:-1]
    return buf


#: The output pixel parities of an upsampling convolution.
PARITIES = ((0, 0), (0, 1), (1, 0), (1, 1))


def fold_upsample_weight(w: torch.Tensor) -> dict[tuple[int, int], torch.Tensor]:
    """A 3x3 kernel applied after 2x nearest upsampling and 1-pixel reflection padding, as one
    2x2 kernel per output parity (i, j) on the 1-pixel replicate-padded low-resolution input.

    Output row 2Y+i reads upsampled rows 2Y+i-1 .. 2Y+i+1, which are input rows Y-1, Y, Y (i=0) or
    Y, Y, Y+1 (i=1): the two taps on the same input row are summed. Likewise for columns. At the
    borders the reflected upsampled row is the input's edge row: replicate padding of the input.
    """
    def rows(k: torch.Tensor, i: int) -> torch.Tensor:
        if i == 0:
            return torch.stack([k[:, :, 0], k[:, :, 1] + k[:, :, 2]], 2)
        return torch.stack([k[:, :, 0] + k[:, :, 1], k[:, :, 2]], 2)

    return {(i, j): rows(rows(w, i).transpose(2, 3), j).transpose(2, 3) for i, j in PARITIES}


def _space_to_depth(x: torch.Tensor, b: int) -> torch.Tensor:
    """Channels-last (N, C, H, W) -> (N, b*b*C, H/b, W/b), channels ordered (row, column, C) within
    each b x b block: in channels-last memory, one copy of runs of b*C contiguous values."""
    n, c, h, w = x.shape
    m = x.permute(0, 2, 3, 1).reshape(n, h // b, b, w // b, b * c)
    m = m.permute(0, 1, 3, 2, 4).contiguous()
    return m.view(n, h // b, w // b, b * b * c).permute(0, 3, 1, 2)


def space_to_depth_weight(w: torch.Tensor, b: int) -> torch.Tensor:
    """(Co, Ci, k, k) -> (Co*b*b, b*b*Ci, K, K), K = ceil((k+b-1)/b): the same stride-1
    convolution on b x b blocks (input channels as :func:`_space_to_depth` orders them, output
    channels as ``pixel_shuffle`` reads them); taps outside the kernel are zeros."""
    co, ci, k, _ = w.shape
    kk = -(-(k + b - 1) // b)
    out = w.new_zeros(co, b, b, b, b, ci, kk, kk)
    for i in range(b):          # output pixel within its block
        for j in range(b):
            for u in range(b):  # input pixel within its block
                for v in range(b):
                    for dy in range(kk):
                        ky = b * dy + u - i
                        if not 0 <= ky < k:
                            continue
                        for dx in range(kk):
                            kx = b * dx + v - j
                            if 0 <= kx < k:
                                out[:, i, j, u, v, :, dy, dx] = w[:, :, ky, kx]
    return out.reshape(co * b * b, b * b * ci, kk, kk)


#: A piece of a convolution's output: (rows, columns) of the output it fills, and its values.
Piece = tuple[slice, slice, torch.Tensor]


class _Conv:
    """One convolution of the network, ready to run on a padded input in the compute dtype.

    ``upsample``: the layer upsamples 2x first; it runs folded (:func:`fold_upsample_weight`) on
    the low-resolution input, replicate-padded by 1. ``space_to_depth`` (channels-last only): a
    stride-1 convolution runs on 2x2 pixel blocks instead; for the last 9x9 convolution to 3
    channels (which fill no vector register) that is about 2.5x faster, for the same sums plus
    zeros, in another order.
    """

    def __init__(self, conv: nn.Conv2d, dtype: torch.dtype, memory_format: torch.memory_format,
                 upsample: bool = False, space_to_depth: int = 1) -> None:
        w = conv.weight.detach().float()
        self.k = conv.kernel_size[0]
        self.stride = conv.stride[0]
        self.cout = conv.out_channels
        self.upsample = upsample
        self.block = space_to_depth
        self.pad = 1 if upsample else self.k // 2  # of the input buffer it reads
        self.bias = conv.bias.detach().to(dtype)
        if upsample:
            self.weights = {p: k.to(dtype).contiguous(memory_format=memory_format)
                            for p, k in fold_upsample_weight(w).items()}
        elif space_to_depth > 1:
            self.weight = space_to_depth_weight(w, space_to_depth).to(dtype).contiguous(memory_format=memory_format)
            self.bias = self.bias.repeat_interleave(space_to_depth ** 2)
        else:
            self.weight = w.to(dtype).contiguous(memory_format=memory_format)

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        if self.upsample:
            return 2 * h, 2 * w
        return (h + 2 * self.pad - self.k) // self.stride + 1, (w + 2 * self.pad - self.k) // self.stride + 1

    def pieces(self, src: torch.Tensor, r0: int, r1: int) -> list[Piece]:
        """Output rows [r0, r1) (even bounds when upsampling) from the padded input ``src``."""
        if self.upsample:
            y0, y1 = r0 // 2, r1 // 2
            w = src.shape[-1] - 2
            return [(slice(r0 + i, r1, 2), slice(j, None, 2),
                     F.conv2d(src[..., y0 + i:y1 + i + 1, j:j + w + 1], self.weights[(i, j)], self.bias))
                    for i, j in PARITIES]
        s = self.stride
        band = src[..., r0 * s:(r1 - 1) * s + self.k, :]
        if self.block > 1:
            b = self.block
            y = F.pixel_shuffle(F.conv2d(_space_to_depth(band, b), self.weight, self.bias), b)
        else:
            y = F.conv2d(band, self.weight, self.bias, s)
        return [(slice(r0, r1), slice(None), y)]


class _Norm:
    """An instance norm's affine parameters (fp32); what follows it: ReLU or a residual sum."""

    def __init__(self, norm: nn.InstanceNorm2d, relu: bool) -> None:
        self.weight = norm.weight.detach().float()
        self.bias = norm.bias.detach().float()
        self.eps = norm.eps
        self.relu = relu


#: Statistics are taken over chunks of at most this many pixels, combined in float64: the
#: batch-norm statistics kernel accumulates in fp32 (bf16 input too) and loses accuracy over
#: millions of pixels (0.1-0.4 % on a 4K frame's variances), which fifteen norms amplify.
STATS_CHUNK_PIXELS = 1 << 16


def _stats(y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Per (sample, channel) mean and sum of squared deviations (float64), and the pixel count."""
    n, c, h, w = y.shape
    step = max(1, STATS_CHUNK_PIXELS // w)
    zeros = torch.zeros(c, device=y.device)
    parts = []
    for r0 in range(0, h, step):
        chunk = y[:, :, r0:r0 + step]
        means, m2 = [], []
        for i in range(n):
            # One pass, fp32 accumulation for bf16 input: the batch-norm statistics kernel.
            mean, var = torch.batch_norm_update_stats(chunk[i:i + 1], zeros, zeros.clone(), 0.0)
            means.append(mean.double())
            m2.append(var.double())
        count = chunk.shape[-2] * w
        parts.append((torch.stack(means), torch.stack(m2) * count, count))
    mean, var = _combine_stats(parts)
    return mean, var * (h * w), h * w


def _combine_stats(parts: list) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and (biased) variance of the union of parts (Chan et al.'s parallel formula)."""
    if len(parts) == 1:
        mean, m2, count = parts[0]
        return mean, m2 / count
    means = torch.stack([p[0] for p in parts])                 # (parts, n, C)
    m2s = torch.stack([p[1] for p in parts])
    counts = torch.tensor([float(p[2]) for p in parts], dtype=torch.float64, device=means.device)
    counts = counts.view(-1, *[1] * (means.dim() - 1))
    total = counts.sum()
    mean = (means * counts).sum(0) / total
    m2 = (m2s + counts * (means - mean) ** 2).sum(0)
    return mean, m2 / total


@dataclass
class _Step:
    """One convolution of :class:`TransformerNet` and what the fused pass does after it."""

    name: str                      # the convolution's layer ("conv1", "res2.conv1", "deconv3")
    conv: _Conv
    norm: Optional[_Norm]          # the instance norm after it; None for the last convolution
    adds_block_input: bool = False  # a residual block's second convolution: its input is added
    keeps_output: bool = False     # its output is a residual block's input, kept for that sum


@dataclass(frozen=True)
class Layer:
    """One convolution of :class:`TransformerNet` as the fused paths run it (the fp32/bf16 one here,
    the int8 one in :mod:`sketchbook.int8`): its norm and what follows the norm."""

    name: str                                # the convolution's layer ("conv1", "res2.conv1", "deconv3")
    norm: Optional[nn.InstanceNorm2d]        # the instance norm after it; None for the last convolution
    relu: bool = True                        # ReLU after the norm (not after a block's second norm)
    upsample: bool = False                   # 2x nearest upsampling first (run folded)
    space_to_depth: int = 1                  # run on b x b pixel blocks (the last 9x9 convolution)
    adds_block_input: bool = False           # a residual block's second convolution: its input is added
    keeps_output: bool = False               # its output is a residual block's input, kept for that sum


def fused_layout(net: TransformerNet, channels_last: bool = True) -> list[Layer]:
    """The network's convolutions in the order they run, each with its norm and flags."""
    blocks = net.residual_blocks()
    layers = [Layer("conv1", net.in1), Layer("conv2", net.in2), Layer("conv3", net.in3, keeps_output=bool(blocks))]
    for k, block in enumerate(blocks, 1):
        layers.append(Layer(f"res{k}.conv1", block.in1))
        layers.append(Layer(f"res{k}.conv2", block.in2, relu=False, adds_block_input=True,
                            keeps_output=k < len(blocks)))
    layers.append(Layer("deconv1", net.in4, upsample=True))
    layers.append(Layer("deconv2", net.in5, upsample=True))
    layers.append(Layer("deconv3", None, space_to_depth=2 if channels_last else 1))
    return layers


def fused_steps(net: TransformerNet, dtype: torch.dtype, memory_format: torch.memory_format,
                channels_last: bool = True) -> list[_Step]:
    """The network's convolutions in order (:func:`fused_layout`), each with its norm, as
    :class:`FastTransformerNet` runs them."""
    return [_Step(layer.name,
                  _Conv(net.get_submodule(layer.name).conv, dtype, memory_format, layer.upsample,
                        layer.space_to_depth),
                  None if layer.norm is None else _Norm(layer.norm, layer.relu),
                  layer.adds_block_input, layer.keeps_output)
            for layer in fused_layout(net, channels_last)]


class FastTransformerNet:
    """Inference with a trained :class:`TransformerNet`: the same output for less work.

    ``dtype`` is the convolutions' dtype (float32 gives TransformerNet's numbers within float
    rounding; bfloat16 runs the convolutions in bf16, statistics and norms in fp32). The layers
    of a frame whose first activation would exceed ``whole_mb`` run in bands of about ``band_mb``
    (exact: the norms see the whole frame); banding costs a pass over memory, so frames up to
    1080p run whole.
    Input: float (N, 3, H, W) in [0, 1]; output: float32 (N, 3, H, W) in [0, 1].
    Frames need at least 16 pixels a side (the model's own reflection pads need 5 or more).
    """

    def __init__(self, net: TransformerNet, dtype: torch.dtype = torch.float32,
                 channels_last: bool = True, band_mb: float = 32.0, whole_mb: float = 288.0) -> None:
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.dtype, self.memory_format = dtype, fmt
        self.band_mb, self.whole_mb = band_mb, max(band_mb, whole_mb)
        self.steps = fused_steps(net, dtype, fmt, channels_last)

    def _banded(self, n: int, h: int, w: int) -> bool:
        """Whether a frame runs in bands: its largest activation (the first layer's) is over
        ``whole_mb``."""
        return n * self.steps[0].conv.cout * h * w * torch.finfo(self.dtype).bits // 8 > self.whole_mb * 2 ** 20

    def _bands(self, n: int, c: int, h: int, w: int, banded: bool = True) -> list[tuple[int, int]]:
        row_bytes = n * c * w * torch.finfo(self.dtype).bits // 8
        if not banded:
            return [(0, h)]
        rows = max(8, int(self.band_mb * 2 ** 20 // max(1, row_bytes)) // 4 * 4)  # even, for 2x2
        return [(r, min(h, r + rows)) for r in range(0, h, rows)]

    def _buffer(self, n: int, c: int, h: int, w: int, q: int, device: torch.device) -> torch.Tensor:
        return torch.empty((n, c, h + 2 * q, w + 2 * q), dtype=self.dtype, device=device,
                           memory_format=self.memory_format)

    @torch.inference_mode()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        ph, pw = (-h) % 4, (-w) % 4
        x = x.to(self.dtype)
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        p0 = self.steps[0].conv.pad
        src = F.pad(x, (p0, p0, p0, p0), mode="reflect").contiguous(memory_format=self.memory_format)
        hh, ww = x.shape[-2:]  # the current activation's size (unpadded)
        banded = self._banded(n, hh, ww)
        skip: Optional[torch.Tensor] = None  # a residual block's input (padded by 1)
        for i, step in enumerate(self.steps):
            conv, norm = step.conv, step.norm
            oh, ow = conv.out_size(hh, ww)
            bands = self._bands(n, conv.cout, oh, ow, banded)
            if norm is None:  # the last convolution
                y = torch.cat([p[2] for r0, r1 in bands for p in conv.pieces(src, r0, r1)], 2)
                return torch.sigmoid(y[..., :h, :w].float())
            nxt = self.steps[i + 1].conv
            q = nxt.pad  # the next convolution's input padding, written here
            dst = self._buffer(n, conv.cout, oh, ow, q, src.device)
            inner = dst[..., q:q + oh, q:q + ow]
            stats = []
            if len(bands) == 1:
                pieces = conv.pieces(src, 0, oh)
                stats = [_stats(p[2]) for p in pieces]
            else:  # raw bands go into dst, normalised in place once the whole frame's stats are known
                pieces = []
                for r0, r1 in bands:
                    for rows, cols, yb in conv.pieces(src, r0, r1):
                        stats.append(_stats(yb))
                        view = inner[..., rows, cols]
                        view.copy_(yb)
                        pieces.append((rows, cols, view))
                    del yb
            mean, var = _combine_stats(stats)
            mean, var = mean.float(), var.float()
            block_input = skip[..., 1:1 + oh, 1:1 + ow] if step.adds_block_input else None  # padded by 1
            for rows, cols, y in pieces:
                for j in range(n):
                    # Eval-mode batch norm with the instance's statistics is its instance norm;
                    # its kernel takes bf16 input with fp32 statistics and parameters.
                    z = F.batch_norm(y[j:j + 1], mean[j], var[j], norm.weight, norm.bias, False, 0.0, norm.eps)
                    out = inner[j:j + 1, :, rows, cols]
                    if block_input is not None:
                        torch.add(z, block_input[j:j + 1, :, rows, cols], out=out)
                    elif norm.relu:
                        torch.clamp_min(z, 0, out=out)
                    else:
                        out.copy_(z)
                    del z
            del pieces, stats, block_input
            if nxt.upsample:
                _replicate_fill(dst)
            else:
                _reflect_fill(dst, q)
            if step.keeps_output:
                skip = dst  # the input of a residual block (its first convolution pads by 1)
            src, hh, ww = dst, oh, ow
        raise AssertionError("unreachable")
