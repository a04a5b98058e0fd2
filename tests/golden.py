"""Golden outputs of the numeric stages, kept per code version (``CODE_VERSIONS``).

Each stage below computes a few small numbers from tiny fixed inputs, through the same functions
the workflow's rule runs. tests/golden/<stage>.json holds them with the stage's code version. If
the numbers change while the code version stays, the stage's output changed without the bump
that makes Snakemake re-run it: bump ``CODE_VERSIONS[stage]`` in sketchbook/__init__.py (or undo
the change), then regenerate::

    python tests/golden.py --update            # every stage
    python tests/golden.py --update plan_frames

The numbers are compared with a tolerance (``rtol``/``atol`` per stage, and 8-bit pixels within
one level on a few of them), not hashed: another CPU (Zen 3, 4, 5, Intel) may sum floats in
another order and differ in the last bits. Everything runs in fp32 on one thread.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent
GOLDEN = ROOT / "golden"
sys.path[:0] = [str(ROOT.parent), str(ROOT)]  # the package and tests/helpers.py, from anywhere


def _photo(size: int, seed: int) -> np.ndarray:
    """A float (size, size, 3) photo in [0, 1] (tests/helpers.make_photo's), for moving crops."""
    from helpers import make_photo
    from PIL import Image

    with tempfile.TemporaryDirectory() as d:
        return np.asarray(Image.open(make_photo(Path(d) / "p.png", size, seed)), np.float32) / 255


def _projections(values: np.ndarray, k: int = 6, seed: int = 0) -> list[float]:
    """``k`` fixed random projections of ``values`` (flattened): a short summary that moves with
    any change of the values, and by little for float noise."""
    v = np.asarray(values, np.float64).ravel()
    rng = np.random.default_rng(seed)
    return [float(rng.standard_normal(v.size) @ v) for _ in range(k)]


def _tiny_model_file(path: Path) -> Path:
    """A fixed small style model (width 4, 1 residual block, every norm different), as a file."""
    import torch

    from sketchbook.modelfile import save_model
    from sketchbook.network import TransformerNet

    torch.manual_seed(11)
    net = TransformerNet(4, 1)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    save_model(net, path, (0.2, 0.8))
    return path


def _loss_network():
    """A VGG16 loss network with seeded random weights (He-normal, biases 0): made in a fraction of
    the time of :func:`sketchbook.lossnet.random_weights` (no default initialisation first, and
    only the layers it uses)."""
    import torch

    from sketchbook.lossnet import LAYERS, LossNetwork, vgg16_features

    with torch.device("meta"):
        feats = vgg16_features()[: max(LAYERS.values()) + 1]
    feats = feats.to_empty(device="cpu")
    gen = torch.Generator().manual_seed(0)
    for m in feats:
        if isinstance(m, torch.nn.Conv2d):
            fan_out = m.out_channels * m.kernel_size[0] * m.kernel_size[1]
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_out) ** 0.5)
                m.bias.zero_()
    return LossNetwork(feats, "random")


def train_model(tmp: Path, temporal_weight: float = 0.0) -> dict:
    """Three fp32 training steps on the test sketch and photos (random VGG16): the first step's
    losses (before any update: the data, the network's first weights and the loss, closely), and
    after the steps the losses, the ink and paper levels and the network's output on a photo.

    Adam's first steps move every weight by about the learning rate, whatever the size of its
    gradient: a gradient that is float noise (another CPU's summation order) moves its weight as
    far as a real one. Three steps apart, two CPUs' networks differ by up to 0.2% in the losses and
    the levels (measured with PyTorch's and oneDNN's vector code turned down to SSE4.1 against
    AVX2), hence the wider tolerance after the first step."""
    import torch

    from helpers import make_photo, make_sketch
    from sketchbook.images import load_rgb
    from sketchbook.modelfile import load_model
    from sketchbook.network import TransformerNet
    from sketchbook.settings import TrainSettings
    from sketchbook.train import ink_levels, train

    make_sketch(tmp / "lines.png", seed=0)
    content = [make_photo(tmp / f"photo{i}.png", seed=i) for i in range(3)]
    s = TrainSettings(iterations=3, image_size=32, batch_size=2, width=8, n_residual=1, style_size=48,
                      precision="fp32", seed=5, tone_weight=1.0, temporal_weight=temporal_weight)
    train(s, tmp / "lines.png", content, _loss_network(), tmp / "m.pt", tmp / "l.csv",
          torch.device("cpu"), "fp32", progress=lambda m: None)
    model = load_model(tmp / "m.pt")
    with torch.no_grad():  # what the weights draw
        y = model.net(torch.from_numpy(_photo(32, 7)).permute(2, 0, 1)[None]).double()
    losses = np.loadtxt(tmp / "l.csv", delimiter=",", skiprows=1)[:, 1:-1]  # no step, no seconds
    torch.manual_seed(5)  # the levels of a network with fixed weights (ink_levels on its own)
    first = ink_levels(TransformerNet(8, 1), [load_rgb(p) for p in content], 64, torch.device("cpu"))
    return {"first_step": {"losses": losses[0].tolist(), "ink_paper_of_fixed_weights": list(first)},
            "after": {"losses": losses[1:].tolist(), "ink_paper": list(model.ink_paper),
                      "output": [float(y.mean()), float(y.std()), float(y.mean((0, 2, 3)).std())]}}


