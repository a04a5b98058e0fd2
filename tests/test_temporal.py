"""The temporal term of training (sketchbook.temporal) and training with it."""

import csv

import pytest
import torch

from sketchbook.errors import ConfigError
from sketchbook.settings import TrainSettings
from sketchbook.temporal import PAIR_SHIFT_PX, inside, random_motion, sample_pairs, shift_motion, temporal_loss, warp
from sketchbook.train import CropSampler, train

from test_train import TINY, Interrupt, tiny_lossnet


def shift_flow(n, h, w, dx, dy):
    f = torch.zeros(n, h, w, 2)
    f[..., 0], f[..., 1] = dx, dy
    return f


def test_warp_by_a_whole_pixel_shift():
    img = torch.rand(1, 3, 6, 7)
    out = warp(img, shift_flow(1, 6, 7, 2, -1))  # out(x, y) = img(x + 2, y - 1)
    assert torch.allclose(out[..., 1:, :5], img[..., :-1, 2:], atol=1e-6)
    m = inside(shift_flow(1, 6, 7, 2, -1))[0]
    assert m[1:, :5].all() and not m[0].any() and not m[:, 5:].any()


def test_temporal_loss_zero_when_outputs_agree_after_the_warp():
    torch.manual_seed(0)
    a = torch.rand(2, 3, 16, 16)
    flow = shift_flow(2, 16, 16, 3, 1)
    b = warp(a, flow)
    mask = inside(flow)
    assert float(temporal_loss(a, b, flow, mask)) == pytest.approx(0.0, abs=1e-10)
    # Outside the mask differences do not count ...
    b2 = b.clone()
    b2[..., ~mask[0]] = 0.0
    assert float(temporal_loss(a, b2, flow, mask)) == pytest.approx(0.0, abs=1e-10)
    # ... inside they do: noise of variance s^2 gives about s^2.
    noisy = b + 0.1 * torch.randn_like(b)
    assert float(temporal_loss(a, noisy, flow, mask)) == pytest.approx(0.01, rel=0.15)


def test_temporal_loss_hand_computed_and_its_gradient():
    # No motion, 2x2, one channel: mask keeps 3 pixels; mean of their squared differences.
    a = torch.tensor([[[[0.0, 1.0], [2.0, 3.0]]]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[[[1.0, 1.0], [0.0, 9.0]]]], dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[[True, True], [True, False]]])
    flow = torch.zeros(1, 2, 2, 2, dtype=torch.float64)
    loss = temporal_loss(a, b, flow, mask)
    assert float(loss.detach()) == pytest.approx((1 + 0 + 4) / 3)
    loss.backward()
    assert torch.allclose(a.grad, torch.tensor([[[[-2 / 3, 0.0], [4 / 3, 0.0]]]], dtype=torch.float64))
    assert torch.allclose(b.grad, -a.grad)
    # And through the warp (a fractional motion), checked numerically.
    flow = torch.full((1, 5, 5, 2), 0.3, dtype=torch.float64)
    x = torch.rand(1, 2, 5, 5, dtype=torch.float64, requires_grad=True)
    y = torch.rand(1, 2, 5, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p, q: temporal_loss(p, q, flow, inside(flow)), (x, y))


def test_known_flow_pair_of_a_pure_shift():
    torch.manual_seed(1)
    a = torch.rand(2, 3, 24, 24)
    flow, mask = random_motion(2, 24, torch.Generator().manual_seed(0), max_shift=3.0, max_zoom=0.0,
                               max_rotation_deg=0.0)
    # A pure shift: the same vector everywhere, at most 3 px.
    assert torch.allclose(flow, flow[:, :1, :1, :].expand_as(flow), atol=1e-5)
    assert flow.abs().max() <= 3.0 and flow.abs().max() > 0.5
    b = warp(a, flow)
    # b(x) = a(x + f): warping the first by the flow gives the second inside the mask.
    assert torch.allclose(warp(a, flow)[mask[:, None].expand_as(b)], b[mask[:, None].expand_as(b)])
    # Against a direct roll with an integer shift: the mask leaves out the border brought in.
    a1 = torch.rand(1, 1, 10, 10)
    f = shift_flow(1, 10, 10, 2.0, 0.0)
    m = inside(f)[0]
    b1 = warp(a1, f)
    assert torch.allclose(b1[0, 0][m], a1[0, 0][:, 2:].flatten())
    assert not m[:, 8:].any() and m[:, :8].all()


