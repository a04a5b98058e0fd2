"""Outputs written whole or not at all: write under a temporary name beside the output, then rename.

A reader (Snakemake, a player, the next job) never sees half a file or half a folder, and a job
killed mid-write leaves the previous output, if any, intact. The temporary name sits in the same
folder (a rename within one file system is atomic) and is removed when the writing fails.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_file(path: Path | str, suffix: str = ".tmp", hidden: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; once the block ends, rename it to ``path``.

    The temporary name is ``path``'s name plus ``suffix`` (end it in the real extension, e.g.
    ``.tmp.png``, where the writer picks the format by it), with a leading dot if ``hidden`` (so
    that a glob for ``*.png`` in the folder does not see it)."""
    path = Path(path)
    tmp = path.with_name(("." if hidden else "") + path.name + suffix)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


@contextmanager
def atomic_dir(path: Path | str) -> Iterator[Path]:
    """Yield a fresh, empty temporary folder beside ``path`` (``path`` + ``.tmp``); once the block
    ends, replace ``path`` (and whatever it held) with it."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if path.exists():
        shutil.rmtree(path)
    os.replace(tmp, path)
