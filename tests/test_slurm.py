"""profiles/slurm on a real Slurm cluster: one node on localhost, brought up by this test.

The test installs Debian's slurm-wlm and munge where missing, starts munged, slurmctld and slurmd
(tools/slurm_cluster.sh), runs a tiny config through `--profile profiles/slurm`, and checks that
every job went through Slurm (its Slurm job id in Snakemake's log, its record in squeue, GPU jobs
on the GPU partition with a GPU), that the outputs equal those of a local run of the same config,
that a Slurm job which fails once (the test cancels one training job in Slurm while it runs, as
a lost node or an admin would) is retried without redoing finished work, and that a re-run has
nothing to do. Then it stops exactly the daemons it started. It needs root; where it cannot be
root it skips (in CI, CI=true, it fails instead).

Test-only settings, on top of the profile (a second --profile): no Slurm account (the test
cluster has no accounting, so squeue is the status command), status checks after 1 s, kept Slurm
logs, and one thread per job so that two jobs share the 2-CPU node. The GPU partition is named
`gpu-test` through SKETCHBOOK_GPU_PARTITION, as a user would name theirs.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from sketchbook.allocator import MALLOC_ENV

from helpers import REPO, tiny_config

pytestmark = pytest.mark.integration

CLUSTER = REPO / "tools" / "slurm_cluster.sh"
GPU_PARTITION = "gpu-test"
RUN_TIMEOUT = 900
# What the Slurm run makes: both GPU rules' outputs, through every rule upstream of them (the
# rest of the workflow is the same kind of CPU job; its dry run is in test_profiles.py). Each
# Slurm job costs this 2-core machine two Snakemake starts (about 10 s), so the test stays small.
TARGETS = ["results/stylized/ntsc"]

OVERRIDES = {
    "slurm-no-account": True,
    "slurm-status-command": "squeue",
    "slurm-init-seconds-before-status-checks": 1,
    "seconds-between-status-checks": 1,
    "slurm-keep-successful-logs": True,
    "max-threads": 1,
}

# The Slurm job that fails once: cancelled in Slurm while it runs; the retry (profiles/slurm:
# `retries: 1`) must succeed.
CANCEL = "rule_train_model_wildcards_lines_weird"  # the job's Slurm comment (set by the plugin)


def slurm_config(assets: Path) -> dict:
    """The tiny config, smaller: one sketch, two variants, one clip that mixes them."""
    cfg = tiny_config(assets)
    cfg["sketches"] = {"lines": cfg["sketches"]["lines"]}
    cfg["clips"] = {"ntsc": cfg["clips"]["ntsc"]}
    if isinstance(cfg["content"].get("clips"), list):
        cfg["content"]["clips"] = [c for c in cfg["content"]["clips"] if c in cfg["clips"]]
    return cfg


def env() -> dict:
    return {**os.environ, "SKETCHBOOK_PRECISION": "fp32", "SKETCHBOOK_GPU_PARTITION": GPU_PARTITION,
            **MALLOC_ENV}


# Snakemake's command line, with status checks at most 2 s apart: the plugin (2.8.0) waits 10 s
# longer after every check that finds no job finished (up to 3 minutes), which on this 2-core
# machine made the test take twice as long. Test-only; the plugin's own settings set the first
# interval (slurm-init-seconds-before-status-checks).
SNAKEMAKE = """
import asyncio, sys
from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor

async def sleep(self):
    await asyncio.sleep(min(self.next_seconds_between_status_checks, 2))

