"""What a person looks at: loss curves, model cards, contact sheets of variants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd
import torch
from PIL import Image, ImageDraw, ImageFont

from .atomic import atomic_file


def write_card(path: Path | str, card: Mapping) -> None:
    """A model card: JSON, keys in a stable order."""
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")


def plot_losses(losses_csv: Path | str, out_png: Path | str, title: str) -> None:
    """Loss curves (content, style, total, and temporal where trained with it; log scale,
    smoothed) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = pd.read_csv(losses_csv)
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    win = max(1, len(df) // 25)
    cols = [("total", "black"), ("content", "tab:blue"), ("style", "tab:red")]
    if "temporal" in df and (df["temporal"] > 0).any():  # files written before the column lack it
        cols.append(("temporal", "tab:green"))
    for col, colour in cols:
        ax.plot(df["step"], df[col], color=colour, alpha=0.2, lw=0.8)
        ax.plot(df["step"], df[col].rolling(win, min_periods=1).mean(), color=colour, lw=1.5, label=col)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_file(out_png, ".tmp.png") as tmp:
        fig.savefig(tmp)
        plt.close(fig)


def contact_sheet(
    rows: Sequence[tuple[str, Sequence[tuple[str, torch.Tensor]]]],
    out_png: Path | str,
    cell: int = 192,
) -> None:
    """A grid: one row per label, cells of (caption, uint8 (3, H, W) image), captions under them."""
    font = ImageFont.load_default()
    cap = 16
    ncol = max(len(cells) for _, cells in rows)
    label_w = 110
    sheet = Image.new("RGB", (label_w + ncol * (cell + 4), len(rows) * (cell + cap + 6)), "white")
    d = ImageDraw.Draw(sheet)
    for r, (label, cells) in enumerate(rows):
        y = r * (cell + cap + 6)
        d.text((6, y + cell // 2), label, fill="black", font=font)
        for c, (caption, img) in enumerate(cells):
            im = Image.fromarray(img.permute(1, 2, 0).cpu().numpy())
            im.thumbnail((cell, cell))
            x = label_w + c * (cell + 4)
            sheet.paste(im, (x, y))
            d.text((x + 2, y + im.height + 2), caption, fill="black", font=font)
    with atomic_file(out_png, ".tmp.png") as tmp:
        sheet.save(tmp)


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
    from .images import load_rgb, to_uint8
    from .modelfile import load_model
    from .stylize import stylize_batch
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
