"""The style model file (sketchbook.modelfile): writing, reading, and files of the first format."""

from pathlib import Path

import pytest
import torch

from sketchbook.errors import InputFileError
from sketchbook.modelfile import MODEL_FORMAT, StyleModel, load_model, named_state_dict, save_model
from sketchbook.network import FastTransformerNet, TransformerNet

from helpers import indexed_state_dict

INPUTS = Path(__file__).parent / "inputs"
#: Made with the code before the layers had names (tests/inputs/make_model_format1.py).
FORMAT1 = INPUTS / "model_format1.pt"


def _noisy_net(width: int = 4, n_residual: int = 2) -> TransformerNet:
    torch.manual_seed(3)
    net = TransformerNet(width, n_residual)
    with torch.no_grad():
        for p in net.parameters():  # norms differ from each other too
            p.add_(torch.randn_like(p) * 0.1)
    return net


def test_save_then_load_gives_the_network_levels_and_meta(tmp_path):
    net = _noisy_net().train()
    save_model(net, tmp_path / "m.pt", (0.1, 0.8), {"settings": {"seed": 4}, "precision": "fp32"})
    assert net.training  # the argument is left as it was
    blob = torch.load(tmp_path / "m.pt", weights_only=True)
    assert blob["format"] == MODEL_FORMAT and blob["ink_paper"] == [0.1, 0.8]
    assert list(blob["state_dict"])[:4] == ["conv1.conv.weight", "conv1.conv.bias", "in1.weight", "in1.bias"]
    model = load_model(tmp_path / "m.pt")
    assert isinstance(model, StyleModel) and not model.net.training
    assert (model.net.width, model.net.n_residual) == (4, 2)
    assert model.ink_paper == (0.1, 0.8)
    assert model.meta == {"settings": {"seed": 4}, "precision": "fp32"}
    assert all(torch.equal(v, model.net.state_dict()[k]) for k, v in net.state_dict().items())
    save_model(net, tmp_path / "bare.pt")
    assert load_model(tmp_path / "bare.pt").ink_paper == (0.0, 1.0)  # no levels: no stretch


def test_first_format_file_loads_and_draws_as_before():
    blob = torch.load(FORMAT1, weights_only=True)
    assert blob["format"] == "sketchbook-style-model/1" and "down.0.1.weight" in blob["state_dict"]
    model = load_model(FORMAT1)
    assert model.ink_paper == (0.25, 0.75) and model.meta["settings"] == {"seed": 0}
    expected = torch.load(INPUTS / "model_format1_output.pt", weights_only=True)
    torch.manual_seed(expected["input_seed"])
    x = torch.rand(*expected["shape"])
    with torch.no_grad():
        y = model.net(x)
    # The old code's output on this input (float rounding apart: another CPU may order sums
    # differently).
    assert torch.allclose(y, expected["output"], atol=1e-5, rtol=0)
    fast = FastTransformerNet(model.net, torch.float32)(x)
    assert torch.allclose(fast, expected["output"], atol=1e-4, rtol=0)


def test_first_format_keys_map_to_every_layer_in_order():
    old = torch.load(FORMAT1, weights_only=True)["state_dict"]
    named = named_state_dict(old)
    # Every key renamed, in the network's own order (an old checkpoint's optimizer state, which
    # is listed by parameter position, lines up too).
    assert list(named) == list(TransformerNet(4, 2).state_dict())
    assert torch.equal(named["res2.conv1.conv.weight"], old["res.1.conv1.1.weight"])
    assert torch.equal(named["res1.in2.bias"], old["res.0.in2.bias"])
    assert torch.equal(named["deconv2.conv.bias"], old["up.3.conv.1.bias"])
    assert torch.equal(named["in5.weight"], old["up.4.weight"])
    assert torch.equal(named["deconv3.conv.weight"], old["up.6.1.weight"])
    assert named_state_dict(named) == named  # today's names: unchanged
    assert list(indexed_state_dict(named)) == list(old)  # the tests' way back to the old names


def test_model_file_names_the_layers_it_does_not_fit(tmp_path):
    save_model(_noisy_net(4, 2), tmp_path / "m.pt")
    blob = torch.load(tmp_path / "m.pt", weights_only=True)
    blob["n_residual"] = 3
    torch.save(blob, tmp_path / "wrong.pt")
    with pytest.raises(InputFileError, match=r"(?s)wrong.pt: weights do not fit the network .*res3"):
        load_model(tmp_path / "wrong.pt")
    del blob["width"]
    torch.save(blob, tmp_path / "nowidth.pt")
    with pytest.raises(InputFileError, match="nowidth.pt"):
        load_model(tmp_path / "nowidth.pt")
