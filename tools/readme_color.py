#!/usr/bin/env python3
"""The README's colour picture, docs/color.png: one demo frame in each ``color`` setting.

    python tools/readme_color.py [--steps 150]

Rows: the demo's hatch model (results/models/hatch/good.pt, from ``make demo``) and a short
model trained here on demo/sketches/watercolor.png (a colour sketch that is not one of the
demo film's sketches; cached under results/readme/); columns: the frame, ``gray``, ``sketch``,
``footage``. A developer tool, not part of the workflow.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sketchbook.content import list_images, split_held_out  # noqa: E402
from sketchbook.images import contact_sheet, read_frame  # noqa: E402
from sketchbook.lossnet import load_loss_network  # noqa: E402
from sketchbook.settings import TrainSettings  # noqa: E402
from sketchbook.stylize import COLORS, load_model, stylize_batch  # noqa: E402
from sketchbook.train import train  # noqa: E402


def watercolor_model(steps: int, out: Path) -> Path:
    """The demo's "good" recipe (config.yaml's training settings, seed 1) on the watercolour
    sketch, ``steps`` steps; trained once."""
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = TrainSettings.from_dict({"iterations": steps, "image_size": 128, "batch_size": 2,
                                        "content_weight": 3.0, "style_size": 384, "seed": 1,
                                        "precision": "fp32"})
    lossnet, _ = load_loss_network(ROOT / "resources/loss_network/vgg16.pt",
                                   ROOT / "resources/loss_network/vgg16.json")
    train_images, _ = split_held_out(list_images(ROOT / "demo/content"), 1)
    train(settings, ROOT / "demo/sketches/watercolor.png", train_images, lossnet, out,
          out.with_suffix(".losses.csv"), torch.device("cpu"), "fp32", progress=print, log_every=25)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--frame", type=Path, default=ROOT / "results/frames/intro/000040.png")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/color.png")
    args = parser.parse_args(argv)
    models = [("hatch", ROOT / "results/models/hatch/good.pt"),
              ("watercolor", watercolor_model(args.steps, ROOT / "results/readme/watercolor.pt"))]
    frame = read_frame(args.frame)[None]
    cpu = torch.device("cpu")
    rows = []
    for name, path in models:
        model = load_model(path, cpu)
        row = [("frame", frame[0])]
        for color in COLORS:
            row.append((f"color: {color}", stylize_batch(model, frame, cpu, "fp32", color, True)[0]))
        rows.append((name, row))
    contact_sheet(rows, args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