RemoteExecutor.sleep = sleep
from snakemake.cli import main
sys.argv[0] = "snakemake"
main()
"""


def snakemake(*args: str, log: Path, nice: bool = False) -> subprocess.Popen:
    """Start Snakemake from the repo root, as a user would (profiles/default/ is read as well)."""
    cmd = [sys.executable, "-c", SNAKEMAKE, *args]
    return subprocess.Popen(cmd, cwd=REPO, env=env(), stdout=log.open("w"), stderr=subprocess.STDOUT, text=True,
                            preexec_fn=(lambda: os.nice(19)) if nice else None)


def cancel_once(comment: str, done: threading.Event, cancelled: list[str]) -> None:
    """scancel the first running Slurm job whose comment is `comment`."""
    while not done.is_set():
        r = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-o", "%i|%k"], capture_output=True, text=True)
        for line in r.stdout.split():
            jobid, _, job_comment = line.partition("|")
            if job_comment == comment:
                subprocess.run(["scancel", jobid], check=True)
                cancelled.append(jobid)
                return
        time.sleep(0.25)


def finish(proc: subprocess.Popen, log: Path, what: str) -> str:
    try:
        proc.wait(RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    out = log.read_text()
    if proc.returncode != 0:
        raise AssertionError(f"{what} failed ({proc.returncode}):\n{out[-8000:]}")
    return out


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A one-node Slurm cluster on localhost for this module; stopped at the end."""
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("the Slurm test must run in CI, as root")
        pytest.skip("needs root: installs slurm-wlm/munge (apt-get), writes /etc/slurm/slurm.conf and "
                    "starts munged, slurmctld and slurmd")
    # One Slurm test at a time on this machine (the cluster's config is machine-wide).
    lock = open(Path(tmp_path_factory.getbasetemp()).parent / "sketchbook-slurm-test.lock", "w")
    deadline = time.monotonic() + 1200
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                pytest.fail("another Slurm test held the lock for 20 minutes")
            time.sleep(2)
    r = subprocess.run(["bash", str(CLUSTER), "install"], capture_output=True, text=True)
    assert r.returncode == 0, f"installing Slurm failed:\n{r.stdout}\n{r.stderr}"
    state = tmp_path_factory.mktemp("slurm")
    r = subprocess.run(["bash", str(CLUSTER), "start", str(state)], capture_output=True, text=True,
                       env={**os.environ, "SLURM_TEST_GPU_PARTITION": GPU_PARTITION, "SLURM_TEST_GPUS": "2",
                            "SLURM_TEST_CPUS": "4"})
    try:
        assert r.returncode == 0, f"starting Slurm failed:\n{r.stdout}\n{r.stderr}"
        yield state
    finally:
        # Jobs first (their processes are not the daemons'), then the daemons this test started.
        left = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True).stdout.split()
        if left:
            subprocess.run(["scancel", "--full", *left], capture_output=True)
        for _ in range(50):
            q = subprocess.run(["squeue", "-h", "-t", "PENDING,RUNNING,COMPLETING", "-o", "%i"],
                               capture_output=True, text=True)
            if q.returncode != 0 or not q.stdout.strip():
                break
            time.sleep(0.2)
        subprocess.run(["bash", str(CLUSTER), "stop", str(state)], capture_output=True, text=True)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


@pytest.fixture(scope="module")
def runs(slurm, assets, tmp_path_factory):
    """The same config run through Slurm (one job cancelled once) and locally."""
    cfg = slurm_config(assets)
    local = tmp_path_factory.mktemp("local")
    cluster = tmp_path_factory.mktemp("cluster")
    for d in (local, cluster):
        (d / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    overrides = tmp_path_factory.mktemp("overrides")
    (overrides / "config.yaml").write_text(yaml.safe_dump(OVERRIDES))
    logs = tmp_path_factory.mktemp("logs")
    profile = ["--profile", "profiles/slurm", "--profile", str(overrides)]

    t0 = time.monotonic()
    slurm_run = snakemake("-s", str(REPO / "Snakefile"), "-d", str(cluster), *profile, *TARGETS,
                          log=logs / "slurm.log")
    # The local run meanwhile, on the CPU time the Slurm run leaves (it waits for the queue and
    # its status checks): same config, one thread per job as in Slurm.
    local_run = snakemake("-s", str(REPO / "Snakefile"), "-d", str(local), "--cores", "2", "--max-threads", "1",
                          *TARGETS, log=logs / "local.log", nice=True)
    done, cancelled = threading.Event(), []
    canceller = threading.Thread(target=cancel_once, args=(CANCEL, done, cancelled), daemon=True)
    canceller.start()
    try:
        out = finish(slurm_run, logs / "slurm.log", "the Slurm run")
        t_slurm = time.monotonic() - t0
        finish(local_run, logs / "local.log", "the local run")
    finally:
        done.set()
        canceller.join()
        for proc in (slurm_run, local_run):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print(f"Slurm run {t_slurm:.0f} s, local run (alongside) done after {time.monotonic() - t0:.0f} s")
    rerun = finish(snakemake("-s", str(REPO / "Snakefile"), "-d", str(cluster), *profile, "-n", *TARGETS,
                             log=logs / "rerun.log"), logs / "rerun.log", "the dry re-run")
    return local, cluster, out, rerun, cancelled


SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)")


def submissions(out: str) -> list[tuple[str, str]]:
    """(Slurm job id, rule or group name with wildcards) for each submission, in order."""
    subs = []
    for jobid, log in SUBMITTED.findall(out):
        subs.append((jobid, str(Path(log).parent).split("/slurm_logs/", 1)[1]))
    return subs


def squeue() -> dict[str, dict[str, str]]:
    """Every job Slurm still lists (MinJobAge: 5 minutes after it ended), by job id."""
    r = subprocess.run(["squeue", "--states=all", "-h", "-o", "%i|%T|%P|%C"], capture_output=True, text=True,
                       check=True)
    jobs = {}
    for line in r.stdout.split():
        jobid, state, partition, cpus = line.split("|")
        jobs[jobid] = {"state": state, "partition": partition, "cpus": cpus}
    for jobid in jobs:
        info = subprocess.run(["scontrol", "show", "job", jobid], capture_output=True, text=True).stdout
        jobs[jobid]["gres"] = " ".join(re.findall(r"TresPerJob=(\S+)", info))
    return jobs


