import csv

import pytest
import torch

from sketchbook import lossnet
from sketchbook.errors import ConfigError, InputFileError
from sketchbook.lossnet import LossNetwork
from sketchbook.modelfile import load_model
from sketchbook.settings import TrainSettings
from sketchbook.train import CropSampler, StyleLoss, gram_matrix, tone_loss, total_variation, train

from helpers import indexed_state_dict


def test_gram_matrix_known_values():
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # N=1, C=2, H=1, W=2
    g = gram_matrix(f)
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / (2 * 1 * 2)
    assert torch.allclose(g, expected)


def test_gram_matrix_is_size_normalised():
    torch.manual_seed(0)
    f = torch.rand(1, 4, 8, 8)
    big = f.repeat(1, 1, 2, 2)  # same statistics, 4x the pixels
    assert torch.allclose(gram_matrix(f), gram_matrix(big), atol=1e-6)


def test_total_variation_zero_on_flat():
    assert float(total_variation(torch.ones(1, 3, 8, 8))) == 0.0
    assert float(total_variation(torch.rand(1, 3, 8, 8))) > 0.0


def test_crop_sampler_is_seeded():
    ims = [torch.rand(3, 40, 50), torch.rand(3, 64, 32)]
    a = CropSampler(ims, 16, seed=1).sample(4)
    b = CropSampler(ims, 16, seed=1).sample(4)
    c = CropSampler(ims, 16, seed=2).sample(4)
    assert a.shape == (4, 3, 16, 16)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_settings_reject_unknown():
    with pytest.raises(ConfigError, match="bogus"):
        TrainSettings.from_dict({"bogus": 1})


def test_tone_loss_matches_the_sketchs_share_of_ink():
    # A sketch that is 25% ink (black) and 75% paper (white).
    tones = torch.cat([torch.zeros(25), torch.ones(75)]).sort().values
    right = torch.ones(1, 3, 10, 10)
    right[..., :5, :5] = 0.0  # 25 black pixels, anywhere
    assert float(tone_loss(right, tones)) == 0.0
    grey = torch.full((1, 3, 10, 10), 0.5, requires_grad=True)
    loss = tone_loss(grey, tones)
    assert float(loss.detach()) == pytest.approx(0.25)
    loss.backward()
    # the gradient darkens the darkest quarter and lightens the rest
    g = grey.grad.sum(1).flatten()
    assert (g > 0).sum() == 25 and (g < 0).sum() == 75


def test_style_layer_weights():
    with pytest.raises(ConfigError, match="style_layer_weights has 2 value"):
        TrainSettings.from_dict({"style_layer_weights": [1, 2]})
    s = TrainSettings.from_dict({"style_layers": ["relu1_2", "relu3_3"], "style_layer_weights": [0, 2]})
    assert s.layer_weights() == {"relu1_2": 0.0, "relu3_3": 2.0}
    assert TrainSettings().layer_weights() == {k: 1.0 for k in TrainSettings().style_layers}
    assert TrainSettings.from_dict(s.to_dict()) == s


def test_layer_weights_and_tone_weight_enter_the_loss():
    torch.manual_seed(0)
    net = tiny_lossnet()
    style, out, content = torch.rand(3, 32, 32), torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    base = TrainSettings(style_layers=("relu1_2", "relu2_2"))
    _, l1 = StyleLoss(net, style, base)(out, content, "fp32")
    _, l2 = StyleLoss(net, style, TrainSettings(style_layers=("relu1_2", "relu2_2"),
                                                style_layer_weights=(1.0, 0.0)))(out, content, "fp32")
    _, l3 = StyleLoss(net, style, TrainSettings(style_layers=("relu1_2",)))(out, content, "fp32")
    assert l2.style == pytest.approx(l3.style, rel=1e-5) and l1.style > l2.style
    t0, lt = StyleLoss(net, style, TrainSettings(style_layers=("relu1_2",), tone_weight=10.0))(out, content, "fp32")
    assert lt.tone > 0 and float(t0) == pytest.approx(l3.total + 10.0 * lt.tone, rel=1e-5)


def tiny_lossnet():
    sd, conv, _ = lossnet.random_weights(0)
    feats = lossnet.vgg16_features()
    feats.load_state_dict(sd)
    return LossNetwork(feats, conv)


