"""The audition's sample frames: a few frames spread over the clips in film order, grabbed with one
ffmpeg seek each (no torch here: the job runs in the ffmpeg environment)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Mapping, Sequence

from .atomic import atomic_dir, atomic_file
from .errors import InputFileError


def frame_plan(spans: Sequence[tuple[float, float]], n: int) -> list[tuple[int, float]]:
    """``n`` frames spread over clips in film order: ``(clip index, time in s)``.

    ``spans``: each clip's (start, end) in s. With at least as many frames as clips, every clip
    gets ``n // clips`` frames (the first ``n % clips`` one more), evenly spaced within it (at the
    middles of equal parts); with fewer, ``n`` clips spread over the list get one frame each, at
    their middle."""
    c = len(spans)
    if c == 0 or n < 1:
        return []
    if n < c:
        chosen = [min(c - 1, int((i + 0.5) * c / n)) for i in range(n)]
        counts = {i: 1 for i in chosen}
    else:
        counts = {i: n // c + (1 if i < n % c else 0) for i in range(c)}
    plan = []
    for i, k in counts.items():
        a, b = spans[i]
        plan += [(i, a + (j + 0.5) * (b - a) / k) for j in range(k)]
    return plan


def sample_audition_frames(clips: Sequence[Mapping], out_dir: Path | str, index: Path | str, n: int,
                           max_side: int) -> list[dict]:
    """Grab ``n`` frames across ``clips`` (dicts with ``clip``, ``path``, ``start``, ``end``) as PNGs
    ``frame_NN.png`` in ``out_dir``, as a player shows them (rotation and pixel aspect applied),
    the longer side at most ``max_side``; ``index`` (JSON) lists them with their clip and time."""
    import ffmpeg

    from .video import _input, _run, fit_size, probe

    probes = [probe(c["path"], need_rate=False) for c in clips]
    spans = []
    for c, p in zip(clips, probes):
        end = min(p.duration, c["end"]) if c.get("end") is not None else p.duration
        start = min(float(c.get("start") or 0.0), end)
        spans.append((start, end))
    frames = []
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        for k, (i, t) in enumerate(frame_plan(spans, n), start=1):
            c, p = clips[i], probes[i]
            name = f"frame_{k:02d}.png"
            w, h = fit_size(p.width, p.height, max_side)
            v = ffmpeg.input(_input(c["path"]), ss=f"{t:.4f}").video.filter("scale", w, h, flags="area")
            if Fraction(p.sar) != 1:
                v = v.filter("setsar", 1)
            _run(ffmpeg.output(v, str(tmp / name), vframes=1), f"sampling audition frames of {c['path']}")
            if not (tmp / name).is_file():
                raise InputFileError(f"clip {c['path']}: no frame decodes at {t:.2f} s (damaged or cut off?)")
            frames.append({"file": name, "clip": c["clip"], "time": round(t, 3)})
    with atomic_file(index) as tmp_index:
        tmp_index.write_text(json.dumps(frames, indent=1) + "\n")
    return frames
