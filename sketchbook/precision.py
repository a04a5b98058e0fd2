"""Device and numeric precision selection."""

from __future__ import annotations

import contextlib
from typing import ContextManager

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
    """``auto`` is bf16 on CUDA with bf16 support or on CPUs with native bf16, else fp32 (it does
    not pick int8: that needs each model's calibration, asked for per clip)."""
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


def autocast(precision: str, device: torch.device) -> ContextManager:
    """Autocast for ``precision`` (int8 has none: modules run in fp32 where int8 does not apply)."""
    if precision in ("fp32", "int8"):
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)