def train_model_temporal(tmp: Path) -> dict:
    """:func:`train_model` with a temporal term (moved copies of the photos' crops as its pairs):
    the models of variants with a ``temporal_weight`` answer to its own code version too."""
    return train_model(tmp, temporal_weight=1e3)


def _frames(folder: Path, n: int = 3, h: int = 20, w: int = 24) -> None:
    """``n`` frames of a photo panning right and down by a pixel or two a frame."""
    import torch

    from sketchbook.images import write_frame
    from sketchbook.video import FRAME_PATTERN

    photo = _photo(64, 3)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        crop = photo[i:i + h, 2 * i:2 * i + w]
        write_frame(torch.from_numpy(np.rint(crop * 255).astype(np.uint8)).permute(2, 0, 1).contiguous(),
                    folder / (FRAME_PATTERN % (i + 1)))


def stylize_frames(tmp: Path) -> dict:
    """A tiny clip through stylize_frames (fp32): the fused CPU network with two models, grayscale
    with levels, colour, and the flow stabilization (blend and tone match)."""
    import torch

    from sketchbook.images import read_frame
    from sketchbook.modelfile import load_model, save_model
    from sketchbook.plan import make_plan
    from sketchbook.stylize import stylize_frames as run

    _frames(tmp / "src")
    models = {"a": _tiny_model_file(tmp / "a.pt"), "b": tmp / "b.pt"}
    other = load_model(models["a"]).net  # a second model: the first one's weights scaled
    with torch.no_grad():
        for p in other.parameters():
            p.mul_(0.9)
    save_model(other, models["b"], (0.1, 0.9))
    plan = make_plan("golden", 3, "s", ["a", "b"], seed=0)
    out = {}
    for name, grayscale, stabilize in [("gray", True, 0.0), ("colour", False, 0.0), ("stabilized", True, 0.6)]:
        run(plan, tmp / "src", tmp / name, models, torch.device("cpu"), "fp32", color="gray" if grayscale else "sketch",
            levels=True, batch_size=2, io_threads=1, stabilize=stabilize, progress_file=io.StringIO())
        frames = [read_frame(p).numpy() for p in sorted((tmp / name).iterdir())]
        out[name] = _pack(np.stack(frames)[:, :1 if grayscale else 3])
    return out


def _pack(x: np.ndarray) -> dict:
    """uint8 pixels as JSON: their shape, and their bytes in hex (a few kB)."""
    return {"shape": list(x.shape), "uint8_hex": np.ascontiguousarray(x, np.uint8).tobytes().hex()}


def _unpack(d: dict) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(d["uint8_hex"]), np.uint8).reshape(d["shape"])


def plan_frames(tmp: Path) -> dict:
    """Plans of a few clips: one pick per frame, held picks, held ranges."""
    from sketchbook.plan import make_plan

    plans = {}
    for clip, n, variants, seed, hold in [("a", 11, ["x", "y", "z"], 0, 1), ("b", 23, ["x", "y"], 4, 3),
                                          ("c", 40, ["p", "q", "r"], 1, [2, 6]), ("d", 5, ["x"], 0, 2)]:
        plan = make_plan(clip, n, "s", variants, seed, hold)
        plans[clip] = "".join(plan["variant"])
    return {"plans": plans}


def measure_stability(tmp: Path) -> dict:
    """The stability numbers of a panning clip and a steadied copy of its stylized frames."""
    from sketchbook.stability import measure_frames

    photo = _photo(64, 5)
    src = [photo[i:i + 36, 2 * i:2 * i + 44] for i in range(4)]
    rng = np.random.default_rng(0)
    out = [np.clip(s.mean(-1, keepdims=True) + rng.normal(0, 0.05, s.shape[:2] + (1,)), 0, 1).astype(np.float32)
           for s in src]
    result = measure_frames(zip(src, out))
    return {k: result[k] for k in ("frames", "pairs", "warping_error", "flicker_ratio", "source_change",
                                    "output_change", "masked_fraction", "pair_warping_errors")}


def stabilize_blend(tmp: Path) -> dict:
    """stabilize_frame and match_tones on their own, with a known flow (no optical flow)."""
    from sketchbook.stylize import match_tones, stabilize_frame

    rng = np.random.default_rng(1)
    cur = (rng.random((20, 24)) * 255).astype(np.float32)
    prev = (rng.random((20, 24)) * 255).astype(np.float32)
    flow = np.zeros((20, 24, 2), np.float32)
    flow[..., 0], flow[..., 1] = 1.25, -0.5
    valid = np.ones((20, 24), bool)
    valid[:, :3] = False
    blended = stabilize_frame(cur, prev, flow, valid, 0.5)
    colour = match_tones(np.stack([cur, prev, cur], -1), np.stack([prev, cur, prev], -1), valid)
    return {"blend": _projections(blended), "blend_sum": float(blended.sum(dtype=np.float64)),
            "match": _projections(colour)}


