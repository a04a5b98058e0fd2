"""int8 inference (sketchbook.int8): each convolution against the same sums in float, the whole
network against fp32 on a real photo with a briefly trained model, calibration determinism, and a
model without calibration. Speed is measured in benchmarks/, never asserted here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch.nn import functional as F

from sketchbook import int8
from sketchbook.errors import InputFileError
from sketchbook.modelfile import calibration_path, load_model, save_model
from sketchbook.network import FastTransformerNet, TransformerNet, fold_upsample_weight
from sketchbook.plan import make_plan
from sketchbook.precision import cpu_has_vnni
from sketchbook.stylize import Stylizer, stylize_frames
from sketchbook.images import read_frame, write_frame

DEMO_PHOTOS = sorted((Path(__file__).resolve().parents[1] / "demo" / "content").glob("*.jpg"))


def _conv(cin, cout, k, stride=1, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Conv2d(cin, cout, k, stride)


#: Without VNNI, oneDNN's int8 kernels multiply with vpmaddubsw, whose 16-bit sums of two u8 x s8
#: products saturate for full-range values (255 x 127 x 2): the exact-sum checks then draw 7-bit
#: inputs (a real model's activations rarely reach that; int8 is meant for VNNI CPUs).
INPUT_MAX = 256 if cpu_has_vnni() else 128


def _dequantized_input(c, h, w, scale, zp, seed=1):
    g = torch.Generator().manual_seed(seed)
    q = torch.randint(0, INPUT_MAX, (1, c, h, w), generator=g, dtype=torch.uint8)
    x = (q.float() - zp.view(1, -1, 1, 1)) * scale.view(1, -1, 1, 1)
    return q.contiguous(memory_format=torch.channels_last), x


def _quantized_weight(w, scale):
    """The weights the int8 layer uses, back in float: input scale folded, int8 per output channel."""
    wf = w * scale.view(1, -1, 1, 1)
    s = wf.abs().amax((1, 2, 3), keepdim=True) / 127
    return (wf / s).round().clamp(-127, 127) * s / scale.view(1, -1, 1, 1)


@pytest.mark.parametrize("k,stride", [(3, 1), (3, 2), (9, 1)])
def test_int8_convolution_is_the_sums_of_its_quantized_values(k, stride):
    """Per-channel input scale and zero point folded into the weights and bias: the int8 layer
    computes the float convolution of the dequantized input with the quantized weights."""
    conv = _conv(6, 5, k, stride)
    scale = torch.linspace(0.01, 0.05, 6)
    zp = torch.tensor([0, 3, 128, 255, 17, 90])
    layer = int8._QConv(conv, scale, zp)
    q, x = _dequantized_input(6, 20, 23, scale, zp)
    (_, _, got), = layer.pieces(q)
    want = F.conv2d(x, _quantized_weight(conv.weight.detach(), scale), conv.bias.detach(), stride)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4 * float(want.abs().max()))


def test_int8_upsampling_convolution_is_the_folded_one():
    conv = _conv(6, 4, 3)
    scale, zp = torch.full((6,), 0.02), torch.tensor([0, 1, 2, 3, 4, 5])
    layer = int8._QConv(conv, scale, zp, upsample=True)
    q, x = _dequantized_input(6, 12, 14, scale, zp)  # the low-resolution input, replicate-padded by 1
    h, w = 10, 12
    for rows, cols, got in layer.pieces(q):
        i, j = rows.start, cols.start
        wq = fold_upsample_weight(conv.weight.detach() * scale.view(1, -1, 1, 1))[(i, j)]
        s = wq.abs().amax((1, 2, 3), keepdim=True) / 127
        wq = (wq / s).round().clamp(-127, 127) * s / scale.view(1, -1, 1, 1)
        want = F.conv2d(x[..., i:i + h + 1, j:j + w + 1], wq, conv.bias.detach())
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4 * float(want.abs().max()))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small model trained for a few dozen steps (random VGG16 weights: enough for trained
    norms and weights), its file, and photos to calibrate on and to check with."""
    from sketchbook import lossnet
    from sketchbook.train import LossNetwork, TrainSettings, train
    from tests.helpers import make_photo, make_sketch

    d = tmp_path_factory.mktemp("int8")
    sketch = make_sketch(d / "sketch.png", 96)
    photos = [make_photo(d / f"photo{i}.png", 64, seed=i) for i in range(3)]
    sd, conv, _ = lossnet.random_weights(0)
    feats = lossnet.vgg16_features()
    feats.load_state_dict(sd)
    s = TrainSettings(iterations=40, image_size=48, batch_size=2, width=16, n_residual=2, style_size=64,
                      precision="fp32", seed=3)
    train(s, sketch, photos + DEMO_PHOTOS[:2], LossNetwork(feats, conv), d / "m.pt", d / "m.csv",
          torch.device("cpu"), "fp32", progress=lambda m: None)
    return d / "m.pt", DEMO_PHOTOS[:-1], DEMO_PHOTOS[-1:]


