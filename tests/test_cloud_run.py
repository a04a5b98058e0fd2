"""The Kubernetes profile, run for real against a stand-in cluster and a local S3 endpoint.

`profiles/kubernetes` runs the tiny workflow through snakemake-executor-plugin-kubernetes, whose
Kubernetes API is replaced by tests/fake_kubernetes.py: each job is a local process in an empty
folder, which gets the workflow's files and the job's inputs from the bucket (moto), parses the
workflow again and uploads its outputs, as a cloud job does. The config's input files are in the
bucket and in the main process's folder, not in the workflow's sources (like a user's footage).
This is what found that cloud jobs stopped on the config's file checks and that S3 folders a
job uploaded read as missing. The container image, the cluster's scheduling and GPUs are not
checked here (see README).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from test_profiles import BUCKET, CLOUD_ENV, storage_emulators, upload  # noqa: F401  (fixture)
from test_workflow import tiny_config

PREFIX = "k8s-run"
# The workflow's own files: what a user's clone holds in git (the assets are not in it).
WORKFLOW = ["Snakefile", "rules", "scripts", "sketchbook", "envs", "profiles", "pyproject.toml"]


def s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture(scope="module")
def cloud_run(assets, storage_emulators, tmp_path_factory):  # noqa: F811
    wd = tmp_path_factory.mktemp("k8s-wd")
    for name in WORKFLOW:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, wd / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, wd / name)
    shutil.copytree(assets, wd / "assets")
    cfg = tiny_config(assets)
    # One clip of each kind is enough here: frames sampled for training from `quiet`.
    del cfg["clips"]["odd"]
    cfg["content"]["images"] = "assets/content"
    text = yaml.safe_dump(cfg, sort_keys=False).replace(str(assets), "assets")
    (wd / "config.yaml").write_text(text)
    # A git checkout: Snakemake sends the tracked files to the jobs (the assets stay untracked).
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=wd, check=True)
    subprocess.run([*git, "add", *WORKFLOW, "config.yaml"], cwd=wd, check=True)
    upload(wd, "s3", storage_emulators["s3"], PREFIX)

    pods = tmp_path_factory.mktemp("pods")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKETCHBOOK_", "SNAKEMAKE_"))}
    env.update(CLOUD_ENV, SKETCHBOOK_STORAGE=f"s3://{BUCKET}/{PREFIX}", SKETCHBOOK_PRECISION="fp32",
               SNAKEMAKE_STORAGE_S3_ENDPOINT_URL=storage_emulators["s3"])
    cmd = [sys.executable, str(REPO / "tests" / "fake_kubernetes.py"), str(pods),
           "--profile", "profiles/kubernetes", "--seconds-between-status-checks", "1", "--jobs", "4"]
    r = subprocess.run(cmd, cwd=wd, env=env, capture_output=True, text=True, timeout=900)
    return wd, pods, r


def pod_specs(pods: Path) -> list[dict]:
    return [json.loads(line) for line in (pods / "pods.jsonl").read_text().splitlines()]


def test_workflow_finishes_in_pods(cloud_run, storage_emulators):  # noqa: F811
    wd, pods, r = cloud_run
    logs = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(pods.glob("*.log")))
    assert r.returncode == 0, f"{r.stderr[-6000:]}\n{logs[-8000:]}"
    s3 = s3_client(storage_emulators["s3"])
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)["Contents"]}
    for out in ["results/film.mp4", "results/models/scores.csv", "results/previews/variants.png",
                "results/clips/ntsc.mp4", "results/models/lines/good.pt"]:
        assert f"{PREFIX}/{out}" in keys, out
    # Folders a job uploaded (frames) were seen by the next job.
    assert any(k.startswith(f"{PREFIX}/results/frames/ntsc/") for k in keys)
    # Nothing was produced on the main process's disk (all through the bucket).
    assert not (wd / "results" / "film.mp4").exists()
    film = wd / "film.mp4"
    s3.download_file(BUCKET, f"{PREFIX}/results/film.mp4", str(film))
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(film)],
                                      capture_output=True, text=True, check=True).stdout)
    assert {s["codec_type"] for s in probe["streams"]} == {"video", "audio"}


def test_jobs_ran_as_pods_with_gpu_requests(cloud_run):
    _, pods, r = cloud_run
    specs = pod_specs(pods)
    by_rule = {}
    for spec in specs:
        by_rule.setdefault(spec["command"][-1].split("--allowed-rules ")[1].split()[0], []).append(spec)
    assert {"train_model", "stylize_frames", "extract_frames", "encode_clip", "join_film"} <= set(by_rule)
    assert "fetch_loss_network" not in by_rule  # a local rule: runs in the main process
    for rule, specs_ in by_rule.items():
        for spec in specs_:
            gpu = spec["requests"].get("nvidia.com/gpu"), spec["limits"].get("nvidia.com/gpu")
            if rule in {"train_model", "stylize_frames"}:
                assert gpu == ("1", "1") and "nvidia.com/gpu" in spec["tolerations"], spec
            else:
                assert gpu == (None, None), spec
    # Each pod parsed the workflow from the sources in the bucket, in its own empty folder.
    for spec in specs:
        assert "--deploy-sources" in spec["command"][-1] and "--mode 'remote'" in spec["command"][-1]
