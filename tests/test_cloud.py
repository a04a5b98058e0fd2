"""Pieces of the cluster and cloud runs that need no cluster: the S3 plugin work-around, the
stand-in Kubernetes API's own checks, and how a job finds this workflow's package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO


def test_s3_directory_check_is_asked_again_until_it_exists():
    pytest.importorskip("snakemake_storage_plugin_s3")
    from snakemake_storage_plugin_s3 import StorageObject

    from sketchbook.workflow.storage import patch_s3_directory_check

    assert patch_s3_directory_check()  # the pinned 0.3.6 is affected
    assert patch_s3_directory_check()  # and patching twice is harmless
    obj = StorageObject.__new__(StorageObject)
    obj._is_dir = None
    listing = []
    obj.get_subkeys = lambda: iter(listing)
    assert not obj.is_dir()            # asked before the job ran
    listing.append("frames/000001.png")  # the job uploaded the folder
    assert obj.is_dir()
    listing.clear()
    assert obj.is_dir()                # a "yes" is kept, as the plugin does


def test_s3_patch_leaves_other_versions_alone(monkeypatch):
    from sketchbook.workflow import storage

    monkeypatch.setattr(storage.metadata, "version", lambda name: "0.4.0")
    assert not storage.patch_s3_directory_check()
    assert storage._version_tuple("0.3.6") == (0, 3, 6) and storage._version_tuple("1.0rc1") == (1, 0, 0)


def test_stand_in_kubernetes_rejects_a_gpu_request_without_limit(tmp_path):
    """Like the API server: the check that test_cloud_run relies on can fail."""
    pytest.importorskip("kubernetes")
    code = f"""
import sys
sys.argv = ["x"]
sys.path.insert(0, {str(REPO / 'tests')!r})
import fake_kubernetes as fk
from kubernetes import client
fk.PODS_DIR = {str(tmp_path)!r}
def job(requests, limits):
    c = client.V1Container(name="snakemake", image="i", command=["true"], args=[],
                           resources=client.V1ResourceRequirements(requests=requests, limits=limits))
    spec = client.V1PodSpec(containers=[c], restart_policy="Never")
    return client.V1Job(metadata=client.V1ObjectMeta(name="j"),
                        spec=client.V1JobSpec(template=client.V1PodTemplateSpec(spec=spec)))
try:
    fk.BatchV1Api().create_namespaced_job("default", job({{"nvidia.com/gpu": "1"}}, None))
except client.rest.ApiException as e:
    print("REJECTED", e.reason)
fk.BatchV1Api().create_namespaced_job("default", job({{"nvidia.com/gpu": "1"}}, {{"nvidia.com/gpu": "1"}}))
print("ACCEPTED")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "REJECTED" in r.stdout and "Limit must be set" in r.stdout, r.stdout + r.stderr
    assert "ACCEPTED" in r.stdout, r.stderr


def test_scripts_use_the_workflows_own_package(tmp_path):
    """A job imports sketchbook from the workflow's folder (conda envs and cloud jobs have no install)."""
    shutil.copytree(REPO / "sketchbook", tmp_path / "sketchbook", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "scripts", tmp_path / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    # What Snakemake's script preamble does: the script's folder at the END of sys.path.
    code = (f"import sys; sys.path.append({str(tmp_path / 'scripts')!r}); "
            "import _workflow_package, sketchbook; print(sketchbook.__file__)")
    r = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True, check=True)
    assert Path(r.stdout.strip()).is_relative_to(tmp_path), r.stdout
    # Every entry point does it before importing the package.
    for script in (REPO / "scripts").glob("*.py"):
        text = script.read_text()
        if "run(main, snakemake)" in text:
            first = text.index("import _workflow_package")
            assert first < text.index("from sketchbook"), script.name
