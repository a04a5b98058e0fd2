"""Style strength: ways of showing "less of the drawing", side by side, and what the chosen one costs.

    python benchmarks/strength.py [--frame results/frames/intro/000040.png]
        [--model results/models/hatch/good.pt] [--sheet docs/strength.png]

Needs the demo's results (``make demo``). The sheet has one row per method, one column per
strength (0, 0.25, 0.5, 0.75, 1) on one demo frame, gray with levels as the film shows it:

* ``pixel``: the plain blend ``(1 - s) * footage + s * drawing`` (an overlay at opacity s);
* ``ink weight``: a per-pixel blend whose weight keeps the strokes longest
  (``s ** 4 ** (1 - 2 d)``, ``d`` the drawing's ink: 1 black, 0 paper);
* ``darken``: :func:`sketchbook.stylize.soften` (the one the workflow uses): the drawing's ink
  over the footage (``min``), then the footage fading to paper,
  ``min(lerp(footage, 255, 2s - 1), lerp(255, drawing, 2s))``, each factor clipped to [0, 1].

Network-feature interpolation (scaling the style network's residual blocks) is left out: its
strength 0 is not the footage (the decoder does not give back its input), and it would touch
the network's fused CPU path.

Then the cost: the network (``stylize_batch`` in the precision the workflow picks, ``auto``) and
``soften`` on the same frame, alternated in one run, printed as a ratio (the footage's luminance
included, as the stylize loop computes it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sketchbook.images import contact_sheet, read_frame  # noqa: E402
from sketchbook.precision import resolve_precision  # noqa: E402
from sketchbook.stylize import Stylizer, footage_target, load_model, soften, stylize_batch  # noqa: E402

STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)


def pixel(drawn: torch.Tensor, footage: torch.Tensor, s: float) -> torch.Tensor:
    return (footage.float() + s * (drawn.float() - footage.float())).round().to(torch.uint8)


def ink_weight(drawn: torch.Tensor, footage: torch.Tensor, s: float) -> torch.Tensor:
    d, f = drawn.float(), footage.float()
    w = torch.tensor(float(s)).pow(torch.exp2(2.0 - 4.0 * (1.0 - d / 255)))
    return (f + w * (d - f)).round().to(torch.uint8)


METHODS = {"pixel": pixel, "ink weight": ink_weight, "darken": soften}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frame", type=Path, default=ROOT / "results/frames/intro/000040.png")
    parser.add_argument("--model", type=Path, default=ROOT / "results/models/hatch/good.pt")
    parser.add_argument("--sheet", type=Path, default=ROOT / "docs/strength.png")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    cpu = torch.device("cpu")
    frame = read_frame(args.frame)[None]
    stylizer = Stylizer(load_model(args.model, cpu), cpu, "fp32")
    drawn = stylize_batch(stylizer, frame, cpu, "fp32", "gray", True)[:, :1]
    footage = footage_target(frame, "gray")
    rows = []
    for name, method in METHODS.items():
        cells = [(f"{name} {s:g}", method(drawn, footage, s)[0].expand(3, -1, -1)) for s in STRENGTHS]
        rows.append((name, cells))
    contact_sheet(rows, args.sheet, cell=256)
    print(f"sheet: {args.sheet}")

    precision = resolve_precision("auto", cpu)
    stylizer = Stylizer(load_model(args.model, cpu), cpu, precision)
    net = soft = 0.0
    for _ in range(args.repeats):  # alternated: the machine's load falls on both alike
        t = time.perf_counter()
        drawn = stylize_batch(stylizer, frame, cpu, precision, "gray", True)[:, :1]
        net += time.perf_counter() - t
        t = time.perf_counter()
        soften(drawn, footage_target(frame, "gray"), 0.5)
        soft += time.perf_counter() - t
    h, w = frame.shape[-2:]
    print(f"{w}x{h}, {precision}, {args.repeats} frames: network {net / args.repeats * 1e3:.1f} ms a frame, "
          f"soften {soft / args.repeats * 1e3:.2f} ms a frame: {soft / net:.1%} of the network's time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
