"""Temporal stability side by side: the per-frame baseline against every stability option, one run.

One sketch (``--sketch``, the demo's hatch), the demo's training recipe (config.yaml's first
variant) at ``--steps`` steps, trained here with ``temporal_weight`` 0 (the baseline) and with each
weight in ``--temporal`` (the same seed, crops and steps; with ``--seeds``, all of it again for each
seed: one seed's style loss varies by about 15% from another's at 600 steps). Then every option renders the same clips
through the workflow's own ``stylize_frames`` (grayscale, levels, as the film shows them): the
demo's three clips at their config rates and a clip with real motion (``motion_clip.py``: cut-outs
moving, turning and occluding over a panned photo), and is measured with ``sketchbook.stability``:

- ``warp_err``: Lai et al.'s warping error (flow of the *source* frames, occlusions masked), the
  mean over the clips, and ``x_base``, its ratio to the baseline's;
- ``R``: the flicker ratio, how much the output changes per frame against the source;
- ``style``/``content``: the scores table's losses (default weights and layers) on the rendered
  frames, every 6th, against the sketch and the source frame (the clips are not training content):
  stability must not be bought by washing the drawing out; ``x_style`` is the style loss's ratio
  to the baseline's;
- ``fps``/``x_fps``: stylize frames per second (the whole step: read, network, blend, write), best of
  ``--rounds`` rounds run alternately, and its ratio to the baseline's;
- ``train_s``/``x_train``: seconds per training step and its ratio to the baseline's.

Options: ``base`` (temporal_weight 0), ``tw{W}`` (trained with the temporal term), ``base+st{S}``
(the baseline stabilized with flow at render time, strength S), ``tw{W}+st{S}``, and, with two
models of the sketch, ``pick`` (the seed's per-frame random pick between base and the first tw
model) against ``pick+hold`` (each pick lasts 6-12 frames).

    python benchmarks/stability.py                       # hatch, 200 steps, about 30 minutes here
    python benchmarks/stability.py --steps 40 --clips motion --rounds 1   # a smoke run

Every ratio is taken against the same seed's baseline; with several seeds the table shows their
means (seed ``mean``) and then each seed's figures, to show the spread.

Writes ``results/stability_bench/bench.csv`` (one row per option, seed and clip, and the means) and
``strip.png``: consecutive frames of the motion clip, the source and each option.
"""

from __future__ import annotations

import argparse
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
from sketchbook import stability  # noqa: E402
from sketchbook.content import list_images, split_held_out  # noqa: E402
from sketchbook.images import load_rgb, read_frame, resize_short_side  # noqa: E402
from sketchbook.lossnet import fetch_weights, load_loss_network  # noqa: E402
from sketchbook.plan import make_plan  # noqa: E402
from sketchbook.precision import pick_device, resolve_precision  # noqa: E402
from sketchbook.stylize import stylize_frames  # noqa: E402
from sketchbook.train import StyleLoss, TrainSettings, train  # noqa: E402
from sketchbook.video import FRAME_PATTERN, extract  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from motion_clip import make_motion_clip  # noqa: E402

#: Every how many frames the style and content losses are taken.
LOSS_EVERY = 6


def demo_config() -> dict:
    return sbconfig.validate(yaml.safe_load((REPO / "config.yaml").read_text()), check_files=False)


def clip_frames(work: Path, names: list[str], cfg: dict) -> dict[str, Path]:
    """Each clip's frames at the demo's render size and rate (extracted once, reused)."""
    out = {}
    for name in names:
        frames = work / "frames" / name
        if not (frames / (FRAME_PATTERN % 1)).exists():
            if name == "motion":
                src, fps = work / "motion.mp4", None
                make_motion_clip(src)
            else:
                c = cfg["clips"][name]
                src, fps = REPO / c["path"], c.get("fps")
            extract(src, frames, work / f"{name}.wav", work / f"{name}.json", name, fps=fps,
                    max_side=cfg["render"]["max_side"])
        out[name] = frames
    return out


def train_one(settings: TrainSettings, sketch: Path, content: list[Path], lossnet, out: Path, device,
              precision: str) -> tuple[Path, float]:
    """Train (or reuse) one model; returns its file and the seconds per step (this run's or the stored)."""
    model, timing = out.with_suffix(".pt"), out.with_suffix(".sec_per_step")
    if model.exists() and timing.exists():
        return model, float(timing.read_text())
    out.parent.mkdir(parents=True, exist_ok=True)
    res = train(settings, sketch, content, lossnet, model, out.with_suffix(".losses.csv"), device, precision,
                progress=lambda m: print("   ", m, flush=True))
    sec = res.seconds / max(1, res.steps)
    timing.write_text(f"{sec:.4f}\n")
    return model, sec


