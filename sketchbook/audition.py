"""Auditioning candidate sketches: a quick model of each, shown on a few frames of the clips.

Before choosing a film's sketches one tries many: each candidate gets a short preview training
(``rules/audition.smk``: one job per candidate, cached), and the previews are compared on the
same few frames, sampled across the clips in film order:

* :mod:`sketchbook.audition_frames`: which frames, and grabbing them (one ffmpeg seek each, no
  full decode, nothing shared with the film's frames; no torch, for the ffmpeg environment);
* :func:`render_candidates`: every preview model on every sample frame, as the film renders;
* :func:`sheet_pages`: the contact sheet, one row per candidate (its sketch, its id, its renders),
  ``per_page`` rows a page (:func:`sketchbook.config.audition_pages` names the pages);
* :func:`flip_frames` / :func:`save_gif`: one sample frame flipping through every candidate;
* :func:`score_candidates`: each preview's style and content loss on the sample frames.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd
import torch
from PIL import Image, ImageDraw, ImageFont

from .atomic import atomic_file

#: The columns of ``results/audition/scores.csv``.
SCORE_COLUMNS = ["candidate", "sketch_image", "style_loss", "content_loss", "train_seconds", "train_cpu_seconds",
                 "steps", "seconds_per_step", "ink", "paper"]


def read_frames(frames_dir: Path | str, index: Path | str) -> list[tuple[str, torch.Tensor]]:
    """The sample frames: (caption "clip t s", uint8 (3, H, W)), in order."""
    from .images import read_frame

    entries = json.loads(Path(index).read_text())
    return [(f"{e['clip']} {e['time']:.1f} s", read_frame(Path(frames_dir) / e["file"])) for e in entries]


@torch.inference_mode()
def render_candidates(models: Mapping[str, Path], frames: Sequence[torch.Tensor], device: torch.device,
                      color: str = "gray", levels: bool = True) -> dict[str, list[torch.Tensor]]:
    """Every preview model on every frame (uint8 (3, H, W) each), as the film renders them:
    candidate -> renders in frame order. Each model is loaded once."""
    from .stylize import Stylizer, load_model, stylize_batch

    out = {}
    for cid, path in models.items():
        st = Stylizer(load_model(path, device), device, "fp32")
        out[cid] = [stylize_batch(st, f[None], device, "fp32", color, levels)[0] for f in frames]
    return out


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _pil(img: torch.Tensor | Image.Image) -> Image.Image:
    if isinstance(img, Image.Image):
        return img.convert("RGB")
    return Image.fromarray(img.permute(1, 2, 0).cpu().numpy()).convert("RGB")


def _fit(im: Image.Image, w: int, h: int) -> Image.Image:
    """``im`` scaled to fit a w x h box (up or down), aspect kept."""
    s = min(w / im.width, h / im.height)
    return im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.Resampling.LANCZOS)


#: Contact sheet geometry, px: row height (the frames' and the sketch's), label column, gaps.
ROW, LABEL_W, GAP, CAPTION = 150, 150, 6, 22


def sheet_pages(
    sources: Sequence[tuple[str, torch.Tensor]],
    rows: Sequence[tuple[str, Image.Image | torch.Tensor, Sequence[torch.Tensor]]],
    per_page: int,
    title: str = "audition",
    row: int = ROW,
) -> list[Image.Image]:
    """The contact sheet, ``per_page`` candidates a page (at least one page).

    Every page starts with the sample frames themselves (captioned with their clip and time);
    then one row per candidate: its id, its sketch (a square thumbnail), its renders of the frames
    in the same columns. A page is as wide as the frames need and ``row`` px tall per row."""
    big, small = _font(20), _font(14)
    widths = [max(1, round(f.shape[-1] * row / f.shape[-2])) for _, f in sources]
    width = LABEL_W + (row + GAP) + sum(w + GAP for w in widths) + GAP
    pages = []
    chunks = [rows[i:i + per_page] for i in range(0, len(rows), per_page)] or [[]]
    for p, chunk in enumerate(chunks, start=1):
        height = CAPTION + (row + CAPTION) + len(chunk) * (row + GAP) + GAP
        sheet = Image.new("RGB", (width, height), "white")
        d = ImageDraw.Draw(sheet)
        d.text((GAP, 2), f"{title}: page {p} of {len(chunks)}", fill="black", font=small)
        y = CAPTION
        d.text((GAP, y + row // 2 - 10), "frames", fill="black", font=big)
        x = LABEL_W + row + GAP
        for (caption, f), w in zip(sources, widths):
            sheet.paste(_fit(_pil(f), w, row), (x, y))
            d.text((x + 2, y + row + 2), caption, fill="black", font=small)
            x += w + GAP
        y += row + CAPTION
        for cid, thumb, renders in chunk:
            d.line([(0, y - GAP // 2), (width, y - GAP // 2)], fill=(200, 200, 200))
            # A long id in the small font (an id has no spaces to wrap at).
            font = big if d.textlength(cid, font=big) <= LABEL_W - 2 * GAP else small
            d.text((GAP, y + row // 2 - 12), cid, fill="black", font=font)
            t = _fit(_pil(thumb), row, row)
            sheet.paste(t, (LABEL_W + (row - t.width) // 2, y + (row - t.height) // 2))
            x = LABEL_W + row + GAP
            for r, w in zip(renders, widths):
                sheet.paste(_fit(_pil(r), w, row), (x, y))
                x += w + GAP
            y += row + GAP
        pages.append(sheet)
    return pages


def flip_frames(source: tuple[str, torch.Tensor], renders: Sequence[tuple[str, torch.Tensor]]) -> list[Image.Image]:
    """The frames of a flip GIF: the source frame, then each candidate's render of it, each with
    a label bar under it (the candidate's id)."""
    font = _font(18)
    out = []
    for label, img in [("source: " + source[0], source[1]), *renders]:
        im = _pil(img)
        frame = Image.new("RGB", (im.width, im.height + 26), "white")
        frame.paste(im, (0, 0))
        ImageDraw.Draw(frame).text((6, im.height + 3), label, fill="black", font=font)
        out.append(frame)
    return out


def save_gif(frames: Sequence[Image.Image], path: Path | str, ms: int = 600) -> None:
    """An endlessly looping GIF, ``ms`` per frame, written atomically."""
    with atomic_file(path, ".tmp.gif") as tmp:
        frames[0].save(tmp, save_all=True, append_images=list(frames[1:]), duration=ms, loop=0,
                       optimize=False, disposal=1)


def save_png(im: Image.Image, path: Path | str) -> None:
    with atomic_file(path, ".tmp.png") as tmp:
        im.save(tmp)


@torch.inference_mode()
def score_candidates(
    models: Mapping[str, Path],
    sketches: Mapping[str, Path],
    cards: Mapping[str, Mapping],
    frames: Sequence[torch.Tensor],
    settings: Mapping,
    lossnet,
    device: torch.device,
) -> pd.DataFrame:
    """Each preview model's style and content loss on the sample frames (means; the preview
    training's loss: its ``settings``' layers and style scale, unweighted), and its training time
    from its card (wall and CPU seconds: on a shared machine the CPU time is the one to compare).
    ``ink``: the share of dark pixels (< 0.5) of its output; ``paper``: the mean of its brightest
    half (a drawing on white is near 1)."""
    from .images import load_rgb, luminance, resize_short_side
    from .settings import TrainSettings
    from .stylize import load_model
    from .train import StyleLoss

    s = TrainSettings.from_dict(dict(settings))
    xs = [f.float().div(255)[None].to(device) for f in frames]
    rows = []
    for cid, path in models.items():
        style = resize_short_side(load_rgb(sketches[cid], "candidate sketch"), s.style_size).to(device)
        loss = StyleLoss(lossnet, style, s)
        model = load_model(path, device).net
        acc = {"style": 0.0, "content": 0.0, "ink": 0.0, "paper": 0.0}
        for x in xs:
            y = model(x).float()
            _, l_ = loss(y, x, "fp32")
            lum = luminance(y).flatten()
            acc["style"] += l_.style
            acc["content"] += l_.content
            acc["ink"] += float((lum < 0.5).float().mean())
            acc["paper"] += float(lum.sort().values[lum.numel() // 2:].mean())
        n = max(1, len(xs))
        card = cards[cid]
        rows.append({"candidate": cid, "sketch_image": str(sketches[cid]),
                     "style_loss": acc["style"] / n, "content_loss": acc["content"] / n,
                     "train_seconds": card["seconds"], "train_cpu_seconds": card.get("cpu_seconds"),
                     "steps": card["steps"],
                     "seconds_per_step": card["seconds"] / max(1, card["steps"]),
                     "ink": acc["ink"] / n, "paper": acc["paper"] / n})
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)