def test_every_job_went_through_slurm(runs):
    _, _, out, _, cancelled = runs
    subs = submissions(out)
    names = [name for _, name in subs]
    # One Slurm job per job; a clip's frame extraction and plan share one (group "prepare").
    expected = {"rule_train_model/lines_good", "rule_train_model/lines_weird", "rule_stylize_frames/ntsc"}
    assert expected <= set(names), names
    assert any(n.startswith("group_prepare_") for n in names), names
    # The loss network's weights are fetched where Snakemake runs (a local rule), not in Slurm.
    assert "localrule fetch_loss_network:" in out and "rule_fetch_loss_network" not in names
    # Nothing ran outside Slurm: every job is in a submission (grouped rules by their group).
    jobs_run = set(re.findall(r"^rule (\w+):", out, re.M))
    submitted_rules = {n.split("/")[0].removeprefix("rule_") for n in names if n.startswith("rule_")}
    assert jobs_run <= submitted_rules, jobs_run - submitted_rules
    # Slurm's own record of them: partition, GPU, state.
    jobs = squeue()
    for jobid, name in subs:
        assert jobid in jobs, f"Slurm job {jobid} ({name}) unknown to squeue"
        job = jobs[jobid]
        gpu_rule = name.startswith(("rule_train_model", "rule_stylize_frames"))
        assert job["partition"] == (GPU_PARTITION if gpu_rule else "main"), (name, job)
        assert ("gpu:1" in job["gres"]) == gpu_rule, (name, job)
        assert job["state"] == ("CANCELLED" if jobid in cancelled else "COMPLETED"), (name, job)


def test_a_failed_slurm_job_is_retried_without_redoing_finished_work(runs):
    _, cluster, out, _, cancelled = runs
    assert len(cancelled) == 1, "the test did not catch the training job running"
    names = [name for _, name in submissions(out)]
    assert names.count("rule_train_model/lines_weird") == 2
    repeated = {n for n in names if names.count(n) > 1}
    assert repeated == {"rule_train_model/lines_weird"}, f"finished work was redone: {repeated}"
    assert f"SLURM-job '{cancelled[0]}' failed" in out
    assert (cluster / "results/models/lines/weird.pt").exists()


def test_gpu_jobs_run_side_by_side(runs):
    """`resources: gpu=1` of profiles/default limits each Slurm job, not how many are queued."""
    _, _, out, _, _ = runs
    first_train_done = out.index("(Rule: train_model)")
    submitted_before = out[:first_train_done].count("rule_train_model/")
    assert submitted_before >= 2


def test_rerun_has_nothing_to_do(runs):
    _, _, _, rerun, _ = runs
    assert "Nothing to be done" in rerun


def frames(d: Path) -> dict[str, np.ndarray]:
    return {p.name: np.asarray(Image.open(p)) for p in sorted(d.glob("*.png"))}


def test_outputs_equal_a_local_run(runs):
    local, cluster, _, _, _ = runs
    files = {p.relative_to(local) for p in (local / "results").rglob("*") if p.is_file()}
    assert files == {p.relative_to(cluster) for p in (cluster / "results").rglob("*") if p.is_file()}
    # Plans, frame metadata and audio: byte for byte.
    for rel in files:
        if rel.suffix in {".csv", ".json", ".wav"} and rel.parts[1] in {"plans", "frames", "audio"}:
            assert (local / rel).read_bytes() == (cluster / rel).read_bytes(), rel
    # The same frames, stylized identically.
    for sub in ("frames/ntsc", "stylized/ntsc"):
        a, b = frames(local / "results" / sub), frames(cluster / "results" / sub)
        assert a.keys() == b.keys() and len(a) == 30
        for name in a:
            assert np.array_equal(a[name], b[name]), f"{sub}/{name}"
    # The same models (seeded fp32 training, one thread in both runs): identical weights and losses.
    for model in sorted((local / "results/models").glob("*/*.pt")):
        rel = model.relative_to(local)
        a = torch.load(model, weights_only=True)
        b = torch.load(cluster / rel, weights_only=True)
        sa, sb = a.get("state_dict", a), b.get("state_dict", b)
        assert sa.keys() == sb.keys()
        for k in sa:
            assert torch.equal(sa[k], sb[k]), f"{rel}: {k}"
        la = pd.read_csv(model.with_suffix(".losses.csv"))
        lb = pd.read_csv((cluster / rel).with_suffix(".losses.csv"))
        timing = [c for c in la.columns if "second" in c or "time" in c]
        pd.testing.assert_frame_equal(la.drop(columns=timing), lb.drop(columns=timing))
