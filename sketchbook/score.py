"""Scoring trained models on held-out content images: one row per model, ranked per sketch."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd
import torch

from . import fidelity
from .images import load_rgb, luminance, resize_short_side, to_uint8
from .lossnet import LossNetwork
from .modelfile import load_model
from .stylize import finish
from .settings import TrainSettings
from .temporal import known_motion_error
from .train import StyleLoss

#: The columns of ``results/models/scores.csv``.
COLUMNS = ["sketch", "variant", "rank", "label", "score", "own_other", "nearest_other", "hand_distance",
           "edge_corr", "structure_corr", "face_corr", "warp_error", "style_loss", "content_loss", "tv", "ink",
           "paper", "iterations", "style_weight", "content_weight", "tv_weight", "seed"]


def label(rank: int, n: int) -> str:
    """The seed's names by rank: the best is "really good", the last of three or more "weird"."""
    if rank == 1:
        return "really good"
    return "weird" if n >= 3 and rank == n else "less good"


@torch.inference_mode()
def score_models(
    models: Mapping[tuple[str, str], Path],
    sketches: Mapping[str, Path],
    settings: Mapping[tuple[str, str], dict],
    held_out: Sequence[Path],
    lossnet: LossNetwork,
    device: torch.device,
    size: int = 256,
    color: str = "gray",
    levels: bool = True,
) -> pd.DataFrame:
    """Score each (sketch, variant) model on the held-out images.

    All models are measured with one yardstick, the default loss weights and layers
    (:class:`TrainSettings`), so that variants trained with different weights compare:
    ``score = content_weight * content_loss + style_weight * style_loss`` (lower is better,
    ``rank`` 1 is the best of its sketch, ``label`` names it as the seed did). ``ink`` is the share of dark pixels (< 0.5) in the
    output, ``paper`` the mean brightness of its brightest half: a drawing on white has paper
    near 1.

    Fidelity (:mod:`sketchbook.fidelity`, descriptors no training loss uses), on the renders of
    the same images as the film would show them (``color``, ``levels``): ``hand_distance``
    to the model's own sketch, ``own_other`` = that over the distance to the nearest other
    sketch (``nearest_other``; below 1: closer to its own; empty with a single sketch), and
    structure kept (:mod:`sketchbook.fidelity`'s docstring): ``edge_corr``, the correlation of the
    render's blurred edges with the image's, where every drawn stroke counts as an edge;
    ``structure_corr``, the same of both pictures blurred at the stroke scale first (the contours
    between tones, however they are drawn); ``face_corr``, ``edge_corr`` inside the faces found in
    the images (empty where none has a face).

    Steadiness: ``warp_error``, Lai et al.'s warping error of the renders on the held-out images
    moved by small known motions (:func:`sketchbook.temporal.known_motion_error`; lower: the
    drawing moves with the picture instead of boiling).
    """
    yard = TrainSettings()
    images = [resize_short_side(load_rgb(p, "held-out image"), size) for p in held_out]
    rows = []
    style_cache: dict[str, StyleLoss] = {}
    hands = fidelity.SketchDescriptors({s: load_rgb(p, "sketch") for s, p in sketches.items()})
    for (sketch, variant), path in models.items():
        if sketch not in style_cache:
            style = resize_short_side(load_rgb(sketches[sketch], "sketch"), yard.style_size).to(device)
            style_cache[sketch] = StyleLoss(lossnet, style, yard)
        loss = style_cache[sketch]
        sm = load_model(path, device)
        model, ink_paper = sm.net, sm.ink_paper
        acc = {"content": 0.0, "style": 0.0, "tv": 0.0, "ink": 0.0, "paper": 0.0}
        renders = []
        for im in images:
            x = im[None].to(device)
            y = model(x).float()
            _, l = loss(y, x, "fp32")
            # The render as the film shows it, from the same forward pass.
            renders.append(finish(y, color, levels, ink_paper, to_uint8(x))[0].float().div_(255))
            lum = luminance(y).flatten()
            acc["content"] += l.content
            acc["style"] += l.style
            acc["tv"] += l.tv
            acc["ink"] += float((lum < 0.5).float().mean())
            acc["paper"] += float(lum.sort().values[lum.numel() // 2:].mean())
        n = max(1, len(images))
        warp_error = known_motion_error(
            lambda x: finish(model(x.to(device)).float(), color, levels, ink_paper, to_uint8(x)).float().div_(255), images)
        s = settings[(sketch, variant)]
        dists = fidelity.distances_to_sketches(renders, hands)
        ratio, nearest = fidelity.own_other(dists, sketch)
        rows.append({
            "sketch": sketch, "variant": variant,
            "own_other": ratio, "nearest_other": nearest, "hand_distance": dists[sketch],
            **fidelity.structure_summary(images, renders), "warp_error": warp_error,
            "style_loss": acc["style"] / n, "content_loss": acc["content"] / n, "tv": acc["tv"] / n,
            "ink": acc["ink"] / n, "paper": acc["paper"] / n,
            "iterations": s["iterations"], "style_weight": s["style_weight"],
            "content_weight": s["content_weight"], "tv_weight": s["tv_weight"], "seed": s["seed"],
        })
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=COLUMNS)
    df["score"] = yard.content_weight * df["content_loss"] + yard.style_weight * df["style_loss"]
    df["rank"] = df.groupby("sketch")["score"].rank(method="first").astype(int)
    df["label"] = [label(r, n) for r, n in zip(df["rank"], df.groupby("sketch")["rank"].transform("max"))]
    return df.sort_values(["sketch", "rank"])[COLUMNS].reset_index(drop=True)
