"""The variants' preview: every trained model on a few sample images, side by side.

The ``preview_variants`` rule's sheet (one row per sample image, the original first, then each
model's rendering) for comparing a sketch's variants by eye.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from .images import contact_sheet, load_rgb, to_uint8
from .modelfile import load_model
from .stylize import stylize_batch


def sample_frame(frames_dir: Path | str) -> Path:
    """The middle frame of an extracted clip."""
    frames = sorted(Path(frames_dir).glob("*.png"))
    if not frames:
        raise FileNotFoundError(f"{frames_dir}: no frames")
    return frames[len(frames) // 2]


@torch.inference_mode()
def variants_sheet(
    samples: Sequence[tuple[str, Path]],
    models: Sequence[tuple[str, Path]],
    out_png: Path | str,
    device: torch.device,
    precision: str = "fp32",
    color: str = "gray",
    levels: bool = True,
    max_side: int = 256,
) -> None:
    """Every model on every sample image, side by side: one row per sample, the original first."""
    from torchvision.transforms import functional as TF

    imgs = []
    for name, path in samples:
        x = load_rgb(path, "sample image")
        h, w = x.shape[-2:]
        s = min(1.0, max_side / max(h, w))
        imgs.append((name, to_uint8(TF.resize(x, [round(h * s), round(w * s)], antialias=True))))
    grid: list[list[tuple[str, torch.Tensor]]] = [[("original", im)] for _, im in imgs]
    for caption, path in models:
        model = load_model(path, device)  # once per model
        for row, (_, im) in zip(grid, imgs):
            row.append((caption, stylize_batch(model, im[None], device, precision, color, levels)[0]))
    contact_sheet([(name, row) for (name, _), row in zip(imgs, grid)], out_png)
