"""ONNX export (sketchbook.export): onnxruntime against torch, metadata, determinism, bad input,
the README's snippet, the int8 copy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from sketchbook.errors import InputFileError
from sketchbook.export import INPUT, OUTPUT, TOLERANCE, export_model, onnx_bytes, quantize_int8, read_metadata
from sketchbook.images import read_frame, write_frame
from sketchbook.network import TransformerNet
from sketchbook.stylize import finish, load_model, stylize_batch
from sketchbook.train import save_model


REPO = Path(__file__).resolve().parents[1]
LEVELS = (0.12, 0.91)


def tiny_net(seed: int = 0) -> TransformerNet:
    """A width-8 network with seeded random norms (not the identity init: a varied output)."""
    torch.manual_seed(seed)
    net = TransformerNet(8, 1)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.InstanceNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.3)
    return net.eval()


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.pt"
    save_model(tiny_net(), path, LEVELS)
    return path


def test_onnxruntime_draws_what_torch_draws(model_file):
    """Two frame sizes, one odd (the padding to a multiple of 4 and the crop), a batch of two.

    TOLERANCE (1e-4 on [0, 1] values): fp32 both ways, the same products summed in other orders;
    about 1e-6 is measured, and 1e-4 is a fortieth of an 8-bit step, so the finished bytes may
    differ by one step only at a rounding edge."""
    net = load_model(model_file).net
    session = ort.InferenceSession(onnx_bytes(net), providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(3)
    for h, w in [(97, 131), (64, 96)]:
        x = torch.rand((2, 3, h, w), generator=gen)
        with torch.inference_mode():
            ref = net(x)
        got = torch.from_numpy(session.run([OUTPUT], {INPUT: x.numpy()})[0])
        assert got.shape == (2, 3, h, w)
        assert (got - ref).abs().max() <= TOLERANCE
        assert ref.std() > 0.05  # a varied picture, not a flat one that any graph would match
        a, b = finish(ref, True, True, LEVELS), finish(got, True, True, LEVELS)
        diff = (a.int() - b.int()).abs()
        assert diff.max() <= 1 and (diff == 0).float().mean() > 0.99


def test_export_file_metadata_and_determinism(model_file, tmp_path):
    meta = export_model(model_file, tmp_path / "a.onnx", color="gray", levels=False)
    export_model(model_file, tmp_path / "b.onnx", color="gray", levels=False)
    assert (tmp_path / "a.onnx").read_bytes() == (tmp_path / "b.onnx").read_bytes()
    assert not list(tmp_path.glob("*.tmp*"))
    stored = read_metadata(tmp_path / "a.onnx")
    assert stored == meta
    assert json.loads(stored["sketchbook.levels"]) == pytest.approx(list(LEVELS))
    assert (stored["sketchbook.color"], stored["sketchbook.apply_levels"]) == ("gray", "false")
    assert stored["sketchbook.format"] == "sketchbook-onnx/1"
    assert (stored["sketchbook.width"], stored["sketchbook.n_residual"]) == ("8", "1")
    # Dynamic batch, height and width in the graph itself.
    session = ort.InferenceSession(str(tmp_path / "a.onnx"), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, out.name) == (INPUT, OUTPUT)
    assert all(isinstance(d, str) for i, d in enumerate(inp.shape) if i != 1) and inp.shape[1] == 3


def test_not_a_sketchbook_model_is_one_clear_error(tmp_path):
    torch.save({"state_dict": {}, "epoch": 3}, tmp_path / "other.pt")
    (tmp_path / "text.pt").write_text("not a model")
    for name, words in [("other.pt", "not a Sketchbook style model"), ("text.pt", "not a readable torch file"),
                        ("missing.pt", "no such file")]:
        with pytest.raises(InputFileError, match=re.escape(words)) as err:
            export_model(tmp_path / name, tmp_path / "out.onnx")
        assert name in str(err.value)
        assert not (tmp_path / "out.onnx").exists()
    with pytest.raises(InputFileError, match="ONNX file"):
        read_metadata(tmp_path / "text.pt")


def readme_snippet() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("## Models that travel", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_snippet_draws_the_workflows_frame(model_file, tmp_path, monkeypatch):
    """The README's onnxruntime block, run as it stands in a folder with its two files, gives the
    frame the workflow draws (fp32, grayscale, levels), a step apart at most here and there."""
    export_model(model_file, tmp_path / "results/models/hatch/good.onnx")
    gen = torch.Generator().manual_seed(5)
    frame = (torch.rand((3, 1, 1), generator=gen) * torch.linspace(0, 255, 131).view(1, 1, -1)
             + torch.randint(0, 60, (3, 97, 131), generator=gen)).clamp(0, 255).to(torch.uint8)
    write_frame(frame, tmp_path / "frame.png")
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_snippet(), "README.md (Models that travel)", "exec"), {})
    drawn = read_frame(tmp_path / "drawn.png")
    ours = stylize_batch(load_model(model_file), frame[None], torch.device("cpu"), "fp32", color="gray",
                         levels=True)[0]
    assert drawn.shape == ours.shape == (3, 97, 131)
    diff = (drawn.int() - ours.int()).abs()
    assert diff.max() <= 1 and (diff == 0).float().mean() > 0.99
    assert ours.float().std() > 10  # a picture, not a flat grey


def test_int8_copy(model_file, tmp_path):
    import onnx

    export_model(model_file, tmp_path / "m.onnx")
    gen = torch.Generator().manual_seed(7)
    frames = [torch.rand((1, 3, 48, 64), generator=gen).numpy() for _ in range(3)]
    quantize_int8(tmp_path / "m.onnx", tmp_path / "m8.onnx", frames)
    model = onnx.load(str(tmp_path / "m8.onnx"))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("QuantizeLinear") >= 9 and "DequantizeLinear" in ops  # around all 9 convolutions
    assert read_metadata(tmp_path / "m8.onnx") == read_metadata(tmp_path / "m.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "m8.onnx"]
    x = frames[0]
    fp32 = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    int8 = ort.InferenceSession(str(tmp_path / "m8.onnx"), providers=["CPUExecutionProvider"])
    a, b = fp32.run(None, {INPUT: x})[0], int8.run(None, {INPUT: x})[0]
    # Close, not equal: 8-bit activations.
    assert 0 < np.abs(a - b).mean() < 0.05
