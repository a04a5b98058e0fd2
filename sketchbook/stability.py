"""Temporal stability of a stylized clip: how much it flickers and swims where the footage does not.

Two numbers per clip, both on luminance in [0, 1] (Rec. 601; a 1-channel frame is its own
luminance), both *lower is steadier*:

* **warping error** (Lai et al. 2018, "Learning Blind Video Temporal Consistency", eq. 6): for each
  pair of consecutive frames ``t-1, t``, the optical flow is computed on the *source* frames ``I``
  (never on the stylized ones, whose strokes would make any flicker look like motion), with
  :mod:`sketchbook.flow`'s conventions::

      f, M = flow_and_mask(I_t, I_{t-1})      # f pulls frame t-1 onto frame t's grid
      E_t = sum(M * (warp(O_{t-1}, f) - O_t) ** 2) / sum(M)

  ``O`` is the stylized output and ``M`` the valid mask on frame ``t``'s grid: pixels that fail the
  forward-backward check (occluded or disoccluded between the two frames) or come from outside the
  frame are left out. The clip's warping error is the mean of ``E_t`` over its pairs. An output that
  moves with the footage scores near 0; strokes that boil or flicker score their squared change.
  It is a mean squared difference of [0, 1] values: 0.01 is an RMS change of 0.1 where things hold
  still in the footage.
* **flicker ratio** ``R = mean|O_t - O_{t-1}| / mean|I_t - I_{t-1}|``, the means over every pixel of
  every pair (a ratio of the clip's means, not a mean of per-pair ratios, which a still pair would
  blow up). No flow: it says how much more the stylized frames change from one to the next than the
  footage does (1: as much; a constant output: 0; a drawing that boils: well above 1). It is
  ``None`` for a still clip (source change below :data:`STILL`, a fortieth of an 8-bit level), where
  there is nothing to compare with: look at ``output_change`` then.

Flow is DIS (:mod:`sketchbook.flow`), both directions per pair: about 30 ms a pair of 320x240
frames on one slow core (the two flows 13 ms, the forward-backward check 3, reading the
two PNGs of a frame 9), under 3 s for a 100-frame clip. Needs numpy, Pillow and OpenCV, no torch.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

import numpy as np
from PIL import Image

from . import flow
from .flow import luminance
from .errors import InputFileError

#: Mean source change per pixel below which a clip counts as still (the flicker ratio is None):
#: a fortieth of an 8-bit level, nothing moves. (A clip where one small thing moves is not still:
#: the workflow test's tiny clips change 2e-4 a pixel.)
STILL = 1e-4

#: OpenCV's DIS needs a frame this wide or high; smaller frames get no warping error (None).
MIN_FLOW_SIDE = 12

#: Digits kept in the JSON and the table.
DIGITS = 6


def read_luminance(path: Path | str) -> np.ndarray:
    """A frame file's luminance, (H, W) float32 in [0, 1] (8- or 16-bit, gray or colour, alpha ignored)."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                a = np.asarray(im, dtype=np.float32) / 65535.0
            elif im.mode == "L":
                a = np.asarray(im, dtype=np.float32) / 255.0
            else:
                a = luminance(np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0)
    except (OSError, ValueError) as exc:
        raise InputFileError(f"frame {path}: not a readable image ({exc})") from exc
    return a


@dataclass(frozen=True)
class PairStats:
    """One pair of consecutive frames, ``t-1`` -> ``t``."""

    #: Lai et al.'s E_t (NaN when no pixel passes the occlusion check, or the frame is too small
    #: for flow: both sides under :data:`MIN_FLOW_SIDE`).
    warping_error: float
    #: Share of frame t's pixels left out by the occlusion mask.
    masked_fraction: float
    #: mean |I_t - I_{t-1}| and mean |O_t - O_{t-1}| over the pixels.
    source_change: float
    output_change: float


def pair_stats(src_prev: np.ndarray, src: np.ndarray, out_prev: np.ndarray, out: np.ndarray,
               estimator: Optional[flow.FlowEstimator] = None) -> PairStats:
    """The stability numbers of one pair of frames (numpy images, float [0, 1]; see the module doc).

    ``src_prev``/``src`` are the source frames ``I_{t-1}``, ``I_t`` (the flow is computed on them),
    ``out_prev``/``out`` the stylized ``O_{t-1}``, ``O_t``; all four the same height and width,
    any channel count. Pass one ``estimator`` to reuse it over a clip.
    """
    i0, i1, o0, o1 = (luminance(x) for x in (src_prev, src, out_prev, out))
    shapes = {x.shape for x in (i0, i1, o0, o1)}
    if len(shapes) != 1:
        raise ValueError(f"frames differ in size: {sorted(shapes)}")
    if max(i0.shape) < MIN_FLOW_SIDE:
        valid = np.zeros(i0.shape, bool)  # no flow to warp by: no warping error
    else:
        f, valid = flow.flow_and_mask(i1, i0, estimator)
    n = int(valid.sum())
    if n:
        d = flow.warp(o0, f) - o1
        err = float(np.square(d, dtype=np.float64)[valid].sum() / n)
    else:
        err = math.nan
    return PairStats(err, 1.0 - n / valid.size, float(np.abs(i1 - i0).mean(dtype=np.float64)),
                     float(np.abs(o1 - o0).mean(dtype=np.float64)))


