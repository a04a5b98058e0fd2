"""The cloud profiles, run for real against stand-in APIs and local object storage.

Each cloud profile runs a small config through its own executor plugin, whose cloud API is
replaced by a stand-in (tests/fake_kubernetes.py, fake_googlebatch.py, fake_aws_batch.py): each
job is a local process in an empty folder, which gets the workflow's files and the job's inputs
from the bucket (moto for S3, a Cloud Storage emulator for GCS), parses the workflow again and
uploads its outputs, as a cloud job does. The config's input files are in the bucket and in the
main process's folder, not in the workflow's sources (like a user's footage).

These runs found what the dry runs could not: cloud jobs stopped on the config's file checks;
S3 folders a job uploaded read as missing; Kubernetes would refuse the GPU pods (no GPU limit);
AWS Batch refused the GPU jobs' vCPU/memory pair when the submitting machine had fewer than 8
cores; and Google Batch's job script ends with pip installs that the image must answer. Not
checked here (see README): the real APIs and credentials, the image build, GPUs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import BUCKET, CLOUD_ENV, GPU_RULES, REPO, s3_client, tiny_config, upload
from standin_image import pip_calls

pytestmark = pytest.mark.integration

PREFIX = "cloud-run"
REQUIREMENTS_TEXT = (REPO / "requirements.txt").read_text()
# The workflow's own files: what a user's clone holds in git (the assets are not in it).
WORKFLOW = ["Snakefile", "rules", "report", "scripts", "sketchbook", "envs", "profiles", "pyproject.toml"]


def small_config(assets: Path) -> dict:
    """One model, one clip: enough to send every rule through a cloud executor once."""
    cfg = tiny_config(assets)
    cfg["sketches"] = {"lines": cfg["sketches"]["lines"]}
    cfg["variants"] = {"good": cfg["variants"]["good"]}
    cfg["clips"] = {"ntsc": {**cfg["clips"]["ntsc"], "variants": ["good"]}}
    cfg["content"] = {"images": "assets/content", "held_out": 1}
    return cfg


def run_in_standin(standin: str, profile: str, storage: str, cfg: dict, assets: Path, emulators: dict,
                   tmp_path_factory, extra_env: dict | None = None):
    """The workflow's files in a fresh git checkout, the config's files in the bucket too, and
    Snakemake run through ``profile`` with the given stand-in API. -> (workdir, jobs folder, result)."""
    wd = tmp_path_factory.mktemp(f"{profile}-wd")
    for name in WORKFLOW:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, wd / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, wd / name)
    shutil.copytree(assets, wd / "assets")
    text = yaml.safe_dump(cfg, sort_keys=False).replace(str(assets), "assets")
    (wd / "config.yaml").write_text(text)
    # A git checkout: Snakemake sends the tracked files to the jobs (the assets stay untracked).
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=wd, check=True)
    subprocess.run([*git, "add", *WORKFLOW, "config.yaml"], cwd=wd, check=True)
    upload(wd, storage, emulators[storage], PREFIX)

    jobs = tmp_path_factory.mktemp(f"{profile}-jobs")
    scheme = "s3" if storage == "s3" else "gs"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKETCHBOOK_", "SNAKEMAKE_"))}
    env.update(CLOUD_ENV, SKETCHBOOK_STORAGE=f"{scheme}://{BUCKET}/{PREFIX}", SKETCHBOOK_PRECISION="fp32",
               SNAKEMAKE_STORAGE_S3_ENDPOINT_URL=emulators["s3"], STORAGE_EMULATOR_HOST=emulators["gcs"],
               **(extra_env or {}))
    cmd = [sys.executable, str(REPO / "tests" / standin), str(jobs), "--profile", f"profiles/{profile}",
           "--seconds-between-status-checks", "1", "--jobs", "4"]
    r = subprocess.run(cmd, cwd=wd, env=env, capture_output=True, text=True, timeout=900)
    return wd, jobs, r


def job_logs(jobs: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(jobs.glob("*.log")))


@pytest.fixture(scope="module")
def cloud_run(assets, storage_emulators, tmp_path_factory):
    """profiles/kubernetes with S3: two variants mixed per frame, training frames sampled from the clip."""
    cfg = small_config(assets)
    cfg["variants"] = tiny_config(assets)["variants"]
    cfg["clips"]["ntsc"]["variants"] = ["good", "weird"]
    cfg["content"].update(clips=["ntsc"], clip_frames=2, size=32)
    return run_in_standin("fake_kubernetes.py", "kubernetes", "s3", cfg, assets, storage_emulators,
                          tmp_path_factory)


def job_specs(jobs: Path) -> list[tuple[str, dict]]:
    """(rule, recorded request) of every job a stand-in started: the Snakemake command in the
    request names its rule."""
    specs = [json.loads(line) for line in (jobs / "jobs.jsonl").read_text().splitlines()]
    return [(re.search(r"--allowed-rules (\w+)", json.dumps(spec)).group(1), spec) for spec in specs]


def bucket_keys(storage: str, emulators: dict) -> set[str]:
    """Every object under PREFIX in the test bucket."""
    if storage == "s3":
        found = s3_client(emulators["s3"]).list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)["Contents"]
        return {o["Key"] for o in found}
    os.environ["STORAGE_EMULATOR_HOST"] = emulators["gcs"]
    try:
        from google.cloud import storage as gcs

        return {b.name for b in gcs.Client(project="test").bucket(BUCKET).list_blobs(prefix=PREFIX)}
    finally:
        del os.environ["STORAGE_EMULATOR_HOST"]


def assert_finished_in_the_bucket(run: tuple, storage: str, emulators: dict, outputs: list[str]) -> set[str]:
    """The run succeeded, its outputs are in the bucket and none on the main process's disk."""
    wd, jobs, r = run
    assert r.returncode == 0, f"{r.stderr[-6000:]}\n{job_logs(jobs)[-8000:]}"
    keys = bucket_keys(storage, emulators)
    for out in outputs:
        assert f"{PREFIX}/{out}" in keys, out
    assert not (wd / "results" / "film.mp4").exists()
    return keys


