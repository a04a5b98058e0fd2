"""The per-frame plan of a clip: frame number -> model (sketch, variant)."""

from __future__ import annotations

import zlib
from typing import Sequence, Union

import numpy as np
import pandas as pd

from .errors import ConfigError
from .video import FRAME_PATTERN

COLUMNS = ["frame", "file", "sketch", "variant"]


#: A hold: frames each pick lasts, as a fixed length or an inclusive ``[min, max]`` range.
Hold = Union[int, Sequence[int]]


def hold_range(hold: Hold, where: str = "hold") -> tuple[int, int]:
    """``hold`` (an int N, or ``[min, max]``) as ``(min, max)``, checked: 1 <= min <= max.

    The one check of a hold (the config's validation calls it too); errors start with ``where``
    (the config key, or the clip)."""
    if isinstance(hold, bool):
        raise ConfigError(f"{where}: must be an integer or [min, max], not {hold!r}")
    if isinstance(hold, int):
        lo = hi = hold
    else:
        try:
            lo, hi = (int(v) for v in hold)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: must be an integer or [min, max], not {hold!r}") from None
    if lo < 1:
        raise ConfigError(f"{where}: must be at least 1 frame, got {hold!r}")
    if lo > hi:
        raise ConfigError(f"{where}: range [{lo}, {hi}] has min {lo} above max {hi} (write [min, max])")
    return lo, hi


def make_plan(clip: str, n_frames: int, sketch: str, variants: Sequence[str], seed: int,
              hold: Hold = 1) -> pd.DataFrame:
    """One row per frame. With several variants the frames get seeded random picks.

    ``hold`` 1 (the default): each frame gets its own pick, a seeded shuffle of an (almost) equal
    share of each variant, so every listed variant is used once the clip has at least as many
    frames as variants. ``hold`` N > 1, or a range ``[min, max]``: each pick lasts N frames (or a
    seeded random length in the range) and the next pick is another variant (see
    :func:`hold_picks`). The same config always gives the same plan; the clip id is mixed into
    the seed so clips differ.
    """
    if n_frames < 1:
        raise ConfigError(f"clip {clip}: no frames to plan")
    if not variants:
        raise ConfigError(f"clip {clip}: no variants to plan with")
    variants = list(variants)
    lo, hi = hold_range(hold, f"clip {clip}: hold")
    rng = np.random.default_rng([seed, zlib.crc32(clip.encode())])
    if len(variants) == 1:
        picks = variants * n_frames
    elif hi == 1:
        reps = -(-n_frames // len(variants))
        pool = np.array((variants * reps)[:n_frames], dtype=object)
        rng.shuffle(pool)
        picks = list(pool)
    else:
        picks = [v for v, length in hold_picks(rng, n_frames, variants, lo, hi) for _ in range(length)]
    return pd.DataFrame({
        "frame": np.arange(1, n_frames + 1),
        "file": [FRAME_PATTERN % i for i in range(1, n_frames + 1)],
        "sketch": sketch,
        "variant": picks,
    })[COLUMNS]


def hold_picks(rng: np.random.Generator, n_frames: int, variants: Sequence[str], lo: int, hi: int
               ) -> list[tuple[str, int]]:
    """The picks of a held plan, in order: (variant, length), covering exactly ``n_frames``.

    The picks come in rounds, each round every variant once in a seeded random order, and no
    variant follows itself (across a round's boundary either): every visible run is exactly one
    pick, and every variant is used once the clip has ``len(variants) * hi`` frames. A round draws
    its lengths uniformly in ``[lo, hi]`` and hands the longest to the variant with the fewest
    frames so far, so after every round the variants' frame counts are within ``hi - lo`` of each
    other (equal for a fixed hold). The round the clip ends in goes furthest-behind first, each
    pick's length (still in ``[lo, hi]``) chosen to bring its variant to an equal share; the last
    pick is cut short where the clip ends.
    """
    k = len(variants)
    totals = dict.fromkeys(variants, 0)
    picks: list[tuple[str, int]] = []
    done = 0
    while done < n_frames:
        order = [variants[i] for i in rng.permutation(k)]
        lengths = sorted((int(v) for v in rng.integers(lo, hi + 1, size=k)), reverse=True)
        # Fewest frames first (ties in round order): the longest length goes to the furthest behind.
        neediest = sorted(order, key=lambda v: totals[v])
        length_of = dict(zip(neediest, lengths))
        last = done + sum(lengths) >= n_frames
        if last:  # the clip ends in this round: the furthest behind first, lengths to even out
            order = neediest
            share = -(-n_frames // k)
            length_of = {v: min(hi, max(lo, share - totals[v])) for v in order}
        if picks and order[0] == picks[-1][0]:
            j = 1 if last else int(rng.integers(1, k))
            order[0], order[j] = order[j], order[0]
        for v in order:
            if done >= n_frames:
                break
            length = min(length_of[v], n_frames - done)
            picks.append((v, length))
            totals[v] += length
            done += length
    return picks


def read_plan(path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"file": str, "sketch": str, "variant": str})
    missing = set(COLUMNS) - set(df.columns)
    if missing:
        raise ConfigError(f"plan {path}: missing column(s) {', '.join(sorted(missing))}")
    return df