def warping_error(src_prev: np.ndarray, src: np.ndarray, out_prev: np.ndarray, out: np.ndarray,
                  estimator: Optional[flow.FlowEstimator] = None) -> float:
    """Lai et al.'s warping error E_t of one pair (see :func:`pair_stats`)."""
    return pair_stats(src_prev, src, out_prev, out, estimator).warping_error


def flicker_ratio(source_change: float, output_change: float) -> Optional[float]:
    """``output_change / source_change``; None for a still source (below :data:`STILL`)."""
    if not source_change >= STILL:  # also NaN
        return None
    return output_change / source_change


def _round(x: Optional[float]) -> Optional[float]:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{DIGITS}g}")


def summarize(pairs: Sequence[PairStats], frames: int) -> dict:
    """A clip's numbers from its pairs' (the dict :func:`measure_clip` returns)."""
    errs = [p.warping_error for p in pairs if math.isfinite(p.warping_error)]
    src = float(np.mean([p.source_change for p in pairs])) if pairs else math.nan
    out = float(np.mean([p.output_change for p in pairs])) if pairs else math.nan
    return {
        "frames": frames,
        "pairs": len(pairs),
        "warping_error": _round(float(np.mean(errs)) if errs else math.nan),
        "flicker_ratio": _round(flicker_ratio(src, out)),
        "source_change": _round(src),
        "output_change": _round(out),
        "masked_fraction": _round(float(np.mean([p.masked_fraction for p in pairs])) if pairs else math.nan),
        "pair_warping_errors": [_round(p.warping_error) for p in pairs],
    }


def measure_frames(frames: Iterable[tuple[np.ndarray, np.ndarray]],
                   estimator: Optional[flow.FlowEstimator] = None) -> dict:
    """Measure a clip given as (source, stylized) frames in order, read as they are needed (two
    lists: ``zip(sources, outputs, strict=True)``); see :func:`summarize`."""
    est = estimator or flow.FlowEstimator()
    pairs: list[PairStats] = []
    n = 0
    prev = None
    for src, out in frames:
        n += 1
        if prev is not None:
            pairs.append(pair_stats(prev[0], src, prev[1], out, est))
        prev = (src, out)
    return summarize(pairs, n)


def frame_files(folder: Path | str, what: str) -> list[Path]:
    """A frames folder's PNGs in order (named by :data:`sketchbook.video.FRAME_PATTERN`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{what} frames {folder}: no such folder")
    files = sorted(folder.glob("*.png"))
    if not files:
        raise InputFileError(f"{what} frames {folder}: no PNG frames in it")
    return files


def measure_clip(source_dir: Path | str, stylized_dir: Path | str,
                 estimator: Optional[flow.FlowEstimator] = None) -> dict:
    """Measure a clip from its source frames folder and its stylized frames folder.

    Both folders hold the same frame names (``000001.png`` ...) at the same size; the stylized may
    be 1-channel. Returns ``frames``, ``pairs``, ``warping_error``, ``flicker_ratio``,
    ``source_change``, ``output_change``, ``masked_fraction`` (each pair's share of pixels the
    occlusion mask leaves out, averaged) and ``pair_warping_errors`` (one per pair, in order);
    None where a number is undefined (a single frame, a still clip's ratio).
    Raises :class:`~sketchbook.errors.InputFileError` naming the folder when the frames differ in
    names, count or size.
    """
    src_files = frame_files(source_dir, "source")
    out_files = frame_files(stylized_dir, "stylized")
    if [p.name for p in src_files] != [p.name for p in out_files]:
        missing = sorted({p.name for p in src_files} ^ {p.name for p in out_files})
        raise InputFileError(
            f"stylized frames {stylized_dir}: {len(out_files)} frames where the source {source_dir} has "
            f"{len(src_files)} (not in both: {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''})")

    def pairs_of_frames() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for s, o in zip(src_files, out_files):
            a, b = read_luminance(s), read_luminance(o)
            if a.shape != b.shape:
                raise InputFileError(
                    f"stylized frames {stylized_dir}: {o.name} is {b.shape[1]}x{b.shape[0]}, its source "
                    f"in {source_dir} {a.shape[1]}x{a.shape[0]}: measure frames of the same size")
            yield a, b

    return measure_frames(pairs_of_frames(), estimator)


def to_json(result: dict) -> str:
    """A clip's result as JSON text, one key a line (the per-pair list on one line too)."""
    lines = [f"  {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in result.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


#: The table's columns after clip, sketch and variants (:func:`table`).
COLUMNS = ["frames", "pairs", "warping_error", "flicker_ratio", "source_change", "output_change",
           "masked_fraction"]


def table(results: dict[str, dict], clips: dict[str, dict]):
    """One row per clip, in ``clips``' order: clip, sketch, variants (joined by ``+``), then
    :data:`COLUMNS` from its measured ``results[clip]`` (empty where undefined). A pandas DataFrame."""
    import pandas as pd

    rows = []
    for clip, c in clips.items():
        r = results[clip]
        rows.append({"clip": clip, "sketch": c["sketch"], "variants": "+".join(c["variants"]),
                     **{k: r.get(k) for k in COLUMNS}})
    return pd.DataFrame(rows, columns=["clip", "sketch", "variants", *COLUMNS])
