"""The style model file: its format, writing it and reading it (one home for all three); its card.

A model file is a torch file of tensors and plain data only (read with ``weights_only=True``)::

    {"format": MODEL_FORMAT, "width": int, "n_residual": int,
     "state_dict": {layer name: fp32 CPU tensor},   # TransformerNet's named layers
     "ink_paper": [ink, paper],                      # output luminance of ink and of paper
     "settings": {...}, "precision": str}            # how it was trained (meta)

Files of the first format (``sketchbook-style-model/1``: layers indexed ``down.0.1.weight``, the
pair under ``levels``) still load: their keys are renamed on reading (:func:`named_state_dict`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

import torch

from .atomic import atomic_file
from .errors import InputFileError
from .network import TransformerNet
from .torchfile import load_plain

MODEL_FORMAT = "sketchbook-style-model/2"
#: Formats still read: /1 saved the layers under their nn.Sequential indices.
OLD_FORMATS = ("sketchbook-style-model/1",)

#: The ink and paper levels of a model that has none: no stretch.
NO_STRETCH = (0.0, 1.0)


@dataclass(frozen=True)
class StyleModel:
    """A trained style network with what its file says about it.

    ``ink_paper``: the luminance of ink and of paper in the network's output (measured after
    training, :func:`sketchbook.train.ink_levels`); the grayscale render with ``levels`` stretches
    them to black and white. ``meta``: the file's other entries (training settings, precision).
    ``path``: the file it was read from (its int8 calibration lies beside it: :func:`calibration_path`).
    """

    net: TransformerNet
    ink_paper: tuple[float, float] = NO_STRETCH
    meta: Mapping[str, Any] = field(default_factory=dict)
    path: Optional[str] = None


def save_model(net: TransformerNet, path: Path | str, ink_paper: Optional[tuple[float, float]] = None,
               meta: Optional[Mapping[str, Any]] = None) -> None:
    """State dict (fp32, CPU, the network left as it was) plus architecture, ink and paper levels
    and ``meta`` (plain data), written atomically."""
    sd = {k: v.detach().to("cpu", torch.float32).clone() for k, v in net.state_dict().items()}
    blob = {**(meta or {}), "format": MODEL_FORMAT, "width": net.width, "n_residual": net.n_residual,
            "state_dict": sd, "ink_paper": list(ink_paper or NO_STRETCH)}
    with atomic_file(path) as tmp:
        torch.save(blob, tmp)


def load_model(path: Path | str, device: torch.device | str = "cpu") -> StyleModel:
    """A trained style model (``weights_only=True``), its network in eval mode on ``device``."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"model {path}: no such file")
    blob = load_plain(path, "model", InputFileError)
    if not isinstance(blob, dict) or blob.get("format") not in (MODEL_FORMAT, *OLD_FORMATS):
        raise InputFileError(f"model {path}: not a Sketchbook style model (format {MODEL_FORMAT})")
    try:
        net = TransformerNet(int(blob["width"]), int(blob["n_residual"]))
        pair = blob.get("ink_paper", blob.get("levels"))
        ink_paper = (float(pair[0]), float(pair[1])) if pair else NO_STRETCH
        net.load_state_dict(named_state_dict(blob["state_dict"]))
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
        raise InputFileError(f"model {path}: weights do not fit the network ({exc})") from exc
    meta = {k: v for k, v in blob.items()
            if k not in ("format", "width", "n_residual", "state_dict", "ink_paper", "levels")}
    return StyleModel(net.eval().to(device), ink_paper, meta, str(path))


def calibration_path(model_path: Path | str) -> Path:
    """Where a model file's int8 calibration lies: beside it, ``{name}.int8.json``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".int8.json")


def write_card(path: Path | str, card: Mapping) -> None:
    """A model card (what a person reads about a model beside its file): JSON, keys in a stable order."""
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")


#: Key prefixes of the first format (indexed nn.Sequential blocks) -> the named layers'.
_INDEXED = {
    "down.0.1.": "conv1.conv.", "down.1.": "in1.",
    "down.3.1.": "conv2.conv.", "down.4.": "in2.",
    "down.6.1.": "conv3.conv.", "down.7.": "in3.",
    "up.0.conv.1.": "deconv1.conv.", "up.1.": "in4.",
    "up.3.conv.1.": "deconv2.conv.", "up.4.": "in5.",
    "up.6.1.": "deconv3.conv.",
}
#: res.{i}.conv1.1. -> res{i+1}.conv1.conv.; res.{i}.in1. -> res{i+1}.in1.
_INDEXED_RES = re.compile(r"res\.(\d+)\.(?:(conv[12])\.1|(in[12]))\.")


def named_state_dict(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A :class:`TransformerNet` state dict under today's layer names, from one with the first
    format's indexed names (``down.0.1.weight``, ``res.0.conv1.1.weight``, ``up.6.1.bias``) or
    already named (then unchanged). The order of the entries is kept."""
    out = {}
    for key, value in sd.items():
        for old, new in _INDEXED.items():
            if key.startswith(old):
                key = new + key[len(old):]
                break
        else:
            m = _INDEXED_RES.match(key)
            if m:
                layer = f"{m.group(2)}.conv." if m.group(2) else f"{m.group(3)}."
                key = f"res{int(m.group(1)) + 1}.{layer}{key[m.end():]}"
        out[key] = value
    return out
