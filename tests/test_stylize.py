import pytest
import torch

from sketchbook.images import read_frame, write_frame
from sketchbook.modelfile import save_model
from sketchbook.network import TransformerNet
from sketchbook.plan import make_plan
from sketchbook.stylize import stylize_frames


def test_stylize_follows_the_plan(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(1, 8):
        write_frame(torch.randint(0, 255, (3, 20, 30), dtype=torch.uint8), frames / f"{i:06d}.png")
    torch.manual_seed(0)
    save_model(TransformerNet(8, 1), tmp_path / "a.pt")
    torch.manual_seed(1)
    save_model(TransformerNet(8, 1), tmp_path / "b.pt")
    plan = make_plan("c", 7, "s", ["a", "b"], seed=0)
    n = stylize_frames(plan, frames, tmp_path / "out", {"a": tmp_path / "a.pt", "b": tmp_path / "b.pt"},
                       torch.device("cpu"), "fp32", color="gray", batch_size=3)
    assert n == 7
    outs = sorted((tmp_path / "out").glob("*.png"))
    assert [p.name for p in outs] == [f"{i:06d}.png" for i in range(1, 8)]
    assert not (tmp_path / "out.tmp").exists()
    img = read_frame(outs[0])
    assert img.shape == (3, 20, 30)
    assert torch.equal(img[0], img[1]) and torch.equal(img[1], img[2])  # grayscale
    # Same plan, fp32: the output is reproducible byte for byte.
    stylize_frames(plan, frames, tmp_path / "out2", {"a": tmp_path / "a.pt", "b": tmp_path / "b.pt"},
                   torch.device("cpu"), "fp32", color="gray", batch_size=2)
    assert all(torch.equal(read_frame(p), read_frame(tmp_path / "out2" / p.name)) for p in outs)


def test_levels_stretch_ink_and_paper_in_grayscale():
    from sketchbook.modelfile import StyleModel
    from sketchbook.stylize import stylize_batch

    class Flat(torch.nn.Module):
        def forward(self, x):
            return x * 0.6 + 0.2  # ink at 0.2, paper at 0.8

    frames = torch.tensor([0, 255], dtype=torch.uint8).view(1, 1, 1, 2).expand(1, 3, 1, 2).contiguous()
    model = StyleModel(Flat(), ink_paper=(0.2, 0.8))
    plain = stylize_batch(model, frames, torch.device("cpu"), "fp32", color="gray")
    stretched = stylize_batch(model, frames, torch.device("cpu"), "fp32", color="gray", levels=True)
    assert plain[0, 0, 0].tolist() == [51, 204]
    assert stretched[0, 0, 0].tolist() == [0, 255]
    colour = stylize_batch(model, frames, torch.device("cpu"), "fp32", color="sketch", levels=True)
    assert colour[0, 0, 0].tolist() == [51, 204]  # levels apply to grayscale only


# Flow stabilization (stylize.stabilize_frame, stylize_frames(stabilize=...)).

def _texture(h, w, seed=0):
    """A smooth random texture, float [0, 1] (H, W): something optical flow can follow."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    t = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 2.0)
    return (t - t.min()) / (t.max() - t.min())


def _moving_sources(n=12, h=72, w=96, step=2):
    """n frames of a texture panning ``step`` px right per frame (uint8-valued floats, 0-255)."""
    big = _texture(h, w + n * step)
    return [(big[:, (n - t) * step:(n - t) * step + w] * 255).round() for t in range(n)]


def test_stabilize_lowers_the_flicker_of_independent_noise_along_the_flow():
    import numpy as np

    from sketchbook.flow import flow_and_mask, warp
    from sketchbook.stylize import stabilize_frame

    src = _moving_sources()
    rng = np.random.default_rng(1)
    # The "model": the source plus noise drawn anew every frame (what makes a render flicker).
    styl = [np.clip(s + rng.normal(0, 25, s.shape), 0, 255).round().astype(np.uint8) for s in src]
    flows = [None] + [flow_and_mask(src[t] / 255, src[t - 1] / 255) for t in range(1, len(src))]

    def run(strength):
        out, prev = [], None
        for t, cur in enumerate(styl):
            f, m = flows[t] if flows[t] else (None, None)
            prev = stabilize_frame(cur, prev, f, m, strength)
            out.append(np.rint(prev))
        return out

    def change_along_flow(frames):
        diffs = []
        for t in range(1, len(frames)):
            f, m = flows[t]
            inner = m.copy()
            inner[:, :8] = inner[:, -8:] = False  # away from the edges
            diffs.append(np.abs(frames[t] - warp(frames[t - 1], f))[inner].mean())
        return float(np.mean(diffs[3:]))  # after the recursion has settled

    plain, steady = change_along_flow(run(0.0)), change_along_flow(run(0.7))
    assert plain > 20  # the noise itself
    assert steady < 0.6 * plain
    assert run(0.0)[5].tolist() == styl[5].astype(np.float64).tolist()  # strength 0: the frame itself


def test_stabilize_takes_the_current_frame_unchanged_where_occluded():
    import numpy as np

    from sketchbook.stylize import stabilize_frame

    rng = np.random.default_rng(0)
    cur = rng.integers(0, 256, (20, 30, 3)).astype(np.uint8)
    prev = rng.random((20, 30, 3)).astype(np.float32) * 255
    valid = np.ones((20, 30), bool)
    valid[5:12, 10:20] = False
    out = stabilize_frame(cur, prev, np.zeros((20, 30, 2), np.float32), valid, 0.9)
    assert np.array_equal(out[~valid], cur[~valid].astype(np.float32))
    assert not np.allclose(out[valid], cur[valid])
    # Zero flow: the blend (1 - s) * current + s * previous, with the current frame's tones: inside
    # the mask exactly the model's values (its ink, greys and paper), in the blend's order.
    g = stabilize_frame(cur[..., 0], prev[..., 0], np.zeros((20, 30, 2), np.float32), valid, 0.5)
    blend = 0.5 * cur[..., 0].astype(np.float32) + 0.5 * prev[..., 0]
    assert sorted(g[valid].tolist()) == sorted(cur[..., 0][valid].astype(np.float32).tolist())
    order = np.argsort(blend[valid], kind="stable")
    assert np.all(np.diff(g[valid][order]) >= 0)  # ranked as the blend ranks them
    assert np.corrcoef(g[valid], blend[valid])[0, 1] > 0.95
    assert stabilize_frame(cur, None, None, None, 0.9).tolist() == cur.astype(np.float32).tolist()


def test_stabilize_keeps_the_ink_of_strokes_that_boil():
    import numpy as np

    from sketchbook.stylize import stabilize_frame

    # Hatching that boils: the same strokes, redrawn a pixel or two off every frame, over a still shot.
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:48, 0:64]
    zero, valid = np.zeros((48, 64, 2), np.float32), np.ones((48, 64), bool)
    prev = ema = None
    for _ in range(12):
        cur = np.where((xx + yy + rng.integers(0, 6)) % 6 < 2, 0.0, 255.0)  # 1/3 ink
        prev = stabilize_frame(cur, prev, zero, valid, 0.7)
        ema = cur if ema is None else 0.3 * cur + 0.7 * ema  # the blend alone
    assert (prev < 128).mean() == (cur < 128).mean()  # the model's share of ink, not grey
    assert set(np.unique(prev)) <= {0.0, 255.0}
    assert ((ema > 40) & (ema < 215)).mean() > 0.3  # the blend alone: greys where strokes moved


def test_stabilize_converges_on_a_still_sequence():
    import numpy as np

    from sketchbook.stylize import stabilize_frame

    rng = np.random.default_rng(2)
    base = _texture(40, 50) * 255
    zero, valid = np.zeros((40, 50, 2), np.float32), np.ones((40, 50), bool)
    prev, errors = None, []
    for _ in range(60):
        cur = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).round()
        prev = stabilize_frame(cur, prev, zero, valid, 0.8)
        errors.append(np.abs(np.rint(prev) - base).mean())
    assert errors[0] > 12  # the first frame: the noise
    assert max(errors[-10:]) < 0.45 * errors[0]  # settles close to the still picture
    # A still, noiseless picture after a different start: the output reaches it.
    prev = np.zeros_like(base)
    for _ in range(60):
        prev = stabilize_frame(base.round(), prev, zero, valid, 0.8)
    assert np.abs(prev - base.round()).max() < 0.5


def _moving_clip(tmp_path, n=6):
    frames = tmp_path / "frames"
    frames.mkdir()
    for i, s in enumerate(_moving_sources(n=n, h=40, w=56), start=1):
        img = torch.from_numpy(s.astype("uint8")).expand(3, -1, -1).contiguous()
        write_frame(img, frames / f"{i:06d}.png")
    torch.manual_seed(0)
    save_model(TransformerNet(8, 1), tmp_path / "a.pt")
    torch.manual_seed(1)
    save_model(TransformerNet(8, 1), tmp_path / "b.pt")
    return frames, {"a": tmp_path / "a.pt", "b": tmp_path / "b.pt"}


def test_stabilize_0_writes_the_frames_of_before_and_in_order_runs_frame_by_frame(tmp_path):
    frames, models = _moving_clip(tmp_path)
    plan = make_plan("c", 6, "s", ["a", "b"], seed=0)
    cpu = torch.device("cpu")
    stylize_frames(plan, frames, tmp_path / "before", models, cpu, "fp32", color="gray", batch_size=4)
    stylize_frames(plan, frames, tmp_path / "off", models, cpu, "fp32", color="gray", batch_size=4,
                   stabilize=0.0)
    stylize_frames(plan, frames, tmp_path / "on", models, cpu, "fp32", color="gray", batch_size=4,
                   stabilize=0.5)
    names = [f"{i:06d}.png" for i in range(1, 7)]
    for d in ("off", "on"):
        assert sorted(p.name for p in (tmp_path / d).iterdir()) == names
    for name in names:  # stabilize 0: the same bytes as before
        assert (tmp_path / "off" / name).read_bytes() == (tmp_path / "before" / name).read_bytes()
    # Stabilized: the first frame has no past (the plain frame), later ones blend in the past.
    first = read_frame(tmp_path / "on" / names[0])
    assert torch.equal(first, read_frame(tmp_path / "before" / names[0]))
    assert first.shape == (3, 40, 56) and torch.equal(first[0], first[2])
    assert any(not torch.equal(read_frame(tmp_path / "on" / n), read_frame(tmp_path / "before" / n))
               for n in names[1:])
    with pytest.raises(ValueError, match="stabilize"):
        stylize_frames(plan, frames, tmp_path / "bad", models, cpu, "fp32", color="gray", stabilize=1.0)


# Colour (color: gray | sketch | footage) and strength (stylize_frames(color=..., strength=...)).

def _colour_clip(tmp_path, n=3, h=40, w=56):
    """A moving clip in colour (each channel a different texture panning together) and two models."""
    import numpy as np

    frames = tmp_path / "frames"
    frames.mkdir()
    step = 2
    big = [_texture(h, w + n * step, seed=c) for c in range(3)]
    for t in range(n):
        x = (n - t) * step
        rgb = np.stack([b[:, x:x + w] for b in big]) * np.array([230, 200, 160]).reshape(3, 1, 1) + 10
        write_frame(torch.from_numpy(rgb.round().astype("uint8")), frames / f"{t + 1:06d}.png")
    torch.manual_seed(0)
    save_model(TransformerNet(8, 1), tmp_path / "a.pt")
    torch.manual_seed(1)
    save_model(TransformerNet(8, 1), tmp_path / "b.pt")
    return frames, {"a": tmp_path / "a.pt", "b": tmp_path / "b.pt"}


def _run(tmp_path, frames, models, name, **kw):
    """stylize_frames on the clip's frames (two variants), the output frames as read back."""
    plan = make_plan("c", len(list(frames.glob("*.png"))), "s", ["a", "b"], seed=0)
    out = tmp_path / name
    stylize_frames(plan, frames, out, models, torch.device("cpu"), "fp32", levels=True, batch_size=2, **kw)
    return [read_frame(p) for p in sorted(out.glob("*.png"))]


def _ycbcr(x):
    """uint8 RGB (3, H, W) -> float Y, Cb, Cr (Rec. 601, full range)."""
    r, g, b = x.float()
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return y, 0.564 * (b - y), 0.713 * (r - y)


@pytest.mark.parametrize("stabilize", [0.0, 0.5])
def test_color_footage_keeps_the_sources_chroma_and_the_drawings_luminance(tmp_path, stabilize):
    frames, models = _colour_clip(tmp_path)
    sources = [read_frame(p) for p in sorted(frames.glob("*.png"))]
    footage = _run(tmp_path, frames, models, "footage", color="footage", stabilize=stabilize)
    gray = _run(tmp_path, frames, models, "gray", color="gray", stabilize=stabilize)
    for src, out, g in zip(sources, footage, gray):
        y, cb, cr = _ycbcr(out)
        _, cb_src, cr_src = _ycbcr(src)
        inside = ((out > 0) & (out < 255)).all(dim=0)  # no channel clipped
        assert inside.float().mean() > 0.5
        assert (cb - cb_src)[inside].abs().max() < 1.5 and (cr - cr_src)[inside].abs().max() < 1.5
        assert (y - g[0].float())[inside].abs().max() < 1.5  # the drawing's luminance
        assert not torch.equal(out[0], out[1])  # in colour


def test_color_gray_has_equal_channels_and_sketch_is_the_networks_own_colours(tmp_path):
    from sketchbook.images import to_uint8
    from sketchbook.stylize import load_model, stylize_batch

    frames, models = _colour_clip(tmp_path)
    for out in _run(tmp_path, frames, models, "gray", color="gray", strength=0.5):
        assert torch.equal(out[0], out[1]) and torch.equal(out[1], out[2])
    # sketch: the output as the network gives it (what grayscale: false rendered), levels or not.
    src = read_frame(sorted(frames.glob("*.png"))[0])[None]
    model = load_model(models["a"])
    with torch.inference_mode():
        own = to_uint8(model.net(src.float() / 255))
    cpu = torch.device("cpu")
    # (the module itself: the fused CPU path differs from it by float rounding)
    assert torch.equal(stylize_batch(model, src, cpu, "fp32", "sketch", True, fast=False), own)
    assert torch.equal(stylize_batch(model, src, cpu, "fp32", False, True, fast=False), own)  # the old flag
    assert not torch.equal(own[0, 0], own[0, 1])
    with pytest.raises(ValueError, match="color"):
        stylize_batch(model, src, cpu, "fp32", "sepia")


@pytest.mark.parametrize("color, stabilize", [("gray", 0.0), ("sketch", 0.0), ("footage", 0.0),
                                              ("gray", 0.5), ("footage", 0.5)])
def test_strength_goes_from_the_footage_to_the_drawing(tmp_path, stabilize, color):
    from sketchbook.images import luminance, to_uint8

    frames, models = _colour_clip(tmp_path)
    sources = [read_frame(p) for p in sorted(frames.glob("*.png"))]
    drawn = _run(tmp_path, frames, models, "default", color=color, stabilize=stabilize)
    strengths = [0.0, 0.25, 0.5, 0.75, 1.0]
    runs = [_run(tmp_path, frames, models, f"s{s}", color=color, stabilize=stabilize, strength=s)
            for s in strengths]
    # 1: the drawing, byte for byte; 0: the footage (gray: its luminance, rounded once).
    assert all(torch.equal(a, b) for a, b in zip(runs[-1], drawn))
    for src, out in zip(sources, runs[0]):
        want = to_uint8(luminance(src.float() / 255)).expand(3, -1, -1) if color == "gray" else src
        assert torch.equal(out, want)
    # In between: every pixel at each step no further from the drawing (rounding aside), and the
    # frames as a whole nearer to it at 0.5 than at 0 (the strokes in) and at 1 than at 0.5.
    for k in range(len(strengths) - 1):
        for a, b, d in zip(runs[k], runs[k + 1], drawn):
            gap_a, gap_b = (a.int() - d.int()).abs(), (b.int() - d.int()).abs()
            assert (gap_b <= gap_a + 1).all(), strengths[k]

    def dist(a, b):
        return sum(float((x.float() - y.float()).abs().mean()) for x, y in zip(a, b)) / len(a)

    to_drawing = [dist(r, drawn) for r in runs]
    assert to_drawing[0] > to_drawing[2] > to_drawing[4] == 0, to_drawing


def test_soften_keeps_the_strokes_and_never_lightens_the_footage_up_to_half():
    from sketchbook.stylize import soften

    g = torch.Generator().manual_seed(0)
    drawn = torch.randint(0, 256, (2, 1, 16, 16), generator=g, dtype=torch.uint8)
    footage = torch.randint(0, 256, (2, 1, 16, 16), generator=g, dtype=torch.uint8)
    assert soften(drawn, footage, 1.0) is drawn
    assert torch.equal(soften(drawn, footage, 0.0), footage)
    for s in (0.1, 0.3, 0.5):  # the strokes darken on the footage, which stays whole
        out = soften(drawn, footage, s)
        assert (out <= footage).all()
        assert torch.equal(out[drawn == 255], footage[drawn == 255])  # paper leaves the footage be
    half = soften(drawn, footage, 0.5)  # at 0.5: ink fully in, over the footage
    assert torch.equal(half, torch.minimum(drawn, footage))
    # above 0.5 the footage fades to white paper: white drawing pixels brighten toward 255
    paper = drawn == 255
    assert (soften(drawn, footage, 0.75)[paper] >= footage[paper]).all()


def test_strength_out_of_range_is_refused(tmp_path):
    frames, models = _colour_clip(tmp_path)
    with pytest.raises(ValueError, match="strength"):
        _run(tmp_path, frames, models, "bad", color="gray", strength=1.5)
