"""A clip at a glance: a few frames across it, each stylized frame under its source frame.

The report (``snakemake --report``) shows this strip beside the clip's video, which it can only
offer as a download. Pillow only (no torch): the job takes well under a second per clip.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from PIL import Image, ImageDraw, ImageFont

from .atomic import atomic_file
from .errors import InputFileError

#: Frames shown per strip, and the longer side of each, px.
STRIP_FRAMES = 5
STRIP_CELL = 240
#: The row labels' column and the gap between frames, px.
LABEL_W = 80
GAP = 4
_FONT_SIZE = 14


def pick_frames(n_frames: int, n: int = STRIP_FRAMES) -> list[int]:
    """``n`` frame indices spread evenly from the first frame to the last (fewer where the clip
    has fewer frames), in order, without repeats."""
    if n_frames <= 0:
        return []
    if n_frames <= n:
        return list(range(n_frames))
    return [round(i * (n_frames - 1) / (n - 1)) for i in range(n)]


def _time_label(index: int, fps: str) -> str:
    seconds = float(index / Fraction(fps))
    return f"{seconds:.1f} s"


def clip_strip(
    frames_dir: Path | str,
    stylized_dir: Path | str,
    fps: str,
    out: Path | str,
    n: int = STRIP_FRAMES,
    cell: int = STRIP_CELL,
) -> list[str]:
    """Write the strip (JPEG): the source frames on top, the stylized frames under them, each column
    captioned with its time in the clip. Returns the names of the frames shown."""
    frames_dir, stylized_dir = Path(frames_dir), Path(stylized_dir)
    names = sorted(p.name for p in frames_dir.glob("*.png"))
    if not names:
        raise InputFileError(f"{frames_dir}: no frames")
    missing = [name for name in names if not (stylized_dir / name).is_file()]
    if missing:
        raise InputFileError(f"{stylized_dir}: no stylized frame for {missing[0]} (of {len(missing)} missing)")
    picks = pick_frames(len(names), n)
    rows = []
    for folder in (frames_dir, stylized_dir):
        row = []
        for i in picks:
            with Image.open(folder / names[i]) as im:
                im = im.convert("RGB")
                im.thumbnail((cell, cell))
                row.append(im)
        rows.append(row)
    w = max(im.width for row in rows for im in row)
    h = max(im.height for row in rows for im in row)
    sheet = Image.new(
        "RGB", (LABEL_W + len(picks) * (w + GAP), 2 * (h + GAP) + _FONT_SIZE + 2 * GAP), "white"
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=_FONT_SIZE)
    for r, (label, row) in enumerate(zip(("source", "stylized"), rows)):
        y = r * (h + GAP)
        draw.text((6, y + h // 2 - _FONT_SIZE // 2), label, fill="black", font=font)
        for c, im in enumerate(row):
            sheet.paste(im, (LABEL_W + c * (w + GAP), y))
    y = 2 * (h + GAP)
    for c, i in enumerate(picks):
        draw.text((LABEL_W + c * (w + GAP) + 2, y), _time_label(i, fps), fill="black", font=font)
    with atomic_file(out, ".tmp.jpg") as tmp:
        sheet.save(tmp, quality=85)
    return [names[i] for i in picks]

