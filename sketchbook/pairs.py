"""Frame pairs of the content clips for the temporal term of training. No torch here.

For each training frame that :func:`sketchbook.video.sample_frames` takes from a clip named in
``content.clips`` (the same times and size; held-out times are left out), the pair is that frame
``a`` and the frame ``gap`` frames later ``b`` at the clip's own rate, with the flow that pulls
``a`` onto ``b``'s grid and the mask of the pixels where that warp can be trusted, on ``b``'s grid
(:mod:`sketchbook.temporal`'s convention: ``b(x) ~ a(x + f(x))``). The flow is computed once here
(:func:`sketchbook.flow.flow_and_mask` with ``b`` first: its flow pulls its second argument onto
its first's grid), not at every training step.

One ``pair_NNN.npz`` a pair in one folder a clip: ``a``, ``b`` (uint8 (H, W, 3) RGB), ``flow``
(float32 (H, W, 2) [dx, dy] px), ``mask`` (bool (H, W)), ``t`` (s) and ``gap`` (frames).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .atomic import atomic_dir
from .flow import FlowEstimator, flow_and_mask

#: Frames between a pair's two frames, at the clip's own rate: consecutive frames, as a film shows them.
PAIR_GAP = 1

#: The arrays of a pair file.
PAIR_KEYS = ("a", "b", "flow", "mask")


def pair_arrays(a: np.ndarray, b: np.ndarray, estimator: Optional[FlowEstimator] = None) -> dict[str, np.ndarray]:
    """The stored arrays of one pair of uint8 (H, W, 3) frames: the frames, the flow pulling ``a``
    onto ``b``'s grid and its valid mask there."""
    fa, fb = (np.asarray(x, np.float32) / 255.0 for x in (a, b))
    flow, mask = flow_and_mask(fb, fa, estimator)
    return {"a": np.asarray(a, np.uint8), "b": np.asarray(b, np.uint8),
            "flow": np.asarray(flow, np.float32), "mask": np.asarray(mask, bool)}


def write_pairs(clip: Path | str, out_dir: Path | str, n_train: int, n_held: int, short_side: int,
                gap: int = PAIR_GAP) -> list[Path]:
    """Sample a clip's frame pairs and their flow into ``out_dir`` (replaced whole, atomically)."""
    from .video import sample_frame_pairs

    out_dir = Path(out_dir)
    est = FlowEstimator()
    written = []
    with atomic_dir(out_dir) as tmp:
        for i, (t, a, b) in enumerate(sample_frame_pairs(clip, n_train, n_held, short_side, gap), 1):
            name = f"pair_{i:03d}.npz"
            np.savez_compressed(tmp / name, **pair_arrays(a, b, est), t=np.float64(t), gap=np.int64(gap))
            written.append(out_dir / name)
    return written


def load_pair(path: Path | str) -> dict[str, np.ndarray]:
    """The arrays of one pair file (``a``, ``b``, ``flow``, ``mask``)."""
    with np.load(path) as z:
        return {k: z[k] for k in PAIR_KEYS}


def pair_files(dirs: Sequence[Path | str]) -> list[Path]:
    """The pair files of the rule's pair folders, in order (listed by the job itself, so a cloud job
    that downloads the folders lists them as a local one does)."""
    return [p for d in dirs for p in sorted(Path(d).glob("pair_*.npz"))]
