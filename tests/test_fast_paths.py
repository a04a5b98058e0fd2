"""The fast paths give the same pictures as the plain ones (correctness only; speed is measured in
benchmarks/, never asserted here)."""

import math
import subprocess
import sys

import pytest
import torch
from PIL import Image
from torch.nn import functional as F

from sketchbook.images import read_frame, write_frame
from sketchbook.modelfile import save_model
from sketchbook.network import (PARITIES, FastTransformerNet, TransformerNet, _reflect_fill, _space_to_depth,
                                fold_upsample_weight, space_to_depth_weight)
from sketchbook.plan import make_plan
from sketchbook.stylize import stylize_batch, stylize_frames


def _net(width=8, n_residual=2, seed=0):
    torch.manual_seed(seed)
    net = TransformerNet(width, n_residual).eval()
    # Trained-looking norms: not the identity affine of a fresh network.
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.InstanceNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return net


def _psnr(a, b):
    mse = float(((a.double() - b.double()) ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(1 / mse)


def _image(h, w, n=1, seed=0):
    """Smooth shapes plus a little noise: closer to a frame than uniform noise."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    base = torch.stack([torch.sin(6 * xx + 3 * yy), torch.cos(5 * yy), torch.sin(9 * xx * yy)]) * 0.4 + 0.5
    return (base[None].repeat(n, 1, 1, 1) + 0.05 * torch.rand(n, 3, h, w, generator=g)).clamp(0, 1)


def test_reflect_fill_is_reflection_padding():
    x = torch.rand(2, 3, 7, 9)
    for p in (1, 4):
        buf = torch.zeros(2, 3, 7 + 2 * p, 9 + 2 * p)
        buf[..., p:p + 7, p:p + 9] = x
        assert torch.equal(_reflect_fill(buf, p), F.pad(x, (p, p, p, p), mode="reflect"))


def test_folded_upsampling_convolution_is_upsample_pad_convolve():
    x, w = torch.rand(1, 4, 5, 6, dtype=torch.float64), torch.randn(3, 4, 3, 3, dtype=torch.float64)
    ref = F.conv2d(F.pad(F.interpolate(x, scale_factor=2, mode="nearest"), (1, 1, 1, 1), mode="reflect"), w)
    xp = F.pad(x, (1, 1, 1, 1), mode="replicate")
    folded = fold_upsample_weight(w)
    for i, j in PARITIES:
        part = F.conv2d(xp[..., i:i + 6, j:j + 7], folded[(i, j)])
        assert torch.allclose(part, ref[..., i::2, j::2])


def test_space_to_depth_convolution_is_the_convolution():
    x, w = torch.rand(1, 4, 16, 12, dtype=torch.float64), torch.randn(3, 4, 9, 9, dtype=torch.float64)
    xs = _space_to_depth(x.contiguous(memory_format=torch.channels_last), 2)
    y = F.pixel_shuffle(F.conv2d(xs, space_to_depth_weight(w, 2)), 2)
    assert torch.allclose(y, F.conv2d(x, w))


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("shape", [(1, 3, 32, 48), (2, 3, 37, 53), (1, 3, 20, 30)])
def test_fast_network_fp32_is_the_model(shape, channels_last):
    net = _net()
    x = _image(*shape[2:], n=shape[0])
    with torch.no_grad():
        ref = net(x)
    y = FastTransformerNet(net, torch.float32, channels_last=channels_last)(x)
    assert y.shape == ref.shape and y.dtype == torch.float32
    assert (y - ref).abs().max() < 1e-5


def test_bands_equal_the_whole_frame():
    # Tiny bands (8 rows) force every convolution into many bands: the instance norms still see
    # the whole frame, so the output is the untiled model's, with no seams.
    net = _net()
    x = _image(72, 60)
    with torch.no_grad():
        ref = net(x)
    banded = FastTransformerNet(net, torch.float32, channels_last=True, band_mb=1e-6, whole_mb=0)(x)
    assert (banded - ref).abs().max() < 1e-5
    whole = FastTransformerNet(net, torch.bfloat16, channels_last=True)(x)
    banded = FastTransformerNet(net, torch.bfloat16, channels_last=True, band_mb=1e-6, whole_mb=0)(x)
    assert (banded - whole).abs().max() < 2e-2
    assert _psnr(banded, ref) > 40


def test_bf16_is_close_to_fp32():
    net = _net(width=16, n_residual=3)
    x = _image(64, 96)
    with torch.no_grad():
        ref = net(x)
    y = FastTransformerNet(net, torch.bfloat16, channels_last=True)(x)
    assert _psnr(y, ref) > 40


def _frames(folder, n, h, w):
    folder.mkdir()
    torch.manual_seed(0)
    for i in range(1, n + 1):
        img = (_image(h, w, seed=i)[0] * 255).round().to(torch.uint8)
        write_frame(img, folder / f"{i:06d}.png")


def test_stylize_frames_fast_equals_the_model(tmp_path):
    _frames(tmp_path / "frames", 5, 40, 56)
    save_model(_net(), tmp_path / "a.pt")
    plan = make_plan("c", 5, "s", ["a"], seed=0)
    models = {"a": tmp_path / "a.pt"}
    for name, fast, bs in (("fast", True, 2), ("plain", False, 3)):
        stylize_frames(plan, tmp_path / "frames", tmp_path / name, models, torch.device("cpu"), "fp32",
                       color="gray", levels=True, batch_size=bs, fast=fast)
    for f in plan["file"]:
        a, b = read_frame(tmp_path / "fast" / f), read_frame(tmp_path / "plain" / f)
        assert (a.int() - b.int()).abs().max() <= 1  # fp32 rounding can flip a level at .5
        assert Image.open(tmp_path / "fast" / f).mode == "L"  # grayscale: one channel on disk


def test_stylize_frames_colour_keeps_rgb(tmp_path):
    _frames(tmp_path / "frames", 2, 24, 24)
    save_model(_net(), tmp_path / "a.pt")
    plan = make_plan("c", 2, "s", ["a"], seed=0)
    stylize_frames(plan, tmp_path / "frames", tmp_path / "out", {"a": tmp_path / "a.pt"},
                   torch.device("cpu"), "bf16", color="sketch")
    assert Image.open(tmp_path / "out" / "000001.png").mode == "RGB"


def test_stylize_batch_takes_a_plain_module_or_the_model():
    net = _net()
    frames = (_image(24, 32, n=2) * 255).round().to(torch.uint8)
    fast = stylize_batch(net, frames, torch.device("cpu"), "fp32", color="gray", levels=True)
    plain = stylize_batch(net, frames, torch.device("cpu"), "fp32", color="gray", levels=True, fast=False)
    assert fast.shape == frames.shape and fast.dtype == torch.uint8
    assert (fast.int() - plain.int()).abs().max() <= 1


def test_config_does_not_import_torchvision():
    # Every Snakemake invocation imports the config; torchvision would add seconds to each.
    code = "import sys, sketchbook.config; print('torchvision' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