def test_workflow_finishes_in_pods(cloud_run, storage_emulators):
    keys = assert_finished_in_the_bucket(
        cloud_run, "s3", storage_emulators,
        ["results/film.mp4", "results/models/scores.csv", "results/previews/variants.png",
         "results/clips/ntsc.mp4", "results/models/lines/weird.pt", "results/plans/ntsc.csv"])
    # Folders a job uploaded (frames, frames sampled for training) were seen by the next job.
    assert any(k.startswith(f"{PREFIX}/results/frames/ntsc/") for k in keys)
    assert any(k.startswith(f"{PREFIX}/results/content/ntsc/train_") for k in keys)
    assert any(k.startswith(f"{PREFIX}/results/pairs/ntsc/pair_") for k in keys)  # weird's clip pairs
    film = cloud_run[0] / "film.mp4"
    s3_client(storage_emulators["s3"]).download_file(BUCKET, f"{PREFIX}/results/film.mp4", str(film))
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(film)],
                                      capture_output=True, text=True, check=True).stdout)
    assert {s["codec_type"] for s in probe["streams"]} == {"video", "audio"}


def test_jobs_ran_as_pods_with_gpu_requests(cloud_run):
    specs = job_specs(cloud_run[1])
    rules = {rule for rule, _ in specs}
    assert {"train_model", "stylize_frames", "extract_frames", "encode_clip", "join_film"} <= rules
    assert "fetch_loss_network" not in rules  # a local rule: runs in the main process
    for rule, spec in specs:
        gpu = spec["requests"].get("nvidia.com/gpu"), spec["limits"].get("nvidia.com/gpu")
        if rule in GPU_RULES:
            assert gpu == ("1", "1") and "nvidia.com/gpu" in spec["tolerations"], spec
        else:
            assert gpu == (None, None), spec
        # Each pod parsed the workflow from the sources in the bucket, in its own empty folder.
        assert "--deploy-sources" in spec["command"][-1] and "--mode 'remote'" in spec["command"][-1]


