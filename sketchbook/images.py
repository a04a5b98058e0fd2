"""Reading and writing images as tensors, with errors that name the file; a grid of them as one picture."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

import torch
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from .atomic import atomic_file
from .errors import InputFileError

# torchvision 0.29 deprecates its image codecs in favour of TorchCodec; they are still the fastest
# PNG path here, so keep them (and the log clean) until that package is pinned.
warnings.filterwarnings("ignore", message="The image decoding and encoding", category=DeprecationWarning)

# torchvision is imported where it is used, not here: importing it pulls in torch._dynamo (about
# 2 s), paid only by the jobs that call a function needing it.


#: Paper colour: transparent parts of a scan are paper.
PAPER = (255, 255, 255)


def _decode_rgb(im: Image.Image) -> torch.Tensor:
    """A PIL image of any mode as float RGB (3, H, W) in [0, 1], as a viewer shows it.

    8-bit images take the exact path they always took (``convert("RGB")``, /255). Transparency
    (RGBA, LA, PA, a palette or colour key with transparency) is composited on white paper;
    16-bit greyscale (``I;16*``) and 32-bit integer (``I``, read as 16-bit tones) keep their full
    range; float (``F``) is taken as [0, 1] (or 0-255 / 0-65535 where its values go beyond);
    CMYK goes through its embedded ICC profile where it has one.
    """
    import numpy as np

    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        a = np.asarray(im, dtype=np.float32)
        if mode == "F":
            peak = float(a.max()) if a.size else 0.0
            scale = 1.0 if peak <= 1.0 else 255.0 if peak <= 255.0 else 65535.0
        else:
            scale = 65535.0
        g = torch.from_numpy(np.clip(a / scale, 0.0, 1.0))
        return g.unsqueeze(0).expand(3, -1, -1).contiguous()
    if mode == "CMYK":
        im = _cmyk_to_rgb(im)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    if has_alpha:
        rgba = im.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:
            paper = Image.new("RGBA", rgba.size, PAPER + (255,))
            im = Image.alpha_composite(paper, rgba)
        else:
            im = rgba  # opaque: exactly what dropping the alpha gives
    im = im.convert("RGB")
    t = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).view(im.height, im.width, 3)
    return t.permute(2, 0, 1).contiguous().float().div_(255.0)


def _cmyk_to_rgb(im: Image.Image) -> Image.Image:
    """CMYK -> RGB through the image's ICC profile where it has one (else Pillow's formula)."""
    icc = im.info.get("icc_profile")
    if icc:
        try:
            import io

            from PIL import ImageCms

            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception:  # a broken profile: fall back to the plain conversion
            pass
    return im.convert("RGB")


def load_rgb(path: Path | str, what: str = "image") -> torch.Tensor:
    """An image file as a float RGB tensor (3, H, W) in [0, 1], as an image viewer shows it.

    Grayscale is expanded; the EXIF orientation is applied; transparency is white paper;
    16-bit scans keep their tones (see :func:`_decode_rgb`).
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{what} {path}: no such file")
    try:
        with Image.open(path) as im:
            im.load()
            im = ImageOps.exif_transpose(im) if im.getexif().get(0x0112, 1) != 1 else im
            t = _decode_rgb(im)
    except Image.DecompressionBombError as exc:
        raise InputFileError(f"{what} {path}: too large to load ({exc})") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InputFileError(f"{what} {path}: not a readable image ({exc})") from exc
    return t


def read_frame(path: Path | str) -> torch.Tensor:
    """A frame as a uint8 RGB tensor (3, H, W), decoded by torchvision (fast path)."""
    from torchvision.io import ImageReadMode, decode_image

    path = Path(path)
    try:
        data = torch.frombuffer(bytearray(path.read_bytes()), dtype=torch.uint8)
        return decode_image(data, mode=ImageReadMode.RGB)
    except (OSError, RuntimeError) as exc:
        raise InputFileError(f"frame {path}: not a readable image ({exc})") from exc


def write_frame(img: torch.Tensor, path: Path | str, compression: int = 1) -> None:
    """Write a uint8 (3|1, H, W) tensor as PNG, atomically (temp name, then rename).

    Grayscale frames are best written with one channel: a third of the compression work, and
    readers (``read_frame``, ffmpeg) expand them back to RGB."""
    from torchvision.io import write_png

    with atomic_file(path, hidden=True) as tmp:
        write_png(img.contiguous().cpu(), str(tmp), compression_level=compression)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] float -> uint8, rounded."""
    return x.float().clamp(0, 1).mul(255).round_().to(torch.uint8)


def luminance(x: torch.Tensor) -> torch.Tensor:
    """RGB (…, 3, H, W) -> luminance (Rec. 601), one channel (…, 1, H, W)."""
    w = x.new_tensor([0.299, 0.587, 0.114]).view(3, 1, 1)
    return (x * w).sum(dim=-3, keepdim=True)


def to_gray(x: torch.Tensor) -> torch.Tensor:
    """RGB (…, 3, H, W) -> luminance (Rec. 601) repeated on 3 channels."""
    return luminance(x).expand_as(x).contiguous()


def resize_short_side(x: torch.Tensor, size: int) -> torch.Tensor:
    """Resize (…, H, W) so that its shorter side is ``size`` (antialiased)."""
    h, w = x.shape[-2:]
    from torchvision.transforms import functional as TF

    s = size / min(h, w)
    return TF.resize(x, [max(1, round(h * s)), max(1, round(w * s))], antialias=True)


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
