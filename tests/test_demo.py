"""Fast checks of the demo-asset generators in tools/demo_assets.py (sketches, content photos, clips)."""

from __future__ import annotations

import shutil
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import demo_assets as demo  # tools/demo_assets.py (pyproject.toml: pytest pythonpath)

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="ffmpeg/ffprobe not on PATH"
)


@pytest.fixture(scope="module")
def sketches() -> dict[str, np.ndarray]:
    out = {}
    for style in demo.SKETCH_STYLES:
        im = demo.draw_sketch(style, size=128, seed=3)
        assert im.mode == "L" and im.size == (128, 128)
        out[style] = np.asarray(im)
    return out


@pytest.mark.parametrize("style", demo.SKETCH_STYLES)
def test_sketch_is_dark_ink_on_white_paper(sketches: dict[str, np.ndarray], style: str) -> None:
    a = sketches[style]
    assert np.median(a) >= 235  # mostly paper
    assert (a >= 240).mean() > 0.4
    assert a.min() <= 40  # real ink, not grey
    assert 0.02 < (a < 100).mean() < 0.45  # strokes, but not a black page


@pytest.mark.parametrize("style", demo.SKETCH_STYLES)
def test_sketch_is_deterministic_per_seed(sketches: dict[str, np.ndarray], style: str) -> None:
    again = np.asarray(demo.draw_sketch(style, size=128, seed=3))
    other = np.asarray(demo.draw_sketch(style, size=128, seed=4))
    assert np.array_equal(again, sketches[style])
    assert not np.array_equal(other, sketches[style])


def test_sketch_styles_differ(sketches: dict[str, np.ndarray]) -> None:
    a, b = (sketches[s].astype(np.float64) for s in demo.SKETCH_STYLES[:2])
    assert np.abs(a - b).mean() > 20


def test_watercolor_is_a_colour_sketch_with_ink_lines() -> None:
    """Washes in several colours on white paper, dark outlines; the committed file is this drawing."""
    im = demo.draw_watercolor(384, seed=0)
    a = np.asarray(im).astype(np.float64)
    assert im.mode == "RGB" and a.shape == (384, 384, 3)
    chroma = a.max(axis=2) - a.min(axis=2)
    assert (chroma > 60).mean() > 0.2  # coloured washes
    assert (a.min(axis=2) > 235).mean() > 0.05  # bare paper
    assert (a.max(axis=2) < 60).mean() > 0.005  # the pen's outlines
    repo = Path(__file__).resolve().parent.parent
    with Image.open(repo / "demo/sketches/watercolor.png") as committed:
        assert np.array_equal(np.asarray(committed), np.asarray(im))


def test_sketch_rejects_unknown_style() -> None:
    with pytest.raises(ValueError, match="unknown sketch style"):
        demo.draw_sketch("watercolour")


def test_content_images(tmp_path: Path) -> None:
    paths = demo.make_content_images(tmp_path, size=32)
    assert len(paths) == len(demo.CONTENT_PHOTOS) >= 5
    for p in paths:
        with Image.open(p) as im:
            assert (im.format, im.mode, im.size) == ("JPEG", "RGB", (32, 32))


def test_missing_scikit_image_says_how_to_install(monkeypatch, tmp_path: Path) -> None:
    """scikit-image is a developer-only dependency (tools/setup.sh), not in requirements.txt."""
    monkeypatch.setitem(sys.modules, "skimage", None)  # `import skimage...` now fails
    monkeypatch.delitem(sys.modules, "skimage.data", raising=False)
    with pytest.raises(ModuleNotFoundError, match="scikit-image.*tools/setup.sh"):
        demo.load_photo("camera")
    with pytest.raises(ModuleNotFoundError, match="tools/setup.sh"):
        demo.make_demo(tmp_path / "demo")
    assert not (tmp_path / "demo").exists()  # it stops before drawing anything


def _probe(path: Path) -> dict[str, dict]:
    import ffmpeg

    info = ffmpeg.probe(str(path), count_frames=None)
    return {s["codec_type"]: s for s in info["streams"]}


def _photo() -> np.ndarray:
    y, x = np.mgrid[0:60, 0:90]
    return np.stack([x * 2, y * 4, (x + y) % 256], axis=2).astype(np.uint8)


@needs_ffmpeg
def test_clip_with_sound_has_exact_frames_and_rate(tmp_path: Path) -> None:
    out = demo.make_clip(tmp_path / "a.mp4", _photo(), 0.5, "30000/1001", (64, 48), "chime")
    streams = _probe(out)
    v = streams["video"]
    assert int(v["nb_read_frames"]) == round(0.5 * Fraction(30000, 1001)) == 15
    assert v["r_frame_rate"] == "30000/1001"
    assert (v["codec_name"], v["pix_fmt"], v["width"], v["height"]) == ("h264", "yuv420p", 64, 48)
    assert streams["audio"]["codec_name"] == "aac"


@needs_ffmpeg
def test_silent_clip_has_no_audio_stream(tmp_path: Path) -> None:
    out = demo.make_clip(tmp_path / "b.mp4", _photo()[:, :, 0], 0.4, "24", (48, 32), None)
    streams = _probe(out)
    assert set(streams) == {"video"}
    assert int(streams["video"]["nb_read_frames"]) == 10  # round(0.4 * 24)
    assert streams["video"]["r_frame_rate"] == "24/1"


@pytest.mark.parametrize(
    "kwargs",
    [dict(fps="0"), dict(fps="fast"), dict(size=(63, 48)), dict(seconds=0.0), dict(audio="kazoo")],
)
def test_clip_rejects_bad_arguments(tmp_path: Path, kwargs: dict) -> None:
    args = dict(seconds=0.5, fps="24", size=(64, 48), audio=None) | kwargs
    with pytest.raises(ValueError):
        demo.make_clip(tmp_path / "c.mp4", _photo(), **args)  # type: ignore[arg-type]
    assert not (tmp_path / "c.mp4").exists()


def test_candidate_sketches_are_deterministic_and_differ() -> None:
    """The audition's candidates (demo/candidates/): ink on paper, each its own hand."""
    ims = {s: np.asarray(demo.draw_candidate(s, size=128, seed=0)).astype(np.float64) for s in demo.CANDIDATE_STYLES}
    assert set(ims) == {"stipple", "charcoal", "brush", "contour"}
    assert np.array_equal(np.asarray(demo.draw_candidate("brush", size=128, seed=0)), ims["brush"])
    for s, a in ims.items():
        assert a.shape == (128, 128) and a.min() <= 60 and np.median(a) >= 120, s  # ink, and paper showing
    ink = {s: (a < 128).mean() for s, a in ims.items()}
    assert ink["contour"] < 0.1 < ink["brush"]  # thin lines against broad strokes
    names = list(ims)
    for i, s in enumerate(names):
        for t in names[i + 1:]:
            assert np.abs(ims[s] - ims[t]).mean() > 10, (s, t)
    with pytest.raises(ValueError, match="unknown candidate style"):
        demo.draw_candidate("watercolour")
