"""Stylizing a clip's frames by its plan: each model loaded once, frames in batches.

Reading and writing PNGs overlaps the network on a small thread pool; the output goes to a
temporary folder renamed when every frame is written.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Mapping, Optional

import pandas as pd
import torch
from tqdm import tqdm

from .errors import InputFileError
from .images import read_frame, to_gray, to_uint8, write_frame
from .network import TransformerNet
from .precision import autocast
from .train import MODEL_FORMAT

log = logging.getLogger(__name__)


def load_model(path: Path | str, device: torch.device | str = "cpu") -> TransformerNet:
    """A trained style model (``weights_only=True``), in eval mode on ``device``."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"model {path}: no such file")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InputFileError(f"model {path}: not a readable model file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(blob, dict) or blob.get("format") != MODEL_FORMAT:
        raise InputFileError(f"model {path}: not a Sketchbook style model (format {MODEL_FORMAT})")
    net = TransformerNet(int(blob["width"]), int(blob["n_residual"]))
    levels = blob.get("levels")
    net.levels = (float(levels[0]), float(levels[1])) if levels else (0.0, 1.0)
    try:
        net.load_state_dict(blob["state_dict"])
    except RuntimeError as exc:
        raise InputFileError(f"model {path}: weights do not fit the network ({exc})") from exc
    return net.eval().to(device)


@torch.inference_mode()
def stylize_batch(model: TransformerNet, frames: torch.Tensor, device: torch.device, precision: str,
                  grayscale: bool, levels: bool = False) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> uint8 (N, 3, H, W).

    ``levels`` (grayscale only): stretch the model's ink and paper levels to black and white.
    """
    x = frames.to(device, non_blocking=True).float().div_(255)
    with autocast(precision, device):
        y = model(x)
    y = y.float()
    if grayscale:
        y = to_gray(y)
        if levels:
            lo, hi = getattr(model, "levels", (0.0, 1.0))
            y = (y - lo) / (hi - lo)
    return to_uint8(y).cpu()


def stylize_frames(
    plan: pd.DataFrame,
    frames_dir: Path | str,
    out_dir: Path | str,
    models: Mapping[str, Path | str],
    device: torch.device,
    precision: str,
    grayscale: bool,
    levels: bool = False,
    batch_size: int = 8,
    io_threads: int = 2,
    progress_file=None,
) -> int:
    """Stylize every frame of ``plan`` with its variant's model; returns the frame count."""
    frames_dir, out_dir = Path(frames_dir), Path(out_dir)
    missing = sorted(set(plan["variant"]) - set(models))
    if missing:
        raise InputFileError(f"plan names variant(s) {', '.join(missing)} with no model given")
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    bar = tqdm(total=len(plan), desc=f"stylize {frames_dir.name}", unit="frame",
               file=progress_file or sys.stderr, mininterval=2.0, ascii=True)
    with ThreadPoolExecutor(io_threads) as pool:
        pending = []
        for variant, rows in plan.groupby("variant", sort=True):
            model = load_model(models[variant], device)  # once per model per clip
            files = list(rows["file"])
            batches = [files[i:i + batch_size] for i in range(0, len(files), batch_size)]

            def read(batch: list[str]) -> torch.Tensor:
                imgs = list(pool.map(lambda f: read_frame(frames_dir / f), batch))
                return torch.stack(imgs)

            nxt = pool.submit(read, batches[0]) if batches else None
            for i, batch in enumerate(batches):
                frames = nxt.result()
                if i + 1 < len(batches):
                    nxt = pool.submit(read, batches[i + 1])  # prefetch while the network runs
                out = stylize_batch(model, frames, device, precision, grayscale, levels)
                for f, img in zip(batch, out):
                    pending.append(pool.submit(write_frame, img, tmp / f))
                bar.update(len(batch))
            del model
        for fut in pending:
            fut.result()
    bar.close()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)
    return len(plan)
