"""What the stand-in clusters (tests/fake_*.py) run a job in instead of the container image,
and how they start one (:func:`start_job`).

A job gets this Python (its bin/ first on PATH) and ffmpeg from the machine, and a `pip` that
installs nothing: the cloud executors put `pip install ...` commands into every job, which the
image answers from its wheelhouse (Dockerfile) without PyPI. Here they are only recorded, one per
line in the file named by $STANDIN_PIP_LOG, so that a test can check that the Dockerfile's
wheelhouse holds what they ask for; installing them would change this test environment.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
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


_STARTED: list[subprocess.Popen] = []


def start_job(folder: str | Path, name: str, record: dict, command: list[str], workdir: str | Path,
              env: dict[str, str]) -> subprocess.Popen:
    """Start a job's command in ``workdir`` with the image's environment plus ``env``.

    ``{"name": name, **record}`` is appended to FOLDER/jobs.jsonl, the output goes to
    FOLDER/NAME.log, and a job still running when the stand-in exits is killed.
    """
    folder = Path(folder)
    with open(folder / "jobs.jsonl", "a") as f:
        f.write(json.dumps({"name": name, **record}) + "\n")
    with open(folder / f"{name}.log", "w") as log:
        proc = subprocess.Popen(command, cwd=workdir, env=job_env({**os.environ, **env}, folder),
                                stdout=log, stderr=subprocess.STDOUT)
    _STARTED.append(proc)
    return proc


@atexit.register
def _stop_jobs() -> None:
    for proc in _STARTED:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