def test_train_writes_model_and_losses(assets, tmp_path):
    s = TrainSettings(iterations=3, image_size=32, batch_size=2, width=8, n_residual=1, style_size=48,
                      precision="fp32", seed=5)
    content = sorted((assets / "content").iterdir())
    res = train(s, assets / "lines.png", content, tiny_lossnet(), tmp_path / "m.pt", tmp_path / "l.csv",
                 torch.device("cpu"), "fp32", progress=lambda m: None)
    rows = list(csv.DictReader(open(tmp_path / "l.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["total"]) == pytest.approx(res.final.total, rel=1e-4)
    assert (res.steps, res.resumed_from) == (3, 0)
    blob = torch.load(tmp_path / "m.pt", weights_only=True)  # loads with weights_only
    assert blob["settings"]["seed"] == 5
    lo, hi = blob["ink_paper"]
    assert 0.0 <= lo < hi <= 1.0
    model = load_model(tmp_path / "m.pt")
    assert model.net.width == 8
    assert model.ink_paper == (lo, hi) and model.meta["settings"]["seed"] == 5
    # Same settings, same seed: the same weights (reproducible training).
    train(s, assets / "lines.png", content, tiny_lossnet(), tmp_path / "m2.pt", tmp_path / "l2.csv",
          torch.device("cpu"), "fp32", progress=lambda m: None)
    w1 = torch.load(tmp_path / "m.pt", weights_only=True)["state_dict"]
    w2 = torch.load(tmp_path / "m2.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(w1[k], w2[k]) for k in w1)


def test_training_lowers_the_loss(assets, tmp_path):
    s = TrainSettings(iterations=40, image_size=32, batch_size=2, width=8, n_residual=1, style_size=48,
                      precision="fp32", learning_rate=1e-2, content_weight=0.0)
    content = sorted((assets / "content").iterdir())
    train(s, assets / "lines.png", content, tiny_lossnet(), tmp_path / "m.pt", tmp_path / "l.csv",
          torch.device("cpu"), "fp32", progress=lambda m: None)
    totals = [float(r["total"]) for r in csv.DictReader(open(tmp_path / "l.csv"))]
    assert sum(totals[-10:]) / 10 < 0.8 * sum(totals[:10]) / 10


def test_missing_sketch_is_named(assets, tmp_path):
    s = TrainSettings(iterations=1, image_size=32, batch_size=1, width=8, n_residual=1, precision="fp32")
    with pytest.raises(InputFileError, match="nope.png"):
        train(s, assets / "nope.png", [assets / "content" / "photo0.png"], tiny_lossnet(),
              tmp_path / "m.pt", tmp_path / "l.csv", torch.device("cpu"), "fp32")


def test_model_file_errors(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        load_model(tmp_path / "none.pt")
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(InputFileError, match="junk.pt"):
        load_model(tmp_path / "junk.pt")
    torch.save({"format": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(InputFileError, match="not a Sketchbook style model"):
        load_model(tmp_path / "other.pt")


TINY = dict(image_size=32, batch_size=2, width=8, n_residual=1, style_size=48, precision="fp32")


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("old_names", [False, True], ids=["checkpoint", "checkpoint_before_named_layers"])
def test_interrupted_training_resumes_to_the_same_model(assets, tmp_path, old_names):
    s = TrainSettings(iterations=8, **TINY)
    content = sorted((assets / "content").iterdir())
    args = (s, assets / "lines.png", content, tiny_lossnet())
    ref = train(*args, tmp_path / "ref.pt", tmp_path / "ref.csv", torch.device("cpu"), "fp32",
                progress=lambda m: None)
    assert ref.resumed_from == 0

    def stop_at_5(msg):
        if msg.startswith("step 5/"):
            raise Interrupt
    ckpt = tmp_path / "m.ckpt"
    with pytest.raises(Interrupt):
        train(*args, tmp_path / "m.pt", tmp_path / "m.csv", torch.device("cpu"), "fp32",
              progress=stop_at_5, log_every=1, checkpoint=ckpt, checkpoint_every=2)
    assert ckpt.exists() and not (tmp_path / "m.pt").exists()
    if old_names:  # a checkpoint written before the layers had names resumes too
        blob = torch.load(ckpt, weights_only=True)
        blob["model"] = indexed_state_dict(blob["model"])
        torch.save(blob, ckpt)
    said = []
    res = train(*args, tmp_path / "m.pt", tmp_path / "m.csv", torch.device("cpu"), "fp32",
                progress=said.append, checkpoint=ckpt, checkpoint_every=2)
    assert res.resumed_from == 4  # the last checkpoint before the interruption
    assert any("resuming from checkpoint" in m and "step 4/8" in m for m in said)
    assert not ckpt.exists()  # removed once the model is written
    rows = list(csv.DictReader(open(tmp_path / "m.csv")))
    assert [int(r["step"]) for r in rows] == list(range(1, 9))
    w_ref = torch.load(tmp_path / "ref.pt", weights_only=True)["state_dict"]
    w = torch.load(tmp_path / "m.pt", weights_only=True)["state_dict"]
    assert all(torch.allclose(w_ref[k], w[k], atol=1e-6) for k in w_ref)


def test_checkpoint_with_other_settings_is_ignored(assets, tmp_path):
    content = sorted((assets / "content").iterdir())
    ckpt = tmp_path / "m.ckpt"

    def stop(msg):
        if msg.startswith("step 3/"):
            raise Interrupt
    with pytest.raises(Interrupt):
        train(TrainSettings(iterations=6, **TINY), assets / "lines.png", content, tiny_lossnet(),
              tmp_path / "m.pt", tmp_path / "m.csv", torch.device("cpu"), "fp32", progress=stop,
              log_every=1, checkpoint=ckpt, checkpoint_every=1)
    said = []
    res = train(TrainSettings(iterations=6, seed=9, **TINY), assets / "lines.png", content, tiny_lossnet(),
                tmp_path / "m.pt", tmp_path / "m.csv", torch.device("cpu"), "fp32", progress=said.append,
                checkpoint=ckpt)
    assert res.resumed_from == 0
    assert any("other settings" in m for m in said)


KILL_SCRIPT = """
import sys, torch
from pathlib import Path
from sketchbook import lossnet
from sketchbook.lossnet import LossNetwork
from sketchbook.settings import TrainSettings
from sketchbook.train import train
sd, conv, _ = lossnet.random_weights(0)
f = lossnet.vgg16_features(); f.load_state_dict(sd)
assets, out = Path(sys.argv[1]), Path(sys.argv[2])
s = TrainSettings(iterations=int(sys.argv[3]), image_size=32, batch_size=2, width=8, n_residual=1,
                  style_size=48, precision="fp32")
r = train(s, assets / "lines.png", sorted((assets / "content").iterdir()), LossNetwork(f, conv),
          out / "m.pt", out / "m.csv", torch.device("cpu"), "fp32", progress=print,
          checkpoint=out / "m.ckpt", checkpoint_every=5)
print("RESUMED_FROM", r.resumed_from, flush=True)
"""


@pytest.mark.slow  # a real training process, killed and run again (about 30 s)
def test_killed_training_resumes_from_its_checkpoint(assets, tmp_path):
    """A real kill (SIGKILL) part-way; the re-run continues from the last checkpoint and finishes."""
    import signal
    import subprocess
    import sys
    import time

    cmd = [sys.executable, "-c", KILL_SCRIPT, str(assets), str(tmp_path), "60"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ckpt = tmp_path / "m.ckpt"
    deadline = time.time() + 120
    step = 0
    while time.time() < deadline and proc.poll() is None:
        if ckpt.exists():
            try:
                step = torch.load(ckpt, weights_only=True)["step"]
            except Exception:
                step = 0
            if step >= 10:
                break
        time.sleep(0.2)
    assert proc.poll() is None, "training finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "m.pt").exists()
    killed_at = torch.load(ckpt, weights_only=True)["step"]
    assert killed_at >= 10
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert f"resuming from checkpoint {ckpt} at step {killed_at}/60" in out
    assert f"RESUMED_FROM {killed_at}" in out
    assert (tmp_path / "m.pt").exists() and not ckpt.exists()
    steps = [int(r["step"]) for r in csv.DictReader(open(tmp_path / "m.csv"))]
    assert steps == list(range(1, 61))
