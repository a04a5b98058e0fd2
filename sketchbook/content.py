"""Which content images a job uses: listing folders and the held-out split. No torch here.

The config may name the content photos as a folder or as a list of files. Where the folder is on
disk, the workflow lists it into files (:func:`sketchbook.config.content_inputs`); a cloud job
parses the workflow again where it is not (it is in the bucket, until Snakemake downloads the
job's inputs), and there the folder itself is the rule's input, listed and split by the job with
the same functions (:func:`content_files`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

#: Image files a content folder may hold (other files are ignored).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def list_images(folder: Path | str) -> list[Path]:
    """The image files directly in ``folder``, in name order."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def split_held_out(images: Sequence, held_out: int) -> tuple[list, list]:
    """(training, held out): the last ``held_out`` in name order are held out, at most all of them."""
    imgs = sorted(images, key=str)
    n = min(max(held_out, 0), len(imgs))
    return imgs[: len(imgs) - n], imgs[len(imgs) - n:]


def content_files(entries: Sequence, dirs: Sequence, kind: str, held_out: int = 0) -> list[Path]:
    """The content images of one kind ("train" or "held") for a job.

    ``entries``: the rule's content input, either image files (already this kind's share) or one
    folder, split here with :func:`split_held_out`. ``dirs``: frames sampled from clips, where
    the file name says the kind (``train_*.jpg``, ``held_*.jpg``).
    """
    if kind not in ("train", "held"):
        raise ValueError(f"kind must be 'train' or 'held', not {kind!r}")
    out: list[Path] = []
    files = [Path(e) for e in entries]
    if len(files) == 1 and files[0].is_dir():
        train, held = split_held_out(list_images(files[0]), held_out)
        out += train if kind == "train" else held
    else:
        out += files
    for d in dirs:
        out += sorted(Path(d).glob(f"{kind}_*.jpg"))
    return out