def losses(frames: Path, rendered: Path, style: StyleLoss) -> tuple[float, float]:
    """Mean style and content loss of every LOSS_EVERY-th rendered frame (against its source)."""
    acc_s = acc_c = 0.0
    files = sorted(frames.glob("*.png"))[::LOSS_EVERY]
    with torch.inference_mode():
        for f in files:
            x = read_frame(f).float().div(255)[None]
            y = read_frame(rendered / f.name).float().div(255)[None]
            _, lo = style(y, x, "fp32")
            acc_s += lo.style
            acc_c += lo.content
    return acc_s / len(files), acc_c / len(files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sketch", default="hatch")
    ap.add_argument("--steps", type=int, default=200, help="training steps per model (%(default)s)")
    ap.add_argument("--temporal", default="10", help="temporal_weight values, comma-separated (%(default)s)")
    ap.add_argument("--stabilize", default="0.5", help="render-time strengths, comma-separated (%(default)s)")
    ap.add_argument("--clips", default="intro,coffee,cat,motion", help="demo clip ids and 'motion'")
    ap.add_argument("--seeds", default="", help="training seeds, comma-separated; the ratios are taken "
                    "against the same seed's baseline, then averaged (default: the recipe's seed)")
    ap.add_argument("--rounds", type=int, default=2, help="render rounds per option, best taken (%(default)s)")
    ap.add_argument("--out", default=str(REPO / "results/stability_bench"))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = demo_config()
    device = pick_device()
    weights, info = out / "vgg16.pt", out / "vgg16.json"
    if not weights.exists():
        fetch_weights(weights, info)
    lossnet, _ = load_loss_network(weights, info, device)
    sketch = REPO / cfg["sketches"][args.sketch]
    train_content, _ = split_held_out(list_images(REPO / cfg["content"]["images"]), cfg["content"]["held_out"])
    recipe = sbconfig.train_settings(cfg, next(iter(cfg["variants"])))
    clips = clip_frames(out, args.clips.split(","), cfg)
    yard = TrainSettings()
    style = StyleLoss(lossnet, resize_short_side(load_rgb(sketch), yard.style_size), yard)
    prec = resolve_precision("auto", device)

    # Training: the baseline and each temporal weight, same recipe, steps and seed (for each seed).
    seeds = [int(v) for v in args.seeds.split(",") if v] or [int(recipe.get("seed", 0))]
    models, train_s = {}, {}
    for seed in seeds:
        for w in [0.0] + [float(v) for v in args.temporal.split(",") if v]:
            name = "base" if w == 0 else f"tw{w:g}"
            s = TrainSettings.from_dict({**recipe, "iterations": args.steps, "temporal_weight": w, "seed": seed})
            print(f"training {name}: {args.sketch}, {args.steps} steps, temporal_weight {w:g}, seed {seed}", flush=True)
            models[seed, name], train_s[seed, name] = train_one(
                s, sketch, train_content, lossnet, out / "models" / f"{args.sketch}_{name}_s{seed}_{args.steps}",
                device, resolve_precision(s.precision, device))
    names = list(dict.fromkeys(name for _, name in models))
    strengths = [float(v) for v in args.stabilize.split(",") if v]
    options: dict[str, dict] = {}  # option -> the model names it renders with, stabilize, hold
    for name in names:
        options[name] = {"models": [name], "stabilize": 0.0, "hold": 1}
        for st in strengths:
            options[f"{name}+st{st:g}"] = {"models": [name], "stabilize": st, "hold": 1}
    if len(names) > 1:
        options["pick"] = {"models": names[:2], "stabilize": 0.0, "hold": 1}
        options["pick+hold"] = {"models": names[:2], "stabilize": 0.0, "hold": [6, 12]}

    # Rendering: rounds alternate over the options so that a busy machine slows them alike.
    seconds: dict[tuple[int, str, str], float] = {}
    devnull = open(os.devnull, "w")
    for r in range(args.rounds):
        for seed in seeds:
            for opt, o in options.items():
                for clip, frames in clips.items():
                    n = len(list(frames.glob("*.png")))
                    plan = make_plan(clip, n, args.sketch, o["models"], seed=0, hold=o["hold"])
                    dest = out / "render" / f"s{seed}" / opt / clip
                    t0 = time.perf_counter()
                    stylize_frames(plan, frames, dest if r == 0 else out / "render_tmp",
                                   {m: models[seed, m] for m in o["models"]}, device, prec, color="gray",
                                   levels=True, stabilize=o["stabilize"], progress_file=devnull)
                    dt = time.perf_counter() - t0
                    seconds[seed, opt, clip] = min(dt, seconds.get((seed, opt, clip), dt))
                print(f"round {r + 1}, seed {seed}: {opt} rendered", flush=True)

    rows = []
    for seed in seeds:
        for opt, o in options.items():
            for clip, frames in clips.items():
                dest = out / "render" / f"s{seed}" / opt / clip
                m = stability.measure_clip(frames, dest)
                sl, cl = losses(frames, dest, style)
                rows.append({"option": opt, "seed": seed, "clip": clip, "warp_err": m["warping_error"],
                             "R": m["flicker_ratio"], "style": sl, "content": cl, "frames": m["frames"],
                             "sec": seconds[seed, opt, clip],
                             "train_s": train_s[seed, o["models"][0]] if len(o["models"]) == 1 else float("nan")})
    df = table(pd.DataFrame(rows), seeds)
    df.to_csv(out / "bench.csv", index=False, float_format="%.4g")
    pd.set_option("display.width", 200)
    shown = df[df["seed"] == ("mean" if len(seeds) > 1 else str(seeds[0]))]
    over = "the clips" + (f" and seeds {seeds}" if len(seeds) > 1 else "")
    for clip in list(clips) + ["mean"]:
        print(f"\n{clip}:" if clip != "mean" else f"\nmean over {over}:")
        print(shown[shown["clip"] == clip].drop(columns=["clip", "seed", "frames", "sec"]).to_string(
            index=False, float_format=lambda v: f"{v:.3g}"))
    if len(seeds) > 1:
        print("\neach seed, mean over the clips (seed to seed spread):")
        each = df[(df["clip"] == "mean") & (df["seed"] != "mean")]
        print(each[["option", "seed", "warp_err", "x_base", "style", "x_style", "x_train"]].to_string(
            index=False, float_format=lambda v: f"{v:.3g}"))
    if "motion" in clips:
        strip(out / "strip.png", clips["motion"], out / "render" / f"s{seeds[0]}", list(options))
    print(f"\nwrote {out / 'bench.csv'}" + (f" and {out / 'strip.png'}" if "motion" in clips else ""))


def table(df: pd.DataFrame, seeds: list[int]) -> pd.DataFrame:
    """The bench table from one row per (option, seed, clip): adds each (option, seed)'s mean over
    the clips (clip ``mean``), the ratios to the same seed's baseline (``x_base`` warping error,
    ``x_style`` style loss, ``x_fps``, ``x_train``) and, with several seeds, every figure's mean
    over the seeds (seed ``mean``: the mean of the ratios)."""
    mean = df.groupby(["option", "seed"], sort=False).agg(
        warp_err=("warp_err", "mean"), R=("R", "mean"), style=("style", "mean"), content=("content", "mean"),
        frames=("frames", "sum"), sec=("sec", "sum"), train_s=("train_s", "first")).reset_index()
    mean["clip"] = "mean"
    df = pd.concat([df, mean], ignore_index=True)
    df["fps"] = df["frames"] / df["sec"]
    base = df[df["option"] == "base"].set_index(["seed", "clip"])
    key = pd.MultiIndex.from_arrays([df["seed"], df["clip"]])
    for col, new in (("warp_err", "x_base"), ("style", "x_style"), ("fps", "x_fps"), ("train_s", "x_train")):
        df[new] = df[col].to_numpy() / base[col].reindex(key).to_numpy()
    df["seed"] = df["seed"].astype(str)
    if len(seeds) > 1:
        avg = df.groupby(["option", "clip"], sort=False).mean(numeric_only=True).reset_index()
        avg["seed"] = "mean"
        df = pd.concat([df, avg], ignore_index=True)
    return df


def strip(path: Path, frames: Path, renders: Path, options: list[str], first: int = 30, n: int = 5) -> None:
    """Consecutive frames of the motion clip at their own size: the source, then each option, a row each."""
    from PIL import Image, ImageDraw

    names = [FRAME_PATTERN % i for i in range(first, first + n)]
    rows = [("source", frames)] + [(opt, renders / opt / "motion") for opt in options]
    w, h = Image.open(frames / names[0]).size
    label, gap = 90, 2
    sheet = Image.new("RGB", (label + n * (w + gap), len(rows) * (h + gap) + 14), "white")
    d = ImageDraw.Draw(sheet)
    for c, f in enumerate(names):
        d.text((label + c * (w + gap) + 2, 1), f"frame {first + c}", fill="black")
    for r, (name, folder) in enumerate(rows):
        y = 14 + r * (h + gap)
        d.text((2, y + h // 2 - 5), name, fill="black")
        for c, f in enumerate(names):
            sheet.paste(Image.open(folder / f).convert("RGB"), (label + c * (w + gap), y))
    sheet.save(path)


if __name__ == "__main__":
    main()
