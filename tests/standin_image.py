"""What the stand-in clusters (tests/fake_*.py) run a job in instead of the container image.

A job gets this Python (its bin/ first on PATH) and ffmpeg from the machine, and a `pip` that
installs nothing: the cloud executors put `pip install ...` commands into every job, which the
image answers from its wheelhouse (Dockerfile) without PyPI. Here they are only recorded, one per
line in the file named by $STANDIN_PIP_LOG, so that a test can check that the Dockerfile's
wheelhouse holds what they ask for; installing them would change this test environment.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PIP_SHIM = """#!/bin/sh
echo "pip $*" >> "$STANDIN_PIP_LOG"
"""

PYTHON3_SHIM = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
    shift 2
    echo "pip $*" >> "$STANDIN_PIP_LOG"
    exit 0
fi
exec "{python}" "$@"
"""


def job_env(base: dict, folder: str | Path) -> dict:
    """The environment of a job: ``base`` with the shims and this Python's bin/ first on PATH."""
    folder = Path(folder)
    shims = folder / "image-bin"
    if not shims.exists():
        shims.mkdir(parents=True)
        for name, text in [("pip", PIP_SHIM), ("pip3", PIP_SHIM),
                           ("python3", PYTHON3_SHIM.format(python=sys.executable))]:
            (shims / name).write_text(text)
            (shims / name).chmod(0o755)
    path = os.pathsep.join([str(shims), os.path.dirname(sys.executable), base.get("PATH", "")])
    return {**base, "PATH": path, "STANDIN_PIP_LOG": str(folder / "pip-calls.txt")}


def pip_calls(folder: str | Path) -> list[str]:
    log = Path(folder) / "pip-calls.txt"
    return log.read_text().splitlines() if log.exists() else []
