"""Reading and writing images as tensors, with errors that name the file."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError

from .errors import InputFileError

# torchvision 0.29 deprecates its image codecs in favour of TorchCodec; they are still the fastest
# PNG path here, so keep them (and the log clean) until that package is pinned.
warnings.filterwarnings("ignore", message="The image decoding and encoding", category=DeprecationWarning)

# torchvision is imported where it is used, not here: importing it pulls in torch._dynamo (about
# 2 s), paid only by the jobs that call a function needing it.


def load_rgb(path: Path | str, what: str = "image") -> torch.Tensor:
    """An image file as a float RGB tensor (3, H, W) in [0, 1]; grayscale is expanded."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{what} {path}: no such file")
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            t = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).view(im.height, im.width, 3)
            t = t.permute(2, 0, 1).contiguous()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputFileError(f"{what} {path}: not a readable image ({exc})") from exc
    return t.float().div_(255.0)


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

    path = Path(path)
    tmp = path.with_name("." + path.name + ".tmp")
    write_png(img.contiguous().cpu(), str(tmp), compression_level=compression)
    os.replace(tmp, path)


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


