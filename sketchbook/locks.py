"""A stale Snakemake lock: the run that held it was killed, so the next run must not wait for it.

Snakemake locks a working directory with files in ``.snakemake/locks/`` and removes them when it
ends. A run killed outright (SIGKILL, a closed laptop, an out-of-memory kill) leaves them behind,
and every later run stops with "Directory cannot be locked" until ``snakemake --unlock``. The
``make`` targets call :func:`unlock_if_stale` first: where no Snakemake process (nor a job of one)
is alive in the directory, the locks are stale and removed (what ``--unlock`` does), said in one
line. Where one is alive, nothing is touched.

Runs on Linux (reads ``/proc``); elsewhere it does nothing, and Snakemake's own message stands.

``python -m sketchbook.locks [DIR]`` does it for DIR (default: the current directory).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Optional


def lock_files(workdir: Path | str) -> list[Path]:
    d = Path(workdir) / ".snakemake" / "locks"
    return sorted(d.glob("*.lock")) if d.is_dir() else []


def _is_snakemake(cmdline: list[str]) -> bool:
    """Snakemake itself (``snakemake``, ``python -m snakemake``) or one of its jobs (a script
    Snakemake copied into ``.snakemake/scripts/``, ``--target-jobs`` re-invocations)."""
    for i, arg in enumerate(cmdline):
        base = os.path.basename(arg)
        if base == "snakemake" or (arg == "-m" and i + 1 < len(cmdline) and cmdline[i + 1] == "snakemake"):
            return True
        if "/.snakemake/scripts/" in arg or arg.startswith(".snakemake/scripts/"):
            return True
    return False


def _directory_arg(cmdline: list[str]) -> Optional[str]:
    for i, arg in enumerate(cmdline):
        if arg in ("-d", "--directory") and i + 1 < len(cmdline):
            return cmdline[i + 1]
        if arg.startswith("--directory="):
            return arg.split("=", 1)[1]
    return None


def live_processes(workdir: Path | str) -> list[int]:
    """Pids of Snakemake processes (and their jobs) working in ``workdir``; [] where /proc is absent."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    target = Path(workdir).resolve()
    me = {os.getpid(), os.getppid()}
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) in me:
            continue
        try:
            cmdline = [a.decode("utf-8", "replace") for a in (entry / "cmdline").read_bytes().split(b"\0") if a]
        except OSError:  # gone
            continue
        if not cmdline or not _is_snakemake(cmdline):
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
        except PermissionError:  # another user's Snakemake: where it works is hidden, so count it
            found.append(int(entry.name))
            continue
        except OSError:  # gone
            continue
        d = _directory_arg(cmdline)
        where = (cwd / d).resolve() if d else cwd
        if where == target or cwd == target:
            found.append(int(entry.name))
    return sorted(found)


def unlock_if_stale(workdir: Path | str = ".") -> Optional[str]:
    """Remove Snakemake's locks in ``workdir`` where no Snakemake process is alive there.

    Returns the one line to show (None when there was no lock)."""
    locks = lock_files(workdir)
    if not locks:
        return None
    if not Path("/proc").is_dir():
        return None
    alive = live_processes(workdir)
    if alive:
        return (f"Snakemake is still running in {Path(workdir).resolve()} (pid {', '.join(map(str, alive))}): "
                "its lock is kept; wait for it or stop it")
    shutil.rmtree(Path(workdir) / ".snakemake" / "locks", ignore_errors=True)
    return ("a previous run was stopped before it finished (its lock was left behind): unlocked; "
            "carrying on where it stopped")


def main(argv: list[str]) -> int:
    message = unlock_if_stale(argv[0] if argv else ".")
    if message:
        print(f"sketchbook: {message}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