def test_int8_is_close_to_fp32_on_a_real_photo(trained):
    model, calib, held = trained
    blob = int8.calibrate_model(model, calib, held, calibration_path(model))
    net = load_model(model).net
    x = int8._frame(held[0], 200)
    got = int8.Int8TransformerNet(net, blob["layers"], blob["bf16_layers"])(x)
    want = FastTransformerNet(net, torch.float32)(x)
    assert got.shape == want.shape
    assert int8.psnr(got, want) >= int8.PSNR_BAR
    assert blob["psnr_vs_fp32_db"] >= 30  # the stored check (at CHECK_SIDE): the same measure
    # Not a copy of fp32: the int8 path really ran (8-bit activations leave differences).
    assert not torch.equal(got, want)


def test_calibration_is_deterministic(trained, tmp_path):
    model, calib, held = trained
    int8.calibrate_model(model, calib, held, tmp_path / "a.int8.json")
    int8.calibrate_model(model, calib, held, tmp_path / "b.int8.json")
    a = (tmp_path / "a.int8.json").read_bytes()
    assert a == (tmp_path / "b.int8.json").read_bytes()
    blob = json.loads(a)
    assert blob["format"] == int8.CALIBRATION_FORMAT and blob["frames"] == [p.name for p in calib]
    net = load_model(model).net
    assert list(blob["layers"]) == int8.conv_layers(net)
    for rng in blob["layers"].values():
        assert len(rng["min"]) == len(rng["max"]) and all(lo <= hi for lo, hi in zip(rng["min"], rng["max"]))


def test_a_model_without_calibration_is_named(tmp_path):
    save_model(TransformerNet(8, 1), tmp_path / "plain.pt")
    with pytest.raises(InputFileError, match=r"plain\.int8\.json: no such file.*calibrate_int8"):
        Stylizer(load_model(tmp_path / "plain.pt"), torch.device("cpu"), "int8")
    (tmp_path / "plain.int8.json").write_text("{}")
    with pytest.raises(InputFileError, match="not a Sketchbook int8 calibration"):
        Stylizer(load_model(tmp_path / "plain.pt"), torch.device("cpu"), "int8")


def test_quant_params_cover_the_range_with_zero_exact():
    scale, zp = int8.quant_params({"min": [0.0, -1.0, 0.5], "max": [2.0, 1.0, 3.0]})
    for c, (lo, hi) in enumerate([(0.0, 2.0), (-1.0, 1.0), (0.0, 3.0)]):
        step = float(scale[c])
        assert float((0 - zp[c]) * step) == pytest.approx(lo, abs=step)
        assert float((255 - zp[c]) * step) == pytest.approx(hi, abs=step)
    assert zp[0] == 0 and zp[2] == 0  # ReLU inputs: zero point 0