def test_random_motion_is_small_seeded_and_its_mask_excludes_the_border():
    g = torch.Generator().manual_seed(3)
    flow, mask = random_motion(8, 64, g)
    again, _ = random_motion(8, 64, torch.Generator().manual_seed(3))
    assert torch.equal(flow, again)
    # shift 4 px + zoom 3% + rotation 2 deg about the centre: at most ~4 + 0.03*45 + 0.035*45 px
    assert float(flow.norm(dim=-1).max()) < 4 * 1.5 + 0.065 * 46
    assert mask.float().mean() > 0.75 and not mask.all()
    # The mask is exactly "the source lies inside the crop".
    assert torch.equal(mask, inside(flow))


def test_training_pairs_are_whole_pixel_shifts_moved_exactly():
    flow, mask = shift_motion(64, 20, torch.Generator().manual_seed(5))
    again, _ = shift_motion(64, 20, torch.Generator().manual_seed(5))
    assert torch.equal(flow, again)  # seeded
    # One whole-pixel vector per pair, within the limit, and not all the same.
    assert torch.equal(flow, flow[:, :1, :1, :].expand_as(flow))
    assert torch.equal(flow, flow.round()) and flow.abs().max() == PAIR_SHIFT_PX
    assert len({tuple(v) for v in flow[:, 0, 0].tolist()}) > 20
    assert torch.equal(mask, inside(flow))
    # The moved copy is the crop rolled exactly (no resampling blur), inside the mask.
    a = torch.rand(1, 3, 20, 20)
    f = flow[:1]
    b = warp(a, f)
    dx, dy = int(f[0, 0, 0, 0]), int(f[0, 0, 0, 1])
    rolled = torch.roll(a, shifts=(-dy, -dx), dims=(2, 3))
    m = mask[:1, None].expand_as(b)
    assert torch.allclose(b[m], rolled[m], atol=1e-6)


def test_sample_pairs_puts_the_moved_copies_on_top_of_the_batch():
    ims = [torch.rand(3, 40, 50), torch.rand(3, 64, 32)]
    sampler = CropSampler(ims, 16, seed=1)
    x, k, flow, mask = sample_pairs(sampler.sample, 4, 16, sampler.gen)
    assert x.shape == (6, 3, 16, 16) and k == 2 and flow.shape == (2, 16, 16, 2)
    assert torch.allclose(x[-k:], warp(x[:k], flow))
    # the batch itself is 4 crops as a batch without the term draws them (the same random stream)
    plain = CropSampler(ims, 16, seed=1)
    assert torch.equal(x[:4], plain.sample(4))
    x, k, _, _ = sample_pairs(sampler.sample, 3, 16, sampler.gen)  # odd: one crop without a partner
    assert x.shape[0] == 4 and k == 1
    with pytest.raises(ValueError):
        sample_pairs(sampler.sample, 1, 16, sampler.gen)


def test_temporal_weight_setting():
    assert TrainSettings().temporal_weight == 0.0
    # Off: not in the settings dict, so the params of existing configs (and their models) stay.
    assert "temporal_weight" not in TrainSettings().to_dict()
    assert TrainSettings().to_dict(complete=True)["temporal_weight"] == 0.0
    s = TrainSettings.from_dict({"temporal_weight": 10})
    assert s.to_dict()["temporal_weight"] == 10.0 and TrainSettings.from_dict(s.to_dict()) == s
    with pytest.raises(ConfigError, match="batch_size 2 or more"):
        TrainSettings.from_dict({"temporal_weight": 1.0, "batch_size": 1})
    with pytest.raises(ConfigError, match="0 or more"):
        TrainSettings.from_dict({"temporal_weight": -1.0})


