"""Draw docs/transitions.png: each transition at one cut of the demo's film, frame by frame.

    python tools/transition_strip.py RESULTS OUT.png [--before intro --after coffee --duration 1.0]

RESULTS is a finished demo's results/ folder (read only: what the tool needs is copied into a
temporary folder). Rows: cut, crossfade, morph, page; columns: film frames evenly across the
transition, the first and last just outside it. The models named by the clips' plans are read
from RESULTS/models/.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sketchbook.morph import Side, morph_cut  # noqa: E402
from sketchbook.plan import read_plan  # noqa: E402
from sketchbook.transitions import film_frames  # noqa: E402
from sketchbook.video import FramesMeta, join  # noqa: E402

ROWS = ("cut", "crossfade", "morph", "page")


def film_frame(film: Path, index: int, size: tuple[int, int]) -> Image.Image:
    w, h = size
    raw = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(film), "-vf",
                          f"select=eq(n\\,{index})", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return Image.fromarray(np.frombuffer(raw, np.uint8).reshape(h, w, 3))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--before", default="intro")
    ap.add_argument("--after", default="coffee")
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--columns", type=int, default=8)
    args = ap.parse_args()
    res, a, b = args.results, args.before, args.after
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for clip in (a, b):  # a copy: nothing in RESULTS is written
            for sub in ("frames", "stylized"):
                shutil.copytree(res / sub / clip, tmp / sub / clip)
            for src, dst in ((res / "frames" / f"{clip}.json", tmp / "frames" / f"{clip}.json"),
                             (res / "plans" / f"{clip}.csv", tmp / "plans" / f"{clip}.csv"),
                             (res / "clips" / f"{clip}.mp4", tmp / "clips" / f"{clip}.mp4"),
                             (res / "audio" / f"{clip}.wav", tmp / "audio" / f"{clip}.wav")):
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(src, dst)
        metas = [FramesMeta.read(tmp / "frames" / f"{c}.json") for c in (a, b)]
        sides = []
        for clip, meta in zip((a, b), metas):
            plan = read_plan(tmp / "plans" / f"{clip}.csv")
            sketch = str(plan["sketch"].iloc[0])
            models = {v: res / "models" / sketch / f"{v}.pt" for v in set(plan["variant"])}
            sides.append(Side(clip, meta, tmp / "frames" / clip, tmp / "stylized" / clip, plan, models,
                              {"color": "gray", "levels": True, "strength": 1.0}))
        morph_dir = tmp / "morphs" / a / b
        morph_cut(sides[0], sides[1], args.duration, morph_dir, morph_dir.with_suffix(".json"), "cpu", "fp32")
        clips = [tmp / "clips" / f"{c}.mp4" for c in (a, b)]
        audios = [tmp / "audio" / f"{c}.wav" for c in (a, b)]
        rate = metas[0].fps
        size = (metas[0].width + metas[0].width % 2, metas[0].height + metas[0].height % 2)
        f0 = film_frames(metas[0].frames, metas[0].fps, rate)
        rows = []
        for kind in ROWS:
            film = tmp / f"{kind}.mp4"
            cuts = join(clips, metas, audios, film, transitions=[{"type": kind, "duration": args.duration}],
                        morphs=[morph_dir if kind == "morph" else None])
            c = cuts[0]
            if c.overlap:
                start, end = f0 - c.overlap, f0  # the shared frames
            elif c.tail or c.head:
                start, end = f0 - c.tail, f0 + c.head  # the blended frames
            else:
                half = round(args.duration * Fraction(rate) / 2)
                start, end = f0 - half, f0 + half
            n = args.columns
            picks = [start - 1] + [round(start + (end - start - 1) * j / (n - 3)) for j in range(n - 2)] + [end]
            window = {"cut": f"cut after frame {f0 - 1}", "crossfade": f"frames {start}-{end - 1} shared",
                      "morph": f"frames {start}-{end - 1} blended", "page": f"frames {start}-{end - 1} shared"}[kind]
            rows.append((kind, window, [film_frame(film, p, size) for p in picks], picks))
        w, h = size
        label_w, pad = 130, 4
        sheet = Image.new("RGB", (label_w + len(rows[0][2]) * (w + pad), len(rows) * (h + pad + 14)), "white")
        d = ImageDraw.Draw(sheet)
        for r, (kind, window, frames, picks) in enumerate(rows):
            y = r * (h + pad + 14)
            d.text((6, y + h // 2 - 8), kind, fill="black")
            d.text((6, y + h // 2 + 6), window, fill="black")
            for c, (im, p) in enumerate(zip(frames, picks)):
                x = label_w + c * (w + pad)
                sheet.paste(im, (x, y))
                d.text((x + 2, y + h + 1), f"frame {p}", fill="black")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if sheet.convert("L").convert("RGB").tobytes() == sheet.tobytes():
            sheet = sheet.convert("L")  # a grayscale film: one channel, a third of the file
        sheet.save(args.out, optimize=True)
        print(f"{args.out}: {len(rows)} rows x {len(rows[0][2])} columns, cut at film frame {f0}")


if __name__ == "__main__":
    main()
