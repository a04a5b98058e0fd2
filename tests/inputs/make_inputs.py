"""The input matrix: footage and scans of every kind a user may bring, made here with ffmpeg,
numpy and Pillow (nothing downloaded, nothing committed), each with the outcome it must have.

    python tests/inputs/make_inputs.py DIR     # writes the files into DIR and lists them

``make(dir)`` returns the cases; tests/test_input_matrix.py runs each one through the checks the
main Snakemake process does (``sketchbook.inputs``) and through its stage (``video.extract`` for
a clip, ``images.load_rgb`` for a sketch), asserting the outcome: a correct result, a render of
what decodes with the damage recorded, or one clear error naming the file.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image

#: Render setting the matrix uses: frames are scaled so that their longer side is at most this.
MAX_SIDE = 64


@dataclass
class Case:
    name: str                 # the case (a pytest id)
    kind: str                 # "clip" or "sketch"
    file: str                 # its file name in the folder
    expect: str               # "ok", "damaged" (clips: rendered in part, recorded) or "error"
    size: Optional[tuple[int, int]] = None  # ok clips: frame size at MAX_SIDE; sketches: loaded (w, h)
    audio: Optional[bool] = None            # ok clips: has real audio
    frames: Optional[int] = None            # ok clips: exact frame count where known
    error: str = ""           # "error": a fragment of the one-line message
    stage: str = "check"      # "error": where it is found ("check": before any job; "job": in its job)
    notes: dict = field(default_factory=dict)


#: True while only listing the cases (no file is written): see :func:`cases`.
_DRY = False


def ffmpeg(*args: str) -> None:
    if _DRY:
        return
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args], check=True)


def src(size: str = "64x48", rate: str = "24", source: str = "testsrc2") -> list[str]:
    return ["-f", "lavfi", "-i", f"{source}=size={size}:rate={rate}"]


def tone(layout: str = "stereo", freq: int = 440) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate=48000,aformat=channel_layouts={layout}"]


H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def _write(path: Path, data: bytes) -> None:
    if not _DRY:
        path.write_bytes(data)


def _save(im: Image.Image, path: Path, **kwargs) -> None:
    if not _DRY:
        im.save(path, **kwargs)


def _clip(d: Path, name: str, *args: str) -> str:
    ffmpeg(*args, str(d / name))
    return name


def _remux_rotated(d: Path, name: str, rotate: int) -> str:
    if _DRY:
        return name
    plain = d / f".plain-{name}"
    ffmpeg(*src("64x36"), "-t", "0.5", *H264, str(plain))
    try:  # ffmpeg 6.1+; older ones write the rotate key as the display matrix
        ffmpeg("-display_rotation:v:0", str(rotate), "-i", str(plain), "-c", "copy", str(d / name))
    except subprocess.CalledProcessError:
        ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", f"rotate={rotate}", str(d / name))
    plain.unlink()
    return name


def _cut(d: Path, name: str, source: str, fraction: float) -> str:
    if _DRY:
        return name
    data = (d / source).read_bytes()
    _write(d / name, data[: int(len(data) * fraction)])
    return name


def clips(d: Path) -> list[Case]:
    c: list[Case] = []
    # Phones: stored landscape (64x36) with a display rotation; players show 36x64 portrait.
    for rot in (90, 180, 270):
        f = _remux_rotated(d, f"phone-rot{rot}.mp4", rot)
        c.append(Case(f"rotate {rot}", "clip", f, "ok", (36, 64) if rot != 180 else (64, 36), False, 12))
    c.append(Case("anamorphic 2:1 pixels", "clip", _clip(d, "anamorphic.mp4", *src("32x36"), "-t", "0.5",
                                                         "-vf", "setsar=2", *H264), "ok", (64, 36), False, 12))
    c.append(Case("anamorphic DV 720x480 32:27", "clip", _clip(d, "dv.mkv", *src("720x480", "30000/1001"), "-t", "0.2",
                                                               "-vf", "setsar=32/27", *H264),
                  "ok", (64, 36), False, 6))
    # Variable frame rate: frame times jitter; rendered at its nominal rate.
    c.append(Case("variable frame rate", "clip", _clip(d, "vfr.mkv", *src(rate="24"), "-t", "1",
                                                       "-vf", "setpts='(N+0.3*mod(N,3))/24/TB'", "-fps_mode", "vfr",
                                                       *H264), "ok", (64, 48), False))
    c.append(Case("odd size", "clip", _clip(d, "odd.mkv", *src("47x33", source="testsrc"), "-t", "0.5",
                                            "-c:v", "ffv1"), "ok", (47, 33), False, 12))
    c.append(Case("10-bit", "clip", _clip(d, "10bit.mp4", *src(), "-t", "0.5", "-c:v", "libx264",
                                          "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"),
                  "ok", (64, 48), False, 12))
    c.append(Case("yuv444", "clip", _clip(d, "444.mp4", *src(), "-t", "0.5", "-c:v", "libx264", "-preset", "ultrafast",
                                          "-pix_fmt", "yuv444p"), "ok", (64, 48), False, 12))
    c.append(Case("hevc", "clip", _clip(d, "hevc.mp4", *src(), "-t", "0.5", "-c:v", "libx265", "-preset", "ultrafast",
                                        "-x265-params", "log-level=error", "-tag:v", "hvc1"),
                  "ok", (64, 48), False, 12))
    # Containers, each with its usual sound.
    c.append(Case("mkv + audio", "clip", _clip(d, "clip.mkv", *src(), *tone(), "-t", "0.5", *H264, "-c:a", "aac"),
                  "ok", (64, 48), True, 12))
    c.append(Case("mov + audio", "clip", _clip(d, "clip.mov", *src(), *tone(), "-t", "0.5", *H264, "-c:a", "aac"),
                  "ok", (64, 48), True, 12))
    c.append(Case("webm vp9 + opus", "clip", _clip(d, "clip.webm", *src(), *tone(), "-t", "0.5", "-c:v", "libvpx-vp9",
                                                   "-b:v", "200k", "-deadline", "realtime", "-c:a", "libopus"),
                  "ok", (64, 48), True, 12))
    c.append(Case("avi mpeg4 + mp3", "clip", _clip(d, "clip.avi", *src(), *tone(), "-t", "0.5", "-c:v", "mpeg4",
                                                   "-c:a", "libmp3lame"),
                  "ok", (64, 48), True))  # AVI timestamps: 12-13
    c.append(Case("mpeg-ts", "clip", _clip(d, "clip.ts", *src(), *tone(), "-t", "0.5", *H264, "-c:a", "aac"),
                  "ok", (64, 48), True))
    # Sound.
    c.append(Case("no audio", "clip", _clip(d, "silent.mp4", *src(), "-t", "0.5", *H264), "ok", (64, 48), False, 12))
    c.append(Case("three audio streams", "clip", _clip(d, "three-audio.mkv", *src(), *tone(freq=440), *tone(freq=660),
                                                       *tone(freq=880), "-map", "0", "-map", "1", "-map", "2",
                                                       "-map", "3", "-t", "0.5", *H264, "-c:a", "aac"),
                  "ok", (64, 48), True, 12))
    c.append(Case("5.1 audio", "clip", _clip(d, "surround.mp4", *src(), *tone("5.1"), "-t", "0.5", *H264,
                                             "-c:a", "aac"), "ok", (64, 48), True, 12))
    c.append(Case("audio only (m4a)", "clip", _clip(d, "song.m4a", *tone(), "-t", "0.5", "-c:a", "aac"),
                  "error", error="has no video stream"))
    c.append(Case("audio only (mp4 name)", "clip", _clip(d, "song-as.mp4", *tone(), "-t", "0.5", "-c:a", "aac"),
                  "error", error="has no video stream", stage="job"))
    c.append(Case("audio only (wav)", "clip", _clip(d, "song.wav", *tone(), "-t", "0.5"),
                  "error", error="has no video stream"))
    if not _DRY:
        Image.new("RGB", (32, 32), (200, 30, 30)).save(d / ".cover.png")
    c.append(Case("audio with cover art (mp3)", "clip",
                  _clip(d, "song-cover.mp3", *tone(), "-i", str(d / ".cover.png"), "-map", "0", "-map", "1",
                        "-t", "0.5", "-c:a", "libmp3lame", "-c:v", "png", "-disposition:v", "attached_pic"),
                  "error", error="has no video stream"))
    c.append(Case("sound stream first", "clip", _clip(d, "sound-first.mkv", *tone(), *src(), "-map", "0", "-map", "1",
                                                      "-t", "0.5", *H264, "-c:a", "aac"), "ok", (64, 48), True, 12))
    # Frame sizes.
    c.append(Case("huge frames (4K)", "clip", _clip(d, "uhd.mp4", *src("3840x2160", "5", "testsrc"), "-t", "0.4",
                                                    *H264), "ok", (64, 36), False, 2))
    c.append(Case("tiny frames (2x2)", "clip", _clip(d, "tiny.mkv", *src("2x2", source="testsrc"), "-t", "0.5",
                                                     "-c:v", "ffv1"), "error",
                  error="frames of 2x2 px are too small to stylize", stage="job"))
    c.append(Case("small frames (8x8)", "clip", _clip(d, "small.mkv", *src("8x8", source="testsrc"), "-t", "0.5",
                                                      "-c:v", "ffv1"), "ok", (8, 8), False, 12))
    # Damage.
    full = _clip(d, ".full-faststart.mp4", *src(), *tone(), "-t", "2", *H264, "-c:a", "aac", "-movflags", "+faststart")
    c.append(Case("cut off mid-file (index first)", "clip", _cut(d, "cut-faststart.mp4", full, 0.5), "damaged",
                  (64, 48), True))
    full = _clip(d, ".full.mkv", *src(), *tone(), "-t", "2", *H264, "-c:a", "aac")
    c.append(Case("cut off mid-file (mkv)", "clip", _cut(d, "cut.mkv", full, 0.5), "damaged", (64, 48), True))
    full = _clip(d, ".full.mp4", *src(), "-t", "2", *H264)
    c.append(Case("cut off before its index (mp4)", "clip", _cut(d, "cut-noindex.mp4", full, 0.6), "error",
                  error="no index (moov box)"))
    _write(d / "empty.mp4", b"")
    c.append(Case("zero bytes", "clip", "empty.mp4", "error", error="not a readable video"))
    _write(d / "notes.mp4", "this is a text file with a video's name\n".encode())
    c.append(Case("text posing as video", "clip", "notes.mp4", "error", error="not a readable video"))
    _write(d / "random.mkv", np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    c.append(Case("random bytes", "clip", "random.mkv", "error", error="not a readable video"))
    # Names a shell or ffmpeg would misread.
    for i, name in enumerate(["with space.mp4", "ünï cödé 映像.mp4", "semi;colon $(rm -rf x) `q` 'quote'.mp4",
                              "take:2.mp4", "-starts-with-dash.mp4"]):
        _clip(d, name, *src(), "-t", "0.25", *H264)
        c.append(Case(f"clip name {i}: {name}", "clip", name, "ok", (64, 48), False, 6))
    return c


def _png_header_only(path: Path, w: int, h: int) -> None:
    """A PNG whose header says w x h (a decompression bomb), with one tiny IDAT: opening reads
    the header only."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    if _DRY:
        return
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
                     + chunk(b"IEND", b""))


