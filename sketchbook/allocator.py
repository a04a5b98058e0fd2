"""The glibc malloc settings every torch process of this project runs with: the one place they live.

On some machines glibc's malloc returning large blocks to the OS (and taking them back) slows torch
1.4-2.5x. glibc reads these variables when a process starts, so they are set in the environment
that jobs and subprocesses inherit: by rules/common.smk (Snakemake's jobs), the tests' conftest.py,
benchmarks/bench.py; the Makefile and the Dockerfile carry copies (tests/test_allocator.py checks
that they agree). A value already in the environment wins.
"""

from __future__ import annotations

import os
from typing import MutableMapping

MALLOC_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "100000000000"}


def set_malloc_env(environ: MutableMapping[str, str] = os.environ) -> None:
    """Put the settings into ``environ`` (the process's environment by default) where not set."""
    for key, value in MALLOC_ENV.items():
        environ.setdefault(key, value)
