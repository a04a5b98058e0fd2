"""Style fidelity per CPU minute: train the demo's sketches with each recipe, measure every budget.

For each recipe and each of the demo's sketches, one training run (the workflow's own
``sketchbook.train.train``) is snapshotted at every budget in ``--steps``; each snapshot renders
the same frames (two frames of each demo clip and the held-out photo, grayscale with levels, as
the film shows them) and is measured with ``sketchbook.fidelity`` (descriptors no training loss
uses) and the scores table's yardstick:

- ``pair``: the geometric mean of the two sketches' own/other on the same frames (a generic
  filter: 1.0; the target: <= 0.6), and each sketch's own/other;
- structure kept, the lower of the two models' (``sketchbook.fidelity``'s docstring): ``edge``,
  the correlation of the renders' blurred edges with the frames', every stroke an edge;
  ``structure``, the same of both pictures blurred at the stroke scale first (the target's
  stated measure, >= 0.6); ``face``, ``edge`` inside the faces found in the frames (the intro
  clip's astronaut);
- ``style``/``content``: the scores table's losses on the held-out photo; ``ink``/``paper``;
- ``min``: CPU minutes of training per model up to that budget (this machine, this run).

    python benchmarks/fidelity.py                         # the recipes below, 100..400 steps
    python benchmarks/fidelity.py --steps 200,600,2000 --recipes demo

Writes ``results/fidelity/bench.csv`` and, per recipe, ``gallery_{recipe}.png`` (each sketch, then
the same frames drawn by each sketch's model at the largest budget).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from sketchbook.allocator import MALLOC_ENV  # noqa: E402

if __name__ == "__main__" and any(k not in os.environ for k in MALLOC_ENV):
    # glibc reads its malloc settings when a process starts: start again with them.
    os.execve(sys.executable, [sys.executable, *sys.argv], {**MALLOC_ENV, **os.environ})

import pandas as pd  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402

from sketchbook import config as sbconfig  # noqa: E402
from sketchbook import fidelity  # noqa: E402
from sketchbook.content import list_images, split_held_out  # noqa: E402
from sketchbook.images import load_rgb, resize_short_side, to_uint8  # noqa: E402
from sketchbook.lossnet import fetch_weights, load_loss_network  # noqa: E402
from sketchbook.network import TransformerNet  # noqa: E402
from sketchbook.precision import pick_device, resolve_precision  # noqa: E402
from sketchbook.score import score_models  # noqa: E402
from sketchbook.modelfile import load_model, save_model  # noqa: E402
from sketchbook.stylize import Stylizer, stylize_batch  # noqa: E402
from sketchbook.train import TrainSettings, ink_levels, train  # noqa: E402

#: Recipes: overrides of the training defaults. "demo" is config.yaml's first variant (read at
#: run time); "before" is the recipe the demo shipped before the fidelity work.
RECIPES: dict[str, dict] = {
    "before": {"style_layers": ["relu1_2", "relu2_2", "relu3_3", "relu4_3"], "style_size": 192,
               "batch_size": 4, "content_weight": 1.0, "tone_weight": 0.0, "seed": 1},
    "demo": {},
}


def demo_recipe() -> dict:
    cfg = sbconfig.validate(yaml.safe_load((REPO / "config.yaml").read_text()), check_files=False)
    first = next(iter(cfg["variants"]))
    d = sbconfig.train_settings(cfg, first)
    d.pop("iterations")
    return d


def eval_frames(work: Path, short_side: int) -> list[tuple[str, torch.Tensor]]:
    """Two frames of each demo clip (at 1/3 and 2/3) and the held-out photo, shorter side ``short_side``."""
    from sketchbook.video import sample_frames

    frames = []
    for clip in sorted((REPO / "demo/clips").glob("*.mp4")):
        for p in sample_frames(clip, work / clip.stem, 2, 0, short_side):
            frames.append((f"{clip.stem}/{p.stem}", load_rgb(p)))
    _, held = split_held_out(list_images(REPO / "demo/content"), 1)
    for p in held:
        frames.append((Path(p).stem, resize_short_side(load_rgb(p), short_side)))
    return frames


def train_snapshots(settings: TrainSettings, sketch: Path, content: list[Path], lossnet, steps: list[int],
                    out: Path, device, precision: str) -> dict[int, tuple[Path, float]]:
    """One run to max(steps); a model file (with its levels) and the training seconds at each step."""
    out.mkdir(parents=True, exist_ok=True)
    contents = [load_rgb(p) for p in content]
    snaps: dict[int, tuple[Path, float]] = {}
    t0 = time.perf_counter()
    paused = [0.0]

    def on_step(step: int, model: TransformerNet) -> None:
        if step in steps:
            t = time.perf_counter()
            ink_paper = ink_levels(model, contents, settings.image_size * 2, device)
            model.train()
            path = out / f"{step}.pt"
            save_model(model, path, ink_paper, {"settings": settings.to_dict()})
            snaps[step] = (path, t - t0 - paused[0])
            paused[0] += time.perf_counter() - t

    train(settings, sketch, content, lossnet, out / "final.pt", out / "losses.csv", device, precision,
          progress=lambda m: print("   ", m, flush=True), on_step=on_step)
    return snaps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated names (%(default)s)")
    ap.add_argument("--steps", default="100,200,400", help="budgets, training steps (%(default)s)")
    ap.add_argument("--out", default=str(REPO / "results/fidelity"))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--sketches", default="hatch,scribble",
                    help="demo sketches to train and tell apart (%(default)s: the film's two)")
    ap.add_argument("--short-side", type=int, default=180, help="frames' shorter side (the demo renders 320x180)")
    ap.add_argument("--blind", type=int, default=None, metavar="STEPS",
                    help="also write a blind test of that budget's renders (one of --steps): blind_{recipe}/")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    steps = sorted(int(s) for s in args.steps.split(","))
    if args.blind is not None and args.blind not in steps:
        raise SystemExit(f"--blind {args.blind}: not one of --steps ({args.steps})")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device()
    weights, info = out / "vgg16.pt", out / "vgg16.json"
    if not weights.exists():
        fetch_weights(weights, info)
    lossnet, _ = load_loss_network(weights, info, device)
    sketches = {s: REPO / "demo/sketches" / f"{s}.png" for s in args.sketches.split(",")}
    missing = [str(p) for p in sketches.values() if not p.exists()]
    if missing:
        raise SystemExit(f"--sketches: no such demo sketch: {', '.join(missing)}")
    train_content, held = split_held_out(list_images(REPO / "demo/content"), 1)
    frames = eval_frames(out / "frames", args.short_side)
    hands = fidelity.SketchDescriptors({s: load_rgb(p) for s, p in sketches.items()})
    render_prec = "bf16" if resolve_precision("auto", device) == "bf16" else "fp32"
    rows = []
    for recipe in args.recipes.split(","):
        if recipe != "demo" and recipe not in RECIPES:
            raise SystemExit(f"unknown recipe {recipe!r}; choose from {', '.join(RECIPES)}")
        over = demo_recipe() if recipe == "demo" else dict(RECIPES[recipe])
        settings = TrainSettings.from_dict({**TrainSettings().to_dict(), **over, "iterations": max(steps)})
        precision = resolve_precision(settings.precision, device)
        print(f"recipe {recipe}: {settings.to_dict()}", flush=True)
        snaps = {}
        for s, path in sketches.items():
            print(f"  training {s} ({max(steps)} steps, {precision})", flush=True)
            snaps[s] = train_snapshots(settings, path, train_content, lossnet, steps, out / "models" / recipe / s,
                                       device, precision)
        for step in steps:
            renders, dists, kept = {}, {}, {}
            for s in sketches:
                stylizer = Stylizer(load_model(snaps[s][step][0], device), device, render_prec)
                renders[s] = [stylize_batch(stylizer, to_uint8(x)[None], device, render_prec, "gray", True)[0]
                              for _, x in frames]
                rf = [r.float() / 255 for r in renders[s]]
                dists[s] = fidelity.distances_to_sketches(rf, hands)
                kept[s] = fidelity.structure_summary([x for _, x in frames], rf)
            scores = score_models({(s, recipe): snaps[s][step][0] for s in sketches}, sketches,
                                  {(s, recipe): settings.to_dict() for s in sketches}, held, lossnet, device)
            names = list(sketches)
            pairs = [fidelity.pair_score(dists, a, b) for i, a in enumerate(names) for b in names[i + 1:]]
            row = {"recipe": recipe, "steps": step,
                   "min": round(sum(snaps[s][step][1] for s in sketches) / len(sketches) / 60, 2),
                   "pair": max(pairs) if pairs else math.nan}
            for s in sketches:
                row[f"own_other_{s}"] = fidelity.own_other(dists[s], s)[0]
            for col, key in (("edge", "edge_corr"), ("structure", "structure_corr"), ("face", "face_corr")):
                row[col] = min(kept[s][key] for s in sketches)
            for col in ("style_loss", "content_loss", "ink", "paper"):
                row[col] = float(scores[col].mean())
            rows.append(row)
            print(pd.DataFrame([row]).to_string(index=False, float_format=lambda v: f"{v:.3g}"), flush=True)
            if step == args.blind:
                blind_test(out / f"blind_{recipe}", out / f"blind_{recipe}_key.json", sketches, renders)
        gallery(out / f"gallery_{recipe}.png", sketches, frames, renders)
    df = pd.DataFrame(rows)
    csv = out / "bench.csv"
    if csv.exists():  # keep the other recipes' rows from earlier runs
        old = pd.read_csv(csv)
        df = pd.concat([old[~old["recipe"].isin(df["recipe"])], df], ignore_index=True)
    df.to_csv(csv, index=False, float_format="%.4g")
    print()
    print(df.to_string(index=False, float_format=lambda v: f"{v:.3g}"))


def blind_test(folder: Path, key_file: Path, sketches: dict[str, Path], renders: dict[str, list],
               scale: int = 3) -> None:
    """The issue's blind test, ready for a person, in sub-folders of ``folder``; each holds the
    sketches as ``sketch_A.png``, ``sketch_B.png`` ... (letters in a random order) and renders named
    ``render_01.png`` ... in a random order; which is which only in ``key_file``, outside the folder:

    - ``mixed/``: every model's renders of the same frames, shuffled together;
    - ``single_1/``, ``single_2/`` ...: one model's renders only (which one: the key). The mixed
      set can be sorted by elimination (two piles of different textures, then the piles matched
      to the sketches); here each render must show its sketch's marks on its own.

    Ask the person to say, for each render, which sketch's hand drew it (any split may be the
    answer), then compare with the key."""
    import random

    from PIL import Image

    rng = random.Random(os.urandom(8))
    order = list(sketches)
    rng.shuffle(order)
    letters = {s: chr(ord("A") + i) for i, s in enumerate(order)}
    singles = list(sketches)
    rng.shuffle(singles)
    sets = {"mixed": [(s, r) for s in sketches for r in renders[s]]}
    sets.update({f"single_{i}": [(s, r) for r in renders[s]] for i, s in enumerate(singles, 1)})
    key = {"sketches": {v: k for k, v in letters.items()},
           "single": {f"single_{i}": s for i, s in enumerate(singles, 1)}, "renders": {}}
    for name, items in sets.items():
        sub = folder / name
        sub.mkdir(parents=True, exist_ok=True)
        for old in sub.glob("*.png"):
            old.unlink()
        for s in order:
            im = Image.open(sketches[s]).convert("L")
            im.resize((768, round(768 * im.height / im.width)), Image.LANCZOS).save(sub / f"sketch_{letters[s]}.png")
        rng.shuffle(items)
        key["renders"][name] = {}
        for n, (s, r) in enumerate(items, 1):
            im = Image.fromarray(r[0].numpy() if r.shape[0] == 1 else r.permute(1, 2, 0).numpy())
            im.resize((im.width * scale, im.height * scale), Image.LANCZOS).save(sub / f"render_{n:02d}.png")
            key["renders"][name][f"render_{n:02d}"] = letters[s]
    key_file.write_text(json.dumps(key, indent=1))
    print(f"blind test: {folder}/mixed, single_* (the key: {key_file})", flush=True)


def gallery(path: Path, sketches: dict[str, Path], frames, renders, cell: int = 180) -> None:
    """Row 0: each sketch; then per frame: the frame, then each sketch's model's render."""
    from sketchbook.images import contact_sheet

    rows = [("sketch", [("frame", to_uint8(torch.ones(3, cell, cell)))] +
             [(s, to_uint8(resize_short_side(load_rgb(p), cell))) for s, p in sketches.items()])]
    for i, (name, x) in enumerate(frames):
        cells = [("frame", to_uint8(x))]
        for s in sketches:
            r = renders[s][i]
            cells.append((f"{s}'s model", r.expand(3, -1, -1) if r.shape[0] == 1 else r))
        rows.append((name, cells))
    contact_sheet(rows, path, cell=cell * 16 // 9)


if __name__ == "__main__":
    main()
