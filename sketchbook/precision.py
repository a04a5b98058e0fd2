"""Device and numeric precision selection."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import ContextManager, Mapping, Optional, Sequence

import torch

from .errors import ConfigError

PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {requested!r} asked for, but CUDA is not available here")
    return torch.device(requested)


def cpu_has_bf16() -> bool:
    """True where the CPU has native bf16 dot products (AVX-512 BF16 or AMX)."""
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def cpu_has_vnni() -> bool:
    """True where the CPU has int8 dot products (AVX-512 VNNI, AVX-VNNI or AMX): where int8 is fast."""
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return any(f in flags for f in (" avx512_vnni", " avx_vnni", " amx_int8"))


def resolve_precision(requested: str, device: torch.device) -> str:
    """``auto`` is bf16 on CUDA with bf16 support or on CPUs with native bf16, else fp32 (int8 is
    :func:`render_precision`'s to pick: it needs each model's calibration)."""
    if requested not in PRECISIONS:
        raise ConfigError(f"precision {requested!r}: expected one of {', '.join(PRECISIONS)}")
    if requested != "auto":
        if requested == "fp16" and device.type != "cuda":
            raise ConfigError("precision fp16 needs a CUDA device; use bf16 or fp32 on the CPU")
        if requested == "int8" and device.type != "cpu":
            raise ConfigError(f"precision int8 runs on the CPU only (device {device}); use bf16 or fp16 on a GPU")
        return requested
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16" if cpu_has_bf16() else "fp32"


def render_precision(requested: str, device: torch.device, calibrations: Sequence[Path | str] = (),
                     env: Optional[Mapping[str, str]] = None) -> tuple[str, str]:
    """The precision a clip renders in, and why (a line for the log).

    ``requested`` is the clip's ``render.precision``; where it is ``auto``, the environment's
    ``SKETCHBOOK_PRECISION`` may say what auto means. Otherwise ``auto`` is int8 where all of these
    hold, else :func:`resolve_precision`'s bf16 or fp32: the device is the CPU, the CPU has int8
    dot products (:func:`cpu_has_vnni`: without them oneDNN's int8 kernels run slower than bf16),
    ``calibrations`` names every model's int8 calibration (the workflow's ``calibrate_int8``,
    asked where :func:`sketchbook.config.auto_may_be_int8`), and each of them met the quality bar
    when it was made (its held-out frames at least :data:`sketchbook.int8.PSNR_BAR` dB from fp32).
    """
    env = os.environ if env is None else env
    if requested == "auto":
        pinned = env.get("SKETCHBOOK_PRECISION", "auto") or "auto"
        if pinned != "auto":
            return resolve_precision(pinned, device), f"SKETCHBOOK_PRECISION={pinned}"
    if requested != "auto":
        return resolve_precision(requested, device), f"asked for ({requested})"
    fallback = resolve_precision("auto", device)
    if device.type != "cpu":
        return fallback, f"auto on {device.type}"
    if not calibrations:
        return fallback, ("auto: the workflow asked no int8 calibration (SKETCHBOOK_PRECISION or a GPU "
                          "SKETCHBOOK_DEVICE set when it was planned)")
    if not cpu_has_vnni():
        return fallback, "auto: this CPU has no int8 dot products (VNNI/AMX), where int8 is slower"
    from .int8 import PSNR_BAR, load_calibration

    worst = min((float(load_calibration(p).get("psnr_vs_fp32_db", 0.0)), str(p)) for p in calibrations)
    if worst[0] < PSNR_BAR:
        return fallback, (f"auto: int8 calibration {worst[1]} is {worst[0]:.1f} dB from fp32 on held-out "
                          f"frames, under the {PSNR_BAR:g} dB bar")
    return "int8", f"auto: int8 (VNNI, every model's calibration at least {worst[0]:.1f} dB from fp32)"


def autocast(precision: str, device: torch.device) -> ContextManager:
    """Autocast for ``precision`` (int8 has none: modules run in fp32 where int8 does not apply)."""
    if precision in ("fp32", "int8"):
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)