def _train(assets, tmp_path, name, s, **kw):
    content = sorted((assets / "content").iterdir())
    return train(s, assets / "lines.png", content, tiny_lossnet(), tmp_path / f"{name}.pt", tmp_path / f"{name}.csv",
                 torch.device("cpu"), "fp32", progress=kw.pop("progress", lambda m: None), **kw)


def test_temporal_weight_zero_trains_as_before(assets, tmp_path):
    """The settings without the key and with temporal_weight 0 are the same settings: same losses,
    same weights; and those losses are the ones of the loss function without pairs."""
    s = TrainSettings(iterations=3, seed=5, **TINY)
    assert TrainSettings.from_dict({**s.to_dict(), "temporal_weight": 0.0}) == s
    _train(assets, tmp_path, "a", s)
    rows = list(csv.DictReader(open(tmp_path / "a.csv")))
    assert [float(r["temporal"]) for r in rows] == [0.0, 0.0, 0.0]
    # The steps draw the same crops as before the temporal term existed: the first step's
    # losses equal the loss function's on the sampler's first batch with the initial network.
    from sketchbook.images import load_rgb, resize_short_side
    from sketchbook.network import TransformerNet
    from sketchbook.train import StyleLoss

    torch.manual_seed(s.seed)
    style = resize_short_side(load_rgb(assets / "lines.png"), s.style_size)
    sampler = CropSampler([load_rgb(p) for p in sorted((assets / "content").iterdir())], s.image_size, s.seed)
    model = TransformerNet(s.width, s.n_residual).train()
    x = sampler.sample(s.batch_size)
    _, first = StyleLoss(tiny_lossnet(), style, s)(model(x), x, "fp32")
    assert float(rows[0]["total"]) == pytest.approx(first.total, rel=1e-5)
    assert float(rows[0]["style"]) == pytest.approx(first.style, rel=1e-5)


def test_the_moved_copies_are_scored_by_the_temporal_term_only(assets):
    """With pairs, the style, content and other terms see the batch without the copies on top
    (the same figures as the loss without pairs on those crops); the temporal term adds its own."""
    from sketchbook.images import load_rgb, resize_short_side
    from sketchbook.network import TransformerNet
    from sketchbook.train import StyleLoss

    s = TrainSettings(seed=5, temporal_weight=10.0, **{**TINY, "batch_size": 4})
    torch.manual_seed(s.seed)
    loss = StyleLoss(tiny_lossnet(), resize_short_side(load_rgb(assets / "lines.png"), s.style_size), s)
    sampler = CropSampler([load_rgb(p) for p in sorted((assets / "content").iterdir())], s.image_size, s.seed)
    x, k, flow, mask = sample_pairs(sampler.sample, s.batch_size, s.image_size, sampler.gen)
    model = TransformerNet(s.width, s.n_residual).eval()
    with torch.no_grad():
        y = model(x)
        total, with_pairs = loss(y, x, "fp32", (k, flow, mask))
        _, batch_only = loss(y[:-k], x[:-k], "fp32")
        _, everything = loss(y, x, "fp32")
    assert with_pairs.style == pytest.approx(batch_only.style, rel=1e-6)
    assert with_pairs.content == pytest.approx(batch_only.content, rel=1e-6)
    assert with_pairs.style != pytest.approx(everything.style, rel=1e-3)  # the copies would count
    assert with_pairs.temporal > 0
    assert float(total) == pytest.approx(batch_only.total + 10.0 * with_pairs.temporal, rel=1e-5)