def test_stylize_frames_in_int8(trained, tmp_path):
    """The render step in int8: frames written, close to the fp32 render's."""
    model, calib, held = trained
    if not calibration_path(model).is_file():
        int8.calibrate_model(model, calib, held, calibration_path(model))
    frames = tmp_path / "frames"
    frames.mkdir()
    x = int8._frame(held[0], 120)
    for i in range(1, 4):
        write_frame((x[0] * 255).round().to(torch.uint8), frames / f"{i:06d}.png")
    plan = make_plan("c", 3, "s", ["good"], 0)
    for prec in ("fp32", "int8"):
        stylize_frames(plan, frames, tmp_path / prec, {"good": model}, torch.device("cpu"), prec, "gray",
                       levels=False, stabilize=0.0)
    a, b = read_frame(tmp_path / "fp32" / "000001.png"), read_frame(tmp_path / "int8" / "000001.png")
    assert int8.psnr(a.float() / 255, b.float() / 255) >= 36


@pytest.mark.parametrize("mode", ["relu", "relu+stream", "skip+stream", "skip"])
def test_the_c_pass_is_the_torch_pass(mode):
    """The pass after each int8 convolution (norm, ReLU or residual, quantization into a strided
    uint8 view) in C and as torch ops: the same values, within one step where float rounding
    lands on the other side of a quantization boundary."""
    from sketchbook import kernels

    if kernels.library() is None:
        pytest.skip("no C compiler here: the torch pass is the only one")
    torch.manual_seed(0)
    c, h, w = 24, 11, 13
    y = (torch.randn(1, c, h, w) * 3 + 1).contiguous(memory_format=torch.channels_last)
    mean, var = y.mean((0, 2, 3)), y.var((0, 2, 3), unbiased=False)
    g, b = torch.rand(c) + 0.5, torch.randn(c) * 0.3
    skip = torch.randn(1, c, h, w).contiguous(memory_format=torch.channels_last) if "skip" in mode else None
    qa, qb = torch.rand(c) * 40 + 20, torch.randint(0, 128, (c,)).float() + 0.5
    outs = {}
    for use_c in (True, False):
        buf = torch.zeros(1, c, 2 * h + 3, 2 * w + 3, dtype=torch.uint8).contiguous(memory_format=torch.channels_last)
        view = buf[..., 1:1 + 2 * h:2, 2:2 + 2 * w:2]  # a parity of an upsampling layer's output, padded
        stream = torch.zeros(1, c, h, w).contiguous(memory_format=torch.channels_last) if "stream" in mode else None
        int8._norm_quant(y, mean, var, g, b, 1e-5, mode.startswith("relu"), skip, stream, qa, qb, view, use_c)
        outs[use_c] = (buf, stream)
    (bc, sc), (bt, st) = outs[True], outs[False]
    assert int((bc.int() - bt.int()).abs().max()) <= 1
    assert float((bc != bt).float().mean()) < 0.01
    assert int(bc.sum()) > 0 and int(bc[..., 0, :].sum()) == 0  # written where the view is, nowhere else
    if stream is not None:
        torch.testing.assert_close(sc, st, rtol=1e-5, atol=1e-5)


def test_frames_beyond_1080p_go_to_the_banded_path(trained, monkeypatch):
    """int8 hands frames whose first activation is over WHOLE_MB to the fused path in bands
    (bf16 where the CPU has it): its exact output, and bounded memory for 4K."""
    from sketchbook import stylize
    from sketchbook.precision import cpu_has_bf16

    model, calib, held = trained
    if not calibration_path(model).is_file():
        int8.calibrate_model(model, calib, held, calibration_path(model))
    st = Stylizer(load_model(model), torch.device("cpu"), "int8", band_mb=0.05)
    x = int8._frame(held[0], 64)
    small = st(x)
    assert st._large is None  # whole frames in int8
    monkeypatch.setattr(stylize, "WHOLE_MB", 0.01)
    big = st(x)
    dtype = torch.bfloat16 if cpu_has_bf16() else torch.float32
    want = FastTransformerNet(load_model(model).net, dtype, band_mb=0.05, whole_mb=0.05)(x)
    assert st._large is not None and torch.equal(big, want) and not torch.equal(big, small)
