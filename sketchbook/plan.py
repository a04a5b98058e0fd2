"""The per-frame plan of a clip: frame number -> model (sketch, variant)."""

from __future__ import annotations

import zlib
from typing import Sequence

import numpy as np
import pandas as pd

from .errors import ConfigError
from .video import FRAME_PATTERN

COLUMNS = ["frame", "file", "sketch", "variant"]


def make_plan(clip: str, n_frames: int, sketch: str, variants: Sequence[str], seed: int) -> pd.DataFrame:
    """One row per frame. With several variants each frame gets a seeded random pick.

    The picks are a seeded shuffle of an (almost) equal share of each variant, so every listed
    variant is used once the clip has at least as many frames as variants, and the same config
    always gives the same plan. The clip id is mixed into the seed so clips differ.
    """
    if n_frames < 1:
        raise ConfigError(f"clip {clip}: no frames to plan")
    if not variants:
        raise ConfigError(f"clip {clip}: no variants to plan with")
    variants = list(variants)
    if len(variants) == 1:
        picks = variants * n_frames
    else:
        rng = np.random.default_rng([seed, zlib.crc32(clip.encode())])
        reps = -(-n_frames // len(variants))
        pool = np.array((variants * reps)[:n_frames], dtype=object)
        rng.shuffle(pool)
        picks = list(pool)
    return pd.DataFrame({
        "frame": np.arange(1, n_frames + 1),
        "file": [FRAME_PATTERN % i for i in range(1, n_frames + 1)],
        "sketch": sketch,
        "variant": picks,
    })[COLUMNS]


def read_plan(path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"file": str, "sketch": str, "variant": str})
    missing = set(COLUMNS) - set(df.columns)
    if missing:
        raise ConfigError(f"plan {path}: missing column(s) {', '.join(sorted(missing))}")
    return df