def assert_the_image_provides(calls: list[str]) -> None:
    """Every `pip install` a job asked for is answered by the Dockerfile's wheelhouse."""
    dockerfile = (REPO / "Dockerfile").read_text()
    wheeled = {pin for line in re.findall(r"^RUN pip wheel .*$", dockerfile, re.M)
               for pin in re.findall(r"[\w.-]+==[\w.]+", line)}
    assert calls, "the executor puts pip installs into every job"
    for call in calls:
        args = shlex.split(call)[2:]  # after "pip install"
        if args[:2] == ["--target", ".snakemake/pip-deployments"]:
            # Storage plugins: the Dockerfile wheels every snakemake-storage-plugin-* of requirements.txt.
            assert "grep -E '^snakemake-storage-plugin-' requirements.txt" in dockerfile
            for name in args[2:]:
                assert name.startswith("snakemake-storage-plugin-") and f"{name}==" in REQUIREMENTS_TEXT, call
        else:
            assert set(args) <= wheeled, f"{call}: not in the Dockerfile's wheelhouse {sorted(wheeled)}"


def test_kubernetes_jobs_pip_installs_are_in_the_image(cloud_run):
    _, pods, r = cloud_run
    assert_the_image_provides(pip_calls(pods))


@pytest.fixture(scope="module")
def batch_run(assets, storage_emulators, tmp_path_factory):
    """profiles/googlebatch with Cloud Storage, on the small config."""
    return run_in_standin("fake_googlebatch.py", "googlebatch", "gcs", small_config(assets), assets,
                          storage_emulators, tmp_path_factory)


def test_googlebatch_workflow_finishes_in_batch_jobs(batch_run, storage_emulators):
    assert_finished_in_the_bucket(batch_run, "gcs", storage_emulators,
                                  ["results/film.mp4", "results/models/scores.csv", "results/clips/ntsc.mp4"])


def test_googlebatch_gpu_rules_get_a_gpu_vm(batch_run):
    specs = job_specs(batch_run[1])
    for rule, spec in specs:
        assert spec["image"] == CLOUD_ENV["SKETCHBOOK_IMAGE"]
        assert spec["max_retry_count"] == 0  # Snakemake retries, not Batch as well
        if rule in GPU_RULES:
            assert spec["accelerators"] == [["nvidia-tesla-t4", 1]] and spec["machine_type"] == "n1-standard-8"
        else:
            assert spec["accelerators"] == [] and spec["machine_type"] == "e2-standard-4"
    assert {"train_model", "stylize_frames", "extract_frames", "join_film"} <= {rule for rule, _ in specs}
    # Its entrypoint ends with pip installs of its own, which the image must answer (Dockerfile).
    calls = pip_calls(batch_run[1])
    assert any("boto3==" in c for c in calls)
    assert_the_image_provides(calls)


@pytest.fixture(scope="module")
def aws_run(assets, storage_emulators, tmp_path_factory):
    """profiles/aws-batch with S3, on the small config."""
    return run_in_standin("fake_aws_batch.py", "aws-batch", "s3", small_config(assets), assets, storage_emulators,
                          tmp_path_factory)


def test_aws_batch_workflow_finishes_in_batch_jobs(aws_run, storage_emulators):
    assert_finished_in_the_bucket(aws_run, "s3", storage_emulators,
                                  ["results/film.mp4", "results/models/scores.csv", "results/clips/ntsc.mp4"])


def test_aws_batch_gpu_rules_get_a_gpu(aws_run):
    specs = job_specs(aws_run[1])
    for rule, spec in specs:
        assert spec["image"] == CLOUD_ENV["SKETCHBOOK_IMAGE"] and spec["queue"] == "test-queue"
        assert spec["timeout"] == 14400
        if rule in {"train_model", "stylize_frames"}:
            assert (spec["gpu"], spec["vcpu"], spec["memory"]) == (1, 8, 32768), spec
        elif rule in GPU_RULES:  # scoring, previews
            assert (spec["gpu"], spec["vcpu"], spec["memory"]) == (1, 8, 16384), spec
        else:
            assert spec["gpu"] == 0, spec
    assert {"train_model", "stylize_frames", "extract_frames", "join_film"} <= {rule for rule, _ in specs}
    assert_the_image_provides(pip_calls(aws_run[1]))
