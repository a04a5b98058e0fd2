"""A short deterministic clip with real motion, for measuring temporal stability.

Three textured cut-outs of the demo's content photos move across a fourth photo, each along its
own path, over a slow camera pan: a disc (the astronaut) crosses left to right, a rectangle (the
cat) circles while it turns, a smaller disc (the rocket) crosses right to left, bobbing, and passes
in front of the first. So the flow has moving objects, rotation, occlusions between objects and
against the background, and a sub-pixel pan underneath, not only a pan. Everything is drawn with
sub-pixel placement (Pillow affine transforms) and no randomness: the same arguments give the same
frames.

    python benchmarks/motion_clip.py results/bench/motion.mp4                # 3 s, 24 fps, 320x180
    python benchmarks/motion_clip.py out.mp4 --seconds 2 --fps 12 --no-pan --frame 12 frame.png

``motion_frames(...)`` yields the frames (H x W x 3 uint8) for use without a file;
``make_motion_clip(...)`` encodes them (H.264, yuv420p) with ffmpeg-python.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Iterator, Sequence

import ffmpeg
import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "demo" / "content"
#: Background photo, then the photos the three cut-outs are made from.
PHOTOS = ("coffee.jpg", "astronaut.jpg", "chelsea.jpg", "rocket.jpg")


def _photo(content: Path, name: str) -> Image.Image:
    path = Path(content) / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such photo (the demo's content photos: demo/content)")
    with Image.open(path) as im:
        return im.convert("RGB")


def _disc(photo: Image.Image, diameter: int) -> Image.Image:
    """The photo scaled to ``diameter`` px, cut out as an anti-aliased disc (RGBA)."""
    big = 4 * diameter
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).ellipse([2, 2, big - 3, big - 3], fill=255)
    sprite = photo.resize((diameter, diameter), Image.Resampling.LANCZOS).convert("RGBA")
    sprite.putalpha(mask.resize((diameter, diameter), Image.Resampling.LANCZOS))
    return sprite


def _rectangle(photo: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The photo's centre cropped to ``size``'s aspect and scaled to it, opaque (RGBA)."""
    w, h = photo.size
    tw, th = size
    cw = min(w, round(h * tw / th))
    ch = round(cw * th / tw)
    box = ((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch)
    return photo.crop(box).resize(size, Image.Resampling.LANCZOS).convert("RGBA")


def _place(sprite: Image.Image, size: tuple[int, int], cx: float, cy: float, angle: float = 0.0) -> Image.Image:
    """A frame-sized RGBA layer with ``sprite``'s centre at (cx, cy), turned ``angle`` degrees
    anticlockwise; sub-pixel positions, bicubic, transparent around it."""
    a = math.radians(angle)
    c, s = math.cos(a), math.sin(a)
    sw, sh = sprite.size
    # Inverse map, frame -> sprite: p_sprite = R(-a) (p - centre) + sprite centre.
    ox, oy = sw / 2, sh / 2
    coeffs = (c, -s, ox - c * cx + s * cy,
              s, c, oy - s * cx - c * cy)
    # Pillow samples pixel centres at +0.5: the same offset on both sides cancels.
    return sprite.transform(size, Image.Transform.AFFINE, coeffs, resample=Image.Resampling.BICUBIC,
                            fillcolor=(0, 0, 0, 0))


def motion_frames(
    seconds: float = 3.0,
    fps: float = 24,
    size: tuple[int, int] = (320, 180),
    pan: bool = True,
    content: Path | str = CONTENT,
    photos: Sequence[str] = PHOTOS,
) -> Iterator[np.ndarray]:
    """The clip's frames in order: H x W x 3 uint8, ``round(seconds * fps)`` of them.

    Speeds are per second, so a lower ``fps`` makes larger steps per frame. ``pan``: the camera
    drifts right and a little down over the background (about 14 px/s) under the moving objects.
    """
    w, h = size
    if w < 64 or h < 36:
        raise ValueError(f"size must be at least 64x36, got {w}x{h}")
    n = round(seconds * fps)
    if n < 2:
        raise ValueError(f"{seconds} s at {fps} fps is fewer than two frames")
    bg_photo, *cut = (_photo(Path(content), p) for p in photos)
    # Background: its shorter side covers the frame and the whole pan, with room.
    pan_x, pan_y = (0.045 * w * seconds, 0.02 * h * seconds) if pan else (0.0, 0.0)
    scale = max(1.35 * max(w, h), max(w + pan_x, h + pan_y) + 8) / min(bg_photo.size)
    bg = bg_photo.resize((round(bg_photo.width * scale), round(bg_photo.height * scale)),
                         Image.Resampling.LANCZOS)
    u = min(w, h)  # sizes and paths scale with the frame
    disc_a = _disc(cut[0], round(0.42 * u))
    rect_b = _rectangle(cut[1], (round(0.5 * u), round(0.34 * u)))
    disc_c = _disc(cut[2], round(0.3 * u))
    x0, y0 = (bg.width - w - pan_x) / 2, (bg.height - h - pan_y) / 2
    for i in range(n):
        t = i / fps
        px, py = pan_x * t / seconds, pan_y * t / seconds
        # The pan: a sub-pixel crop of the background (affine translation).
        frame = bg.transform((w, h), Image.Transform.AFFINE, (1, 0, x0 + px, 0, 1, y0 + py),
                             resample=Image.Resampling.BILINEAR).convert("RGBA")
        # b: circles the frame's centre-left once in 4 s, turning 40 degrees a second.
        phase = 2 * math.pi * t / 4.0
        b = _place(rect_b, size, 0.38 * w + 0.12 * w * math.cos(phase), 0.5 * h + 0.22 * h * math.sin(phase),
                   angle=40.0 * t)
        # a: crosses left to right, sloping down (about 0.3 frame widths a second).
        a = _place(disc_a, size, 0.1 * w + 0.3 * w * t, 0.3 * h + 0.08 * h * t)
        # c: crosses right to left, bobbing up and down; in front of a when they meet.
        c = _place(disc_c, size, 0.95 * w - 0.28 * w * t, 0.62 * h + 0.14 * h * math.sin(2 * math.pi * t / 1.5))
        for layer in (b, a, c):
            frame = Image.alpha_composite(frame, layer)
        yield np.asarray(frame.convert("RGB"))


def make_motion_clip(
    out: Path | str,
    seconds: float = 3.0,
    fps: int | str = 24,
    size: tuple[int, int] = (320, 180),
    pan: bool = True,
    content: Path | str = CONTENT,
    crf: int = 16,
) -> Path:
    """Encode :func:`motion_frames` to ``out`` (H.264, yuv420p, no audio); returns ``out``."""
    w, h = size
    if w % 2 or h % 2:
        raise ValueError(f"size must be even for yuv420p, got {w}x{h}")
    rate = float(eval_rate(fps))
    data = b"".join(f.tobytes() for f in motion_frames(seconds, rate, size, pan, content))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stream = ffmpeg.output(
        ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{w}x{h}", framerate=str(fps)),
        str(out), vcodec="libx264", pix_fmt="yuv420p", crf=crf, preset="medium", r=str(fps),
        movflags="+faststart", map_metadata=-1)
    try:
        stream.global_args("-hide_banner", "-nostdin", "-loglevel", "error").overwrite_output().run(
            input=data, capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as exc:
        raise RuntimeError(f"ffmpeg could not encode {out}: {exc.stderr.decode(errors='replace')}") from exc
    return out


def eval_rate(fps: int | float | str) -> float:
    """A frame rate given as a number or a fraction string ("30000/1001")."""
    if isinstance(fps, str) and "/" in fps:
        num, den = fps.split("/")
        return int(num) / int(den)
    return float(fps)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="the mp4 to write")
    ap.add_argument("--seconds", type=float, default=3.0, help="length (default 3)")
    ap.add_argument("--fps", default="24", help="frame rate, a number or a fraction (default 24)")
    ap.add_argument("--size", default="320x180", help="WxH, both even (default 320x180)")
    ap.add_argument("--no-pan", action="store_true", help="a still camera: only the objects move")
    ap.add_argument("--content", type=Path, default=CONTENT, help="folder of the four photos (default demo/content)")
    ap.add_argument("--frame", nargs=2, metavar=("INDEX", "PNG"), help="also write frame INDEX (0-based) as a PNG")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    out = make_motion_clip(args.out, args.seconds, args.fps, (w, h), not args.no_pan, args.content)
    print(out)
    if args.frame:
        index, png = int(args.frame[0]), Path(args.frame[1])
        frames = motion_frames(args.seconds, eval_rate(args.fps), (w, h), not args.no_pan, args.content)
        for i, f in enumerate(frames):
            if i == index:
                png.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(f).save(png)
                print(png)
                break
        else:
            raise SystemExit(f"--frame: the clip has fewer than {index + 1} frames")


if __name__ == "__main__":
    main()
