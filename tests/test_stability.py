"""sketchbook.stability: warping error and flicker ratio on motion whose answer is known."""

import json

import numpy as np
import pytest
from PIL import Image

from sketchbook import stability
from sketchbook.errors import InputFileError
from sketchbook.video import FRAME_PATTERN


def _smooth(h, w, seed):
    import cv2

    r = np.random.default_rng(seed).random((h, w)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(r, (0, 0), 2) * 3 - 1, 0, 1)


def _draw(img):
    """A stand-in 'stylization' that moves with the picture: a pointwise, smooth tone curve.

    (A hard threshold, ink where img < 0.35, turns DIS's sub-pixel flow error at the square's
    edges into whole flips: 0.007 on the moving square, not 0.0003. Real strokes do that too.)"""
    return np.clip(1.1 - img, 0, 1).astype(np.float32)


def _pan(n=5, step=3, h=72, w=96):
    """Frames of a camera panning over a textured picture, ``step`` px per frame (no wrap-around)."""
    canvas = _smooth(h, w + n * step, 0)
    return [canvas[:, t * step:t * step + w] for t in range(n)]


def _moving_object(n=5, step=5):
    """A textured square moving right over a still textured background."""
    bg, obj = _smooth(72, 96, 1), _smooth(28, 28, 3)
    frames = []
    for t in range(n):
        f = bg.copy()
        f[20:48, 10 + t * step:38 + t * step] = obj
        frames.append(f)
    return frames


def _noisy(frames, sigma=0.05, seed=7):
    rng = np.random.default_rng(seed)
    return [np.clip(f + rng.normal(0, sigma, f.shape).astype(np.float32), 0, 1) for f in frames]


@pytest.mark.parametrize("scene", [_pan, _moving_object])
def test_output_that_moves_with_the_footage_is_stable_and_noise_is_not(scene):
    src = scene()
    out = [_draw(f) for f in src]
    steady = stability.measure_frames(zip(src, out))
    assert steady["frames"] == 5 and steady["pairs"] == 4 and len(steady["pair_warping_errors"]) == 4
    assert steady["warping_error"] < 1e-3
    noisy = stability.measure_frames(zip(src, _noisy(out)))
    # Independent noise of sigma 0.05 in both frames: about 2 * 0.05^2 = 0.005 where nothing moves.
    assert noisy["warping_error"] > 0.003
    assert noisy["warping_error"] > 10 * steady["warping_error"]
    assert noisy["flicker_ratio"] > steady["flicker_ratio"]


def test_occlusion_is_masked_where_an_object_moves():
    src = _moving_object()
    r = stability.measure_frames(zip(src, src))
    assert 0.005 < r["masked_fraction"] < 0.2  # the strip the square uncovers, each frame
    assert stability.measure_frames(zip(_pan(), _pan()))["masked_fraction"] < 0.1


def test_flow_comes_from_the_source_frames():
    """An output that holds still while the footage moves swims against it: not stable."""
    src = _pan(step=4)
    still = [_draw(src[0])] * len(src)
    r = stability.measure_frames(zip(src, still))
    assert r["warping_error"] > 0.01
    assert r["flicker_ratio"] == 0


def test_flicker_ratio():
    src = _moving_object()
    assert stability.measure_frames(zip(src, src))["flicker_ratio"] == pytest.approx(1.0, abs=1e-5)
    const = [np.full_like(f, 0.8) for f in src]
    r = stability.measure_frames(zip(src, const))
    assert r["flicker_ratio"] == 0 and r["output_change"] == 0
    assert stability.measure_frames(zip(src, _noisy(src)))["flicker_ratio"] > 1.5
    # A still clip has nothing to compare with: no ratio; the output's own change is still there.
    still = [src[0]] * 4
    r = stability.measure_frames(zip(still, _noisy(still)))
    assert r["flicker_ratio"] is None and r["output_change"] > 0.03
    assert stability.flicker_ratio(0.0, 0.0) is None
    assert stability.flicker_ratio(0.1, 0.05) == pytest.approx(0.5)


