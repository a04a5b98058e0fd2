"""Loading a torch file that must hold only tensors and plain data (``weights_only=True``).

A file that holds pickled Python objects is refused with a message that says so and how to
convert a trusted one; torch's own hint (re-run with the unsafe loader) is not passed on.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import torch

from .errors import SketchbookError


def refused_pickle_message(what: str, path: Path | str, exc: BaseException) -> str:
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
    detail = f" (it names {found.group(1)})" if found else ""
    return (f"{what} {path}: not a plain weights file: it holds pickled Python objects{detail}, which "
            "can run code when loaded, so it will not be loaded. If you trust where it came from, "
            "convert it once in a Python session of your own: load it there with torch.load, then "
            "save only its tensors, e.g. torch.save(model.state_dict(), 'weights.pt'), and use that file")


def load_plain(path: Path | str, what: str, error: type[SketchbookError]) -> Any:
    """``torch.load(path, weights_only=True)`` on the CPU; every failure is an ``error`` naming the file."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        text = str(exc)
        if "Unsupported global" in text:
            raise error(refused_pickle_message(what, path, exc)) from None
        if isinstance(exc, pickle.UnpicklingError):
            # Not a torch file at all; torch's text would still suggest the unsafe loader.
            detail = re.search(r"WeightsUnpickler error:\s*(.+)", text, re.S)
            text = detail.group(1) if detail else "not a torch file"
            exc = None
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        name = "UnpicklingError" if exc is None else type(exc).__name__
        raise error(f"{what} {path}: not a readable torch file ({name}: {lines[0] if lines else ''})") from exc