def strokes(h: int = 96, w: int = 128) -> np.ndarray:
    """A tone ramp on the left, ink strokes on white on the right: [0, 1] float, (h, w)."""
    a = np.ones((h, w), np.float32)
    a[:, : w // 4] = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    for y in range(8, h, 12):
        a[y: y + 2, w // 3:] = 0.05
    return a


def sketches(d: Path) -> list[Case]:
    c: list[Case] = []
    g = strokes()
    h, w = g.shape
    _save(Image.fromarray((g * 65535).round().astype(np.uint16)), d / "grey16.png")
    c.append(Case("16-bit grey PNG", "sketch", "grey16.png", "ok", (w, h), notes={"grey": g}))
    _save(Image.fromarray((g * 65535).round().astype(np.uint16)), d / "grey16.tif")
    c.append(Case("16-bit grey TIFF", "sketch", "grey16.tif", "ok", (w, h), notes={"grey": g}))
    raw = np.dstack([(g * 65535).round().astype("<u2")] * 3)
    _write(d / ".rgb48.raw", raw.tobytes())
    ffmpeg("-f", "rawvideo", "-pix_fmt", "rgb48le", "-s", f"{w}x{h}", "-i", str(d / ".rgb48.raw"), "-frames:v", "1",
           "-pix_fmt", "rgb48be", str(d / "rgb16.png"))
    c.append(Case("16-bit RGB PNG", "sketch", "rgb16.png", "ok", (w, h), notes={"grey": g}))
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., 3] = ((1 - g) * 255).round().astype(np.uint8)  # ink opaque, paper transparent black
    _save(Image.fromarray(rgba, "RGBA"), d / "transparent.png")
    c.append(Case("RGBA, paper transparent black", "sketch", "transparent.png", "ok", (w, h), notes={"grey": g}))
    la = np.dstack([np.zeros((h, w), np.uint8), rgba[..., 3]])
    _save(Image.fromarray(la, "LA"), d / "grey-alpha.png")
    c.append(Case("greyscale + alpha (LA)", "sketch", "grey-alpha.png", "ok", (w, h), notes={"grey": g}))
    p = Image.fromarray((g * 255).round().astype(np.uint8)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    _save(p, d / "palette.png")
    c.append(Case("palette PNG", "sketch", "palette.png", "ok", (w, h), notes={"grey": g, "atol": 0.1}))
    binary = np.where(g < 0.5, 1, 0).astype(np.uint8)  # index 1 ink, index 0 transparent paper
    pt = Image.fromarray(binary, "P")
    pt.putpalette([0, 0, 0, 0, 0, 0] + [0] * 762)  # both black; paper only by transparency
    _save(pt, d / "palette-transparent.png", transparency=0)
    c.append(Case("palette PNG with transparent paper", "sketch", "palette-transparent.png", "ok", (w, h),
                  notes={"grey": np.where(g < 0.5, 0.0, 1.0).astype(np.float32)}))
    _save(Image.fromarray((g * 255).round().astype(np.uint8)).convert("CMYK"), d / "cmyk.jpg", quality=95)
    c.append(Case("CMYK JPEG", "sketch", "cmyk.jpg", "ok", (w, h), notes={"grey": g, "atol": 0.1}))
    im = Image.fromarray((g * 255).round().astype(np.uint8)).rotate(90, expand=True)  # stored on its side
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    _save(im, d / "phone-photo.jpg", exif=exif, quality=95)
    c.append(Case("photo with EXIF orientation", "sketch", "phone-photo.jpg", "ok", (w, h),
                  notes={"grey": g, "atol": 0.1}))
    big = np.full((2000, 3000), 255, np.uint8)
    big[::50] = 0
    _save(Image.fromarray(big), d / "big-scan.png")
    c.append(Case("big scan (3000x2000)", "sketch", "big-scan.png", "ok", (3000, 2000)))
    _png_header_only(d / "bomb.png", 40000, 40000)
    c.append(Case("huge (40000x40000 header)", "sketch", "bomb.png", "error", error="too large"))
    _save(Image.fromarray(np.zeros((4, 4), np.uint8)), d / "tiny.png")
    c.append(Case("tiny (4x4)", "sketch", "tiny.png", "error", error="4x4 px is too small", notes={"loads": True}))
    noise = np.random.default_rng(0).integers(0, 256, (200, 200), dtype=np.uint8)
    _save(Image.fromarray(noise), d / ".whole.png")
    _save(Image.fromarray(noise), d / ".whole.jpg", quality=90)
    _cut(d, "cut.png", ".whole.png", 0.6)
    c.append(Case("truncated PNG", "sketch", "cut.png", "error", error="not a readable image"))
    _cut(d, "cut.jpg", ".whole.jpg", 0.6)
    c.append(Case("truncated JPEG", "sketch", "cut.jpg", "error", error="not a readable image", stage="job"))
    _write(d / "notes.png", "a sketch, honestly\n".encode())
    c.append(Case("text posing as image", "sketch", "notes.png", "error", error="not a readable image"))
    _write(d / "empty.png", b"")
    c.append(Case("zero bytes", "sketch", "empty.png", "error", error="not a readable image"))
    for i, name in enumerate(["with space.png", "ünï cödé 素描.png", "semi;colon $(rm -rf x) `q` 'quote'.png"]):
        _save(Image.fromarray((g * 255).round().astype(np.uint8)), d / name)
        c.append(Case(f"sketch name {i}: {name}", "sketch", name, "ok", (w, h), notes={"grey": g, "atol": 0.01}))
    return c


def make(d: Path | str) -> list[Case]:
    """Write every input into ``d``; the cases, in order."""
    d = Path(d)
    if not _DRY:
        d.mkdir(parents=True, exist_ok=True)
    return clips(d) + sketches(d)


def cases() -> list[Case]:
    """The cases without writing anything (for pytest's parametrisation at collection)."""
    global _DRY
    _DRY = True
    try:
        return make(Path("/nonexistent-dry-run"))
    finally:
        _DRY = False


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python tests/inputs/make_inputs.py DIR")
    for case in make(sys.argv[1]):
        print(f"{case.kind:6} {case.expect:7} {case.file!r:50} {case.name}")
