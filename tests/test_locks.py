"""A stale Snakemake lock (a killed run) is removed before the next run; a live run's lock is kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sketchbook import locks

from helpers import REPO, snakemake, tiny_config, write_config

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")


def make_lock(workdir: Path) -> Path:
    d = workdir / ".snakemake" / "locks"
    d.mkdir(parents=True)
    (d / "0.input.lock").write_text("results/film.mp4\n")
    (d / "0.output.lock").write_text("results/film.mp4\n")
    return d


def test_no_lock_says_nothing(tmp_path):
    assert locks.unlock_if_stale(tmp_path) is None


def test_stale_lock_is_removed(tmp_path):
    d = make_lock(tmp_path)
    msg = locks.unlock_if_stale(tmp_path)
    assert msg is not None and "unlocked" in msg and "\n" not in msg
    assert not d.exists()


@pytest.mark.parametrize("how", ["cwd", "directory-arg"])
def test_live_snakemake_keeps_its_lock(tmp_path, how):
    d = make_lock(tmp_path)
    # A stand-in whose command line looks like Snakemake's, running in (or pointed at) the folder.
    fake = tmp_path / "bin" / "snakemake"
    fake.parent.mkdir()
    fake.write_text("import time\ntime.sleep(60)\n")
    args = [sys.executable, str(fake)] + (["-d", str(tmp_path)] if how == "directory-arg" else [])
    proc = subprocess.Popen(args, cwd=tmp_path if how == "cwd" else tmp_path.parent)
    try:
        time.sleep(0.3)
        assert proc.pid in locks.live_processes(tmp_path)
        msg = locks.unlock_if_stale(tmp_path)
        assert f"pid {proc.pid}" in msg and "kept" in msg
        assert (d / "0.input.lock").exists()
    finally:
        proc.kill()
        proc.wait()
    assert "unlocked" in locks.unlock_if_stale(tmp_path)
    assert not d.exists()


def test_a_snakemake_elsewhere_does_not_count(tmp_path):
    make_lock(tmp_path)
    other = tmp_path.parent / f"{tmp_path.name}-other"
    other.mkdir()
    fake = other / "snakemake"
    fake.write_text("import time\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, str(fake)], cwd=other)
    try:
        time.sleep(0.3)
        assert proc.pid not in locks.live_processes(tmp_path)
        assert "unlocked" in locks.unlock_if_stale(tmp_path)
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.workflow
def test_killed_run_then_run_again(assets, tmp_path):
    """The real thing: SIGKILL a Snakemake run while it holds its lock; the same command fails on
    the stale lock; after the make targets' unlock step it runs to the end."""
    cfg = tiny_config(assets)
    write_config(tmp_path, cfg)
    target = "results/frames/ntsc.json"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(tmp_path), "--cores", "1",
           target]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while not locks.lock_files(tmp_path) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert locks.lock_files(tmp_path), "snakemake never locked the folder"
    os.killpg(proc.pid, signal.SIGKILL)  # it and its job
    proc.wait()
    time.sleep(0.2)
    r = snakemake(tmp_path, target, check=False)
    assert r.returncode != 0 and "cannot be locked" in r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-m", "sketchbook.locks", str(tmp_path)], capture_output=True, text=True,
                       cwd=REPO)
    assert r.returncode == 0 and r.stderr.count("\n") == 1 and "unlocked" in r.stderr
    snakemake(tmp_path, target)
    assert (tmp_path / target).exists()


def test_make_demo_unlocks_first():
    text = (REPO / "Makefile").read_text()
    demo = text[text.index("\ndemo:"):]
    demo = demo[: demo.index("\n\n")]
    assert demo.index("-m sketchbook.locks") < demo.index("snakemake --cores")
