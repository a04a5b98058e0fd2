"""Sketchbook's C kernel (``norm_quant.c``), built at first use with the machine's C compiler.

The shared library is cached per source, compiler and CPU (``$SKETCHBOOK_CACHE``, else
``$XDG_CACHE_HOME/sketchbook``, else ``~/.cache/sketchbook``): a node of another CPU model builds
its own. Where no compiler is found or the build fails, :func:`library` returns None and the caller
takes its torch fallback (one log line says so). The kernel runs its rows on OpenMP threads
(``-fopenmp``): the library then uses the libgomp torch has already loaded (same soname), so its
threads are torch's own; a second pool of threads competed with torch's spinning workers and made
the pass three times slower.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Optional

log = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("norm_quant.c")
FLAGS = ["-O3", "-march=native", "-fopenmp", "-shared", "-fPIC"]


def _cpu_flags() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith(("flags", "Features")):
                return line
    except OSError:
        pass
    return ""


def cache_dir() -> Path:
    if os.environ.get("SKETCHBOOK_CACHE"):
        return Path(os.environ["SKETCHBOOK_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sketchbook"


@lru_cache(maxsize=1)
def library() -> Optional[ctypes.CDLL]:
    """The built kernel library, or None (no compiler, or the build failed: logged once)."""
    if os.environ.get("SKETCHBOOK_NO_C") == "1":
        return None
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        log.info("no C compiler (cc): int8 normalisation runs as torch ops (slower)")
        return None
    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
        key = hashlib.sha256(SOURCE.read_bytes() + version.encode() + _cpu_flags().encode()
                             + " ".join(FLAGS).encode()).hexdigest()[:16]
        so = cache_dir() / f"norm_quant-{key}.so"
        if not so.is_file():
            so.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=so.parent) as tmp:
                out = Path(tmp) / so.name
                r = subprocess.run([cc, *FLAGS, "-o", str(out), str(SOURCE)], capture_output=True, text=True,
                                   timeout=120)
                if r.returncode != 0:
                    log.warning("building %s failed (%s): int8 normalisation runs as torch ops (slower)",
                                SOURCE.name, (r.stderr.strip().splitlines() or ["?"])[-1])
                    return None
                os.replace(out, so)  # atomic: another process may be building the same
        lib = ctypes.CDLL(str(so))
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("C kernel unavailable (%s): int8 normalisation runs as torch ops (slower)", exc)
        return None
    f = lib.sbk_norm_quant
    n, p = ctypes.c_long, ctypes.c_void_p  # sizes and strides (elements); pointers
    f.argtypes = [p, n, n, n, n, n, n, p, p, ctypes.c_int, p, n, n, p, n, n, p, p, p, n, n]
    f.restype = None
    return lib
