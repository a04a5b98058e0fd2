"""Helpers the tests share: making tiny inputs, the tiny config, running Snakemake, local object
storage. Fixtures built on them are in conftest.py.

`python tests/helpers.py DIR` draws the tiny assets into DIR (see tests/configs/tiny.yaml)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, Optional

import ffmpeg as ffmpeg_python
import numpy as np
import yaml
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
TINY_CONFIG = REPO / "tests" / "configs" / "tiny.yaml"
BUCKET = "sketchbook-test"
# The rules that declare `gpu=1` (test_profiles checks this against rules/): every profile gives them a GPU.
GPU_RULES = {"train_model", "stylize_frames", "score_models", "preview_variants"}


@contextlib.contextmanager
def benchmark_module(script: str, name: str) -> Iterator:
    """``benchmarks/{script}`` imported as module ``name`` (registered in sys.modules while in use,
    where its dataclasses look up their annotations), for a test fixture to yield."""
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)


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


def make_assets(root: Path) -> Path:
    """A folder with sketches, content photos and clips (with/without audio, odd size, 29.97 fps):
    the files tests/configs/tiny.yaml names under assets/."""
    root = Path(root)
    (root / "content").mkdir(parents=True)
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


#: Today's layer name prefixes -> the first model format's (indexed nn.Sequential blocks).
_INDEXED_NAMES = {"conv1.conv.": "down.0.1.", "in1.": "down.1.", "conv2.conv.": "down.3.1.", "in2.": "down.4.",
                  "conv3.conv.": "down.6.1.", "in3.": "down.7.", "deconv1.conv.": "up.0.conv.1.", "in4.": "up.1.",
                  "deconv2.conv.": "up.3.conv.1.", "in5.": "up.4.", "deconv3.conv.": "up.6.1."}


def indexed_state_dict(sd: dict) -> dict:
    """A TransformerNet state dict under the names it had before its layers were named
    (``down.0.1.weight``, ``res.0.conv1.1.weight``): what old model files and checkpoints hold."""
    out = {}
    for key, value in sd.items():
        m = re.match(r"res(\d+)\.(?:(conv[12])\.conv|(in[12]))\.", key)
        if m:
            key = f"res.{int(m[1]) - 1}.{m[2] + '.1' if m[2] else m[3]}.{key[m.end():]}"
        else:
            prefix = next(p for p in _INDEXED_NAMES if key.startswith(p))
            key = _INDEXED_NAMES[prefix] + key[len(prefix):]
        out[key] = value
    return out


def stream_info(path: Path | str) -> dict:
    """For tests and checks: frames, rate and duration of the video stream; audio duration."""
    info = ffmpeg_python.probe(str(path), count_frames=None)
    out: dict = {"video": None, "audio": None}
    for s in info["streams"]:
        if s["codec_type"] == "video" and out["video"] is None:
            out["video"] = {"frames": int(s.get("nb_read_frames") or s.get("nb_frames") or 0),
                            "fps": s["r_frame_rate"], "width": s["width"], "height": s["height"],
                            "pix_fmt": s.get("pix_fmt"), "codec": s.get("codec_name"),
                            "duration": float(s.get("duration") or 0)}
        elif s["codec_type"] == "audio" and out["audio"] is None:
            out["audio"] = {"duration": float(s.get("duration") or 0), "codec": s.get("codec_name")}
    return out


def tiny_config(assets: Path) -> dict:
    """tests/configs/tiny.yaml with its assets/ paths pointing into ``assets``."""
    def place(value):
        if isinstance(value, dict):
            return {k: place(v) for k, v in value.items()}
        if isinstance(value, list):
            return [place(v) for v in value]
        if isinstance(value, str) and value.startswith("assets/"):
            return str(Path(assets) / value.removeprefix("assets/"))
        return value

    return place(yaml.safe_load(TINY_CONFIG.read_text()))


TINY_TRAINING = yaml.safe_load(TINY_CONFIG.read_text())["training"]


def snakemake(workdir: Path, *args: str, check: bool = True, precision: Optional[str] = "fp32"
              ) -> subprocess.CompletedProcess:
    """Snakemake on the workflow in ``workdir``; ``precision``: the environment's
    SKETCHBOOK_PRECISION (what a clip's precision auto means; fp32: the same frames on every CPU),
    None to leave it unset (auto then picks by the CPU, int8 included)."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
           "--cores", "2", *args]
    env = {k: v for k, v in os.environ.items() if k != "SKETCHBOOK_PRECISION"}
    if precision is not None:
        env["SKETCHBOOK_PRECISION"] = precision
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}")
    return r


def write_config(workdir: Path, cfg: dict) -> None:
    (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited:\n{log.read_text()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.args[0]} did not listen on port {port}:\n{log.read_text()}")


CLOUD_ENV = {
    "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
    "SNAKEMAKE_STORAGE_GCS_PROJECT": "test", "SNAKEMAKE_GOOGLEBATCH_PROJECT": "test",
    "SNAKEMAKE_GOOGLEBATCH_REGION": "us-central1", "SNAKEMAKE_AWS_BATCH_JOB_QUEUE": "test-queue",
    "SNAKEMAKE_AWS_BATCH_JOB_ROLE": "test-role", "SKETCHBOOK_AWS_REGION": "us-east-1",
    "SKETCHBOOK_IMAGE": "registry.example.org/sketchbook:test",
}


def s3_client(endpoint: str):
    """A client of the local S3 endpoint (moto)."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def upload(workdir: Path, provider: str, endpoint: str, prefix: str) -> None:
    files = [p for p in (workdir / "assets").rglob("*") if p.is_file()]
    if provider == "s3":
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket=BUCKET)
        for p in files:
            s3.upload_file(str(p), BUCKET, f"{prefix}/{p.relative_to(workdir)}")
    else:
        os.environ["STORAGE_EMULATOR_HOST"] = endpoint
        try:
            from google.cloud import storage

            client = storage.Client(project="test")
            bucket = client.lookup_bucket(BUCKET) or client.create_bucket(BUCKET)
            for p in files:
                bucket.blob(f"{prefix}/{p.relative_to(workdir)}").upload_from_filename(str(p))
        finally:
            del os.environ["STORAGE_EMULATOR_HOST"]


if __name__ == "__main__":
    print(make_assets(Path(sys.argv[1])))
