"""What the flow stabilization costs the stylize step: stabilize off against on, in one run.

The demo's intro clip (320x240), its first ``--frames`` frames, stylized as the ``stylize_frames``
rule does it (read, stylize, write; two I/O threads) by a two-variant plan of demo-sized models
(width 32, 5 residual blocks, seeded random weights: the same work per frame as trained ones).
The rounds alternate off and on, so that a busy machine slows both alike; the ratio is taken from
each setting's median round (and from its best, both printed).

    python benchmarks/stabilize.py                 # 50 frames, 3 rounds each, strength 0.5
    python benchmarks/stabilize.py --frames 20 --rounds 1
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from sketchbook.allocator import MALLOC_ENV  # noqa: E402

if __name__ == "__main__" and any(k not in os.environ for k in MALLOC_ENV):
    # glibc reads its malloc settings when a process starts: start again with them.
    os.execve(sys.executable, [sys.executable, *sys.argv], {**MALLOC_ENV, **os.environ})

import torch  # noqa: E402

from sketchbook.modelfile import save_model  # noqa: E402
from sketchbook.network import TransformerNet  # noqa: E402
from sketchbook.plan import make_plan  # noqa: E402
from sketchbook.stylize import stylize_frames  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default=str(REPO / "demo/clips/intro.mp4"))
    ap.add_argument("--frames", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--strength", type=float, default=0.5)
    ap.add_argument("--precision", default="fp32")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        frames = tmp / "frames"
        frames.mkdir()
        subprocess.run(["ffmpeg", "-v", "error", "-i", args.clip, "-frames:v", str(args.frames),
                        "-vf", "scale=320:-2", str(frames / "%06d.png")], check=True)
        n = len(list(frames.glob("*.png")))
        models = {}
        for i, v in enumerate(["good", "weird"]):
            torch.manual_seed(i)
            save_model(TransformerNet(32, 5), tmp / f"{v}.pt")
            models[v] = tmp / f"{v}.pt"
        plan = make_plan("intro", n, "hatch", list(models), seed=0, hold=[6, 12])
        times: dict[str, list[float]] = {"off": [], "on": []}
        for r in range(args.rounds):
            for name, s in (("off", 0.0), ("on", args.strength)):
                out = tmp / f"out_{name}_{r}"
                t0 = time.perf_counter()
                stylize_frames(plan, frames, out, models, torch.device("cpu"), args.precision,
                               color="gray", levels=True, stabilize=s, progress_file=open("/dev/null", "w"))
                times[name].append(time.perf_counter() - t0)
                print(f"round {r + 1} {name:3s}: {times[name][-1]:6.2f} s ({n} frames)", flush=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        best = {k: min(v) for k, v in times.items()}
        print(f"{n} frames of 320 px, strength {args.strength}, {args.precision}, "
              f"{torch.get_num_threads()} torch threads")
        print(f"median: off {med['off']:.2f} s, on {med['on']:.2f} s: "
              f"{100 * (med['on'] / med['off'] - 1):+.1f}% stylize time")
        print(f"best:   off {best['off']:.2f} s, on {best['on']:.2f} s: "
              f"{100 * (best['on'] / best['off'] - 1):+.1f}% stylize time")


if __name__ == "__main__":
    main()
