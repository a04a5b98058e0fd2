"""The style morph at a cut: the drawing changes hand while the footage runs on.

The last frames of the clip before the cut and the first frames of the clip after are drawn a
second time, by the other clip's model (the after clip's first planned variant for the before
clip's tail, the before clip's last planned variant for the after clip's head: the drawing on
screen at the cut), with that clip's render settings, and blended with the clip's own frames
(as stylized: its plan, its stabilization). The after clip's share rises over the whole window
(:func:`sketchbook.transitions.morph_weights`). The frames go to a folder the join splices in
place of the clips' own: the film keeps its frames and its sound.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import pandas as pd
import torch

from .atomic import atomic_dir, atomic_file
from .errors import InputFileError
from .images import read_frame, write_frame
from .stylize import Stylizer, draw_batch, finish_frames, load_model
from .transitions import MORPH_HEAD, MORPH_TAIL, morph_weights, plan_cut
from .video import FramesMeta

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Side:
    """One clip at a cut: its frames, as extracted and as stylized, its plan and its hand."""

    clip: str
    meta: FramesMeta
    frames_dir: Path
    stylized_dir: Path
    plan: pd.DataFrame
    models: Mapping[str, Path | str]   # variant -> model file
    render: Mapping                    # the clip's render settings (color, levels, strength)


def _draw(stylizer: Stylizer, frames: torch.Tensor, render: Mapping, device, precision: str) -> torch.Tensor:
    """Source frames, uint8 (N, 3, H, W) -> drawn by a clip's model and finished with its render
    settings by stylize_frames's own steps (not stabilized), uint8 (N, 3, H, W): gray repeated."""
    color = render["color"]
    drawn = draw_batch(stylizer, frames, device, precision, color, bool(render["levels"]))
    out = finish_frames(drawn, frames, color, render["strength"])
    return out.expand(-1, 3, -1, -1).contiguous() if out.shape[1] == 1 else out


def _stylizer(side: Side, variant: str, device, precision: str) -> Stylizer:
    if variant not in side.models:
        raise InputFileError(f"clip {side.clip}: its plan names variant {variant!r}, with no model given")
    return Stylizer(load_model(side.models[variant], device), device, precision)


def _blend(own: torch.Tensor, other: torch.Tensor, w_other: float) -> torch.Tensor:
    out = own.float() * (1 - w_other) + other.float() * w_other
    return out.round_().clamp_(0, 255).to(torch.uint8)


def _write(img: torch.Tensor, path: Path) -> None:
    gray = torch.equal(img[0], img[1]) and torch.equal(img[1], img[2])
    write_frame(img[:1] if gray else img, path)  # grayscale: one channel, as stylize writes


def morph_cut(before: Side, after: Side, duration: float, out_dir: Path | str, meta_out: Path | str,
              device, precision: str, batch_size: int = 8) -> dict:
    """Blend the two hands over the frames around the cut ``before`` -> ``after``.

    Writes ``tail_NNNNNN.png`` (the before clip's last frames) and ``head_NNNNNN.png`` (the after
    clip's first) into ``out_dir`` and a JSON to ``meta_out``: the frame counts, which frames they
    replace, each frame's share of the after clip's hand, the variants drawn with. Returns it.
    """
    out_dir, meta_out = Path(out_dir), Path(meta_out)
    device = torch.device(device)
    a, b = before, after
    cut = plan_cut(a.clip, b.clip, a.meta.frames, a.meta.fps, b.meta.frames, b.meta.fps,
                   {"type": "morph", "duration": duration}, a.meta.fps)
    w_tail, w_head = morph_weights(cut.tail, a.meta.fps, cut.head, b.meta.fps)
    plan_a = a.plan.sort_values("frame", kind="stable")
    plan_b = b.plan.sort_values("frame", kind="stable")
    if len(plan_a) != a.meta.frames or len(plan_b) != b.meta.frames:
        raise InputFileError(f"cut {a.clip} -> {b.clip}: plans of {len(plan_a)} and {len(plan_b)} frames, "
                             f"the clips have {a.meta.frames} and {b.meta.frames}")
    # The hand on screen at the cut: the before clip's last pick, the after clip's first.
    hand_a, hand_b = str(plan_a["variant"].iloc[-1]), str(plan_b["variant"].iloc[0])
    tail_files = list(plan_a["file"])[a.meta.frames - cut.tail:]
    head_files = list(plan_b["file"])[:cut.head]
    log.info("cut %s -> %s: morph of %.3f s: the last %d frames of %s drawn also by %s's %s, the first %d of %s "
             "also by %s's %s", a.clip, b.clip, cut.seconds, cut.tail, a.clip, b.clip, hand_b, cut.head,
             b.clip, a.clip, hand_a)

    def redraw(side: Side, files: list[str], other: Side, variant: str, weights: list[float], own_is_after: bool,
               pattern: str, tmp: Path) -> None:
        if not files:
            return
        st = _stylizer(other, variant, device, precision)
        for i in range(0, len(files), batch_size):
            batch = files[i:i + batch_size]
            src = torch.stack([read_frame(side.frames_dir / f) for f in batch])
            drawn = _draw(st, src, other.render, device, precision)
            for j, f in enumerate(batch):
                own = read_frame(side.stylized_dir / f)
                if own.shape != drawn[j].shape:
                    raise InputFileError(f"{side.stylized_dir / f}: {tuple(own.shape[1:])} px, its source frame "
                                         f"{tuple(drawn[j].shape[1:])}")
                w = weights[i + j]
                img = _blend(own, drawn[j], 1 - w) if own_is_after else _blend(own, drawn[j], w)
                _write(img, tmp / (pattern % (i + j + 1)))
        del st

    with atomic_dir(out_dir) as tmp:
        redraw(a, tail_files, b, hand_b, w_tail, False, MORPH_TAIL, tmp)
        redraw(b, head_files, a, hand_a, w_head, True, MORPH_HEAD, tmp)
    info = {
        "before": a.clip, "after": b.clip, "duration": float(duration), "seconds": cut.seconds,
        "clamped": cut.clamped,
        "tail": {"frames": cut.tail, "replaces": tail_files, "fps": a.meta.fps, "drawn_also_by": hand_b,
                 "after_share": w_tail},
        "head": {"frames": cut.head, "replaces": head_files, "fps": b.meta.fps, "drawn_also_by": hand_a,
                 "after_share": w_head},
    }
    with atomic_file(meta_out) as t:
        t.write_text(json.dumps(info, indent=2) + "\n")
    return info