def test_pair_function_takes_any_channels():
    src = _moving_object(n=2)
    rgb = [np.repeat(f[..., None], 3, axis=2) for f in src]
    a = stability.pair_stats(src[0], src[1], src[0], src[1])
    b = stability.pair_stats(rgb[0], rgb[1], src[0][..., None], src[1][..., None])
    assert a.warping_error == pytest.approx(b.warping_error, abs=1e-6) and a.warping_error < 1e-3
    assert stability.warping_error(*src, *src) == a.warping_error
    with pytest.raises(ValueError, match="differ in size"):
        stability.pair_stats(src[0], src[1], src[0][:-2], src[1][:-2])
    tiny = [f[20:30, 12:22] for f in src]  # too small for DIS: no warping error, still a ratio
    r = stability.measure_frames(zip(tiny, tiny))
    assert r["warping_error"] is None and r["masked_fraction"] == 1 and r["flicker_ratio"] == 1
    one = stability.measure_frames(zip(src[:1], src[:1]))
    assert (one["frames"], one["pairs"], one["warping_error"], one["flicker_ratio"]) == (1, 0, None, None)


def _write(folder, frames, mode):
    folder.mkdir(parents=True)
    for i, f in enumerate(frames, 1):
        a = np.clip(f * 255 + 0.5, 0, 255).astype(np.uint8)
        im = Image.fromarray(np.repeat(a[..., None], 3, axis=2) if mode == "RGB" else a, mode)
        im.save(folder / (FRAME_PATTERN % i))


def test_measure_clip_from_folders(tmp_path):
    src = _moving_object()
    out = _noisy([_draw(f) for f in src])
    _write(tmp_path / "frames", src, "RGB")
    _write(tmp_path / "stylized", out, "L")  # the stylized are 1-channel, the sources RGB
    r = stability.measure_clip(tmp_path / "frames", tmp_path / "stylized")
    direct = stability.measure_frames(zip(src, out))
    assert r["frames"] == 5 and r["pairs"] == 4
    assert r["warping_error"] == pytest.approx(direct["warping_error"], rel=0.05)  # 8-bit rounding
    assert r["flicker_ratio"] == pytest.approx(direct["flicker_ratio"], rel=0.05)
    assert json.loads(stability.to_json(r)) == r  # plain JSON: no NaN
    t = stability.table({"b": r, "a": {**r, "flicker_ratio": None}},
                        {"b": {"sketch": "hatch", "variants": ["good", "weird"]},
                         "a": {"sketch": "scribble", "variants": ["good"]}})
    assert list(t["clip"]) == ["b", "a"] and list(t["variants"]) == ["good+weird", "good"]
    assert list(t.columns[:4]) == ["clip", "sketch", "variants", "frames"]
    assert t["flicker_ratio"].isna().tolist() == [False, True]


def test_measure_clip_errors_name_the_folder(tmp_path):
    src = _moving_object(n=3)
    _write(tmp_path / "frames", src, "RGB")
    _write(tmp_path / "short", src[:2], "L")
    _write(tmp_path / "small", [f[:-4] for f in src], "L")
    with pytest.raises(InputFileError, match=r"short: 2 frames where the source .*frames has 3"):
        stability.measure_clip(tmp_path / "frames", tmp_path / "short")
    with pytest.raises(InputFileError, match=r"small: 000001.png is 96x68, its source .* 96x72"):
        stability.measure_clip(tmp_path / "frames", tmp_path / "small")
    with pytest.raises(InputFileError, match="missing: no such folder"):
        stability.measure_clip(tmp_path / "frames", tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match="empty: no PNG frames"):
        stability.measure_clip(tmp_path / "empty", tmp_path / "frames")
    (tmp_path / "bad").mkdir()
    for i in range(1, 4):
        (tmp_path / "bad" / (FRAME_PATTERN % i)).write_bytes(b"not a png")
    with pytest.raises(InputFileError, match="000001.png: not a readable image"):
        stability.measure_clip(tmp_path / "frames", tmp_path / "bad")