def test_training_with_the_temporal_term_resumes(assets, tmp_path):
    s = TrainSettings(iterations=6, temporal_weight=10.0, **TINY)
    ref = _train(assets, tmp_path, "ref", s)
    rows = list(csv.DictReader(open(tmp_path / "ref.csv")))
    assert all(float(r["temporal"]) > 0 for r in rows)
    assert ref.final.temporal == pytest.approx(float(rows[-1]["temporal"]), rel=1e-4)
    blob = torch.load(tmp_path / "ref.pt", weights_only=True)
    assert blob["settings"]["temporal_weight"] == 10.0

    def stop_at_4(msg):
        if msg.startswith("step 4/"):
            raise Interrupt
    ckpt = tmp_path / "m.ckpt"
    with pytest.raises(Interrupt):
        _train(assets, tmp_path, "m", s, progress=stop_at_4, log_every=1, checkpoint=ckpt, checkpoint_every=2)
    said = []
    res = _train(assets, tmp_path, "m", s, progress=said.append, log_every=1, checkpoint=ckpt, checkpoint_every=2)
    assert res.resumed_from == 2 and any("temporal" in m for m in said)
    w_ref = torch.load(tmp_path / "ref.pt", weights_only=True)["state_dict"]
    w = torch.load(tmp_path / "m.pt", weights_only=True)["state_dict"]
    assert all(torch.allclose(w_ref[k], w[k], atol=1e-6) for k in w_ref)
    assert [r["temporal"] for r in csv.DictReader(open(tmp_path / "m.csv"))] == [r["temporal"] for r in rows]


def test_the_temporal_term_reaches_the_network(assets, tmp_path):
    """With only the temporal term, training lowers it (the gradient flows to the network)."""
    s = TrainSettings(iterations=30, content_weight=0.0, style_weight=0.0, temporal_weight=1.0,
                      learning_rate=3e-3, **{**TINY, "batch_size": 4})
    _train(assets, tmp_path, "t", s)
    t = [float(r["temporal"]) for r in csv.DictReader(open(tmp_path / "t.csv"))]
    assert sum(t[-5:]) / 5 < 0.5 * sum(t[:5]) / 5


def test_a_checkpoint_from_before_the_temporal_column_resumes(assets, tmp_path):
    """Checkpoints written before the temporal column (7 values a row) resume, the column 0 there."""
    s = TrainSettings(iterations=4, **TINY)
    ckpt = tmp_path / "m.ckpt"

    def stop_at_3(msg):
        if msg.startswith("step 3/"):
            raise Interrupt
    with pytest.raises(Interrupt):
        _train(assets, tmp_path, "m", s, progress=stop_at_3, log_every=1, checkpoint=ckpt, checkpoint_every=2)
    blob = torch.load(ckpt, weights_only=True)
    blob["rows"] = [r[:5] + r[6:] for r in blob["rows"]]  # as the code before wrote them
    torch.save(blob, ckpt)
    res = _train(assets, tmp_path, "m", s, checkpoint=ckpt, checkpoint_every=2)
    assert res.resumed_from == 2
    rows = list(csv.DictReader(open(tmp_path / "m.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4] and all(float(r["temporal"]) == 0 for r in rows)
    assert all(float(r["total"]) > 0 for r in rows)


def test_known_motion_error_tells_a_steady_render_from_a_boiling_one():
    from sketchbook.temporal import known_motion_error

    g = torch.Generator().manual_seed(5)
    img = torch.nn.functional.interpolate(torch.rand(1, 3, 12, 16, generator=g), size=(48, 64), mode="bilinear",
                                          align_corners=False)[0]
    steady = known_motion_error(lambda x: x.clamp(0, 1), [img])  # a render that moves with the picture
    noise = torch.Generator().manual_seed(6)
    boiling = known_motion_error(lambda x: (x + 0.2 * torch.randn(x.shape, generator=noise)).clamp(0, 1), [img])
    assert steady < 2e-3          # only the double bilinear resampling
    assert boiling > 10 * steady and boiling > 0.01
    # the same seeded motions for every model: the same number twice
    assert known_motion_error(lambda x: x.clamp(0, 1), [img]) == steady