#: A tolerance: (rtol, atol, the share of an array's values that may differ at all).
Tolerance = tuple[float, float, float]
#: stage -> (the CODE_VERSIONS key it answers to, its function, its tolerance, and for some of its
#: top-level values their own). 8-bit pixels may round the other way after float noise: within a
#: level, on a few of them.
STAGES: dict[str, tuple[str, Callable[[Path], dict], Tolerance, dict[str, Tolerance]]] = {
    "train_model": ("train_model", train_model, (1e-4, 1e-7, 1.0), {"after": (1e-2, 1e-5, 1.0)}),
    "train_model_temporal": ("train_model_temporal", train_model_temporal, (1e-4, 1e-7, 1.0),
                             {"after": (1e-2, 1e-5, 1.0)}),
    "stylize_frames": ("stylize_frames", stylize_frames, (0.0, 1.0, 0.01), {}),
    "stabilize_blend": ("stylize_frames", stabilize_blend, (1e-4, 1e-3, 1.0), {}),
    "plan_frames": ("plan_frames", plan_frames, (0.0, 0.0, 0.0), {}),
    "measure_stability": ("measure_stability", measure_stability, (1e-3, 1e-7, 1.0), {}),
}


def compute(stage: str) -> dict:
    """The stage's numbers (deterministic: fp32, one thread, fixed seeds)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with tempfile.TemporaryDirectory() as d:
            return json.loads(json.dumps(STAGES[stage][1](Path(d))))  # plain JSON values
    finally:
        torch.set_num_threads(threads)


def path(stage: str) -> Path:
    return GOLDEN / f"{stage}.json"


def code_version(stage: str) -> str:
    from sketchbook import CODE_VERSIONS

    return CODE_VERSIONS[STAGES[stage][0]]


def update(stage: str) -> Path:
    p = path(stage)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps({"stage": STAGES[stage][0], "code_version": code_version(stage),
                             "values": compute(stage)}, indent=1, sort_keys=True) + "\n")
    return p


def stage_differences(stage: str, expected: dict, got: dict) -> list[str]:
    """:func:`differences` of a stage's values, each top-level value with its tolerance."""
    _, _, tol, per_key = STAGES[stage]
    if expected.keys() != got.keys():
        return [f"top: keys {sorted(expected)} != {sorted(got)}"]
    return [d for k in expected for d in differences(expected[k], got[k], *per_key.get(k, tol), where=f".{k}")]


def differences(expected, got, rtol: float, atol: float, changed: float = 1.0, where: str = "") -> list[str]:
    """Where ``got`` differs from ``expected`` beyond the tolerance, or in more than a ``changed``
    share of an array's values (empty: the same)."""
    if isinstance(expected, dict) and isinstance(got, dict) and "uint8_hex" in expected and "uint8_hex" in got:
        expected, got = _unpack(expected), _unpack(got)
    elif isinstance(expected, dict) and isinstance(got, dict):
        if expected.keys() != got.keys():
            return [f"{where or 'top'}: keys {sorted(expected)} != {sorted(got)}"]
        return [d for k in expected for d in differences(expected[k], got[k], rtol, atol, changed, f"{where}.{k}")]
    if isinstance(expected, (str, bool)) or expected is None or isinstance(got, (str, bool)) or got is None:
        return [] if expected == got else [f"{where}: {expected!r} != {got!r}"]
    e, g = np.asarray(expected, np.float64), np.asarray(got, np.float64)
    if e.shape != g.shape:
        return [f"{where}: shape {e.shape} != {g.shape}"]
    bad = ~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        i = np.argwhere(bad)[0]
        return [f"{where}: {int(bad.sum())} of {e.size} value(s) differ, e.g. at {tuple(int(v) for v in i)}: "
                f"{e[tuple(i)]!r} stored, {g[tuple(i)]!r} now"]
    moved = int((g != e).sum())
    if moved > changed * e.size:
        return [f"{where}: {moved} of {e.size} value(s) moved (within the tolerance, but more than "
                f"{changed:.0%} of them)"]
    return []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--update", action="store_true", help="write tests/golden/<stage>.json")
    ap.add_argument("stages", nargs="*", help=f"default: all ({', '.join(STAGES)})")
    args = ap.parse_args(argv)
    stages = args.stages or list(STAGES)
    for stage in stages:
        if stage not in STAGES:
            ap.error(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
        if args.update:
            print(f"{stage}: code version {code_version(stage)}, wrote {update(stage).relative_to(ROOT.parent)}")
        else:
            stored = json.loads(path(stage).read_text())
            diffs = stage_differences(stage, stored["values"], compute(stage))
            print(f"{stage}: " + ("same" if not diffs else "; ".join(diffs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
