"""Runs Snakemake against a stand-in Google Batch API whose jobs are local processes (tests only).

    python tests/fake_googlebatch.py JOBS_DIR [snakemake arguments...]

snakemake-executor-plugin-googlebatch builds a Batch job per Snakemake job (a VM with a boot
image, GPU accelerators, and runnables: a setup script, a script that writes the Snakefile, then
the container) and reads its logs from Cloud Logging. This replaces the two clients with a
stand-in that runs the runnables in order as local processes, in the job's own empty folder
(standing for the VM's /tmp/workdir, which the container mounts as its working directory), with
the container's environment. Nothing is shared with the main process but the storage (the
bucket). Each job's request (name, machine type, accelerators, image) is appended to
JOBS_DIR/jobs.jsonl and its output goes to JOBS_DIR/NAME.log.

What Google Batch does and this does not: start VMs, pull the image (jobs use this Python and
record their `pip install`s instead of running them: tests/standin_image.py), install GPU
drivers.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import types
import uuid

from google.cloud import batch_v1
from google.cloud import logging as cloud_logging

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_image import start_job  # noqa: E402

JOBS_DIR = os.environ.get("FAKE_BATCH_JOBS", "")  # set from the command line below
JOBS: dict[str, subprocess.Popen] = {}
LOGS: dict[str, str] = {}  # job uid -> log file


class BatchServiceClient:
    def __init__(self, *args, **kwargs):
        pass

    def create_job(self, request):
        job = request.job
        name = f"{request.parent}/jobs/{request.job_id}"
        uid = uuid.uuid4().hex
        task = job.task_groups[0].task_spec
        policy = job.allocation_policy.instances[0].policy
        workdir = tempfile.mkdtemp(prefix="vm-", dir=JOBS_DIR)
        steps, container_env = [], {}
        for runnable in task.runnables:
            if runnable.script.text:
                steps.append(runnable.script.text.replace("/tmp/workdir", workdir))
            elif runnable.container.image_uri:
                c = runnable.container
                container_env = dict(runnable.environment.variables)
                cmd = [c.entrypoint] + [a.replace("/tmp/workdir", workdir) for a in c.commands]
                steps.append(f"cd {shlex.quote(workdir)} && " + " ".join(map(shlex.quote, cmd)))
            # (barriers: the steps run one after the other anyway)
        record = {
            "machine_type": policy.machine_type,
            "accelerators": [[a.type_, a.count] for a in policy.accelerators],
            "image": task.runnables[-1].container.image_uri,
            "max_retry_count": task.max_retry_count,
            "steps": steps,
        }
        # A failing runnable fails the task, as in Batch.
        driver = os.path.join(workdir, "..", f"{request.job_id}.sh")
        with open(driver, "w") as f:
            f.write("set -e\n" + "\n".join(f"bash -c {shlex.quote(s)}" for s in steps) + "\n")
        JOBS[name] = start_job(JOBS_DIR, request.job_id, record, ["bash", driver], workdir, container_env)
        LOGS[uid] = os.path.join(JOBS_DIR, f"{request.job_id}.log")
        return batch_v1.Job(name=name, uid=uid)

    def get_job(self, request):
        rc = JOBS[request.name].poll()
        state = "RUNNING" if rc is None else "SUCCEEDED" if rc == 0 else "FAILED"
        return types.SimpleNamespace(status=types.SimpleNamespace(state=types.SimpleNamespace(name=state),
                                                                  status_events=[]))

    def delete_job(self, request):
        proc = JOBS.get(request.name)
        if proc is not None and proc.poll() is None:
            proc.kill()
        return types.SimpleNamespace(result=lambda: "deleted")


class LoggingClient:
    """Cloud Logging: a job's log lines, found by its uid."""

    def __init__(self, *args, **kwargs):
        pass

    def logger(self, name):
        return self

    def list_entries(self, filter_, page_size=None):
        uid = filter_.split("=", 1)[1]
        with open(LOGS[uid]) as f:
            return [types.SimpleNamespace(payload=line.rstrip("\n")) for line in f]




batch_v1.BatchServiceClient = BatchServiceClient
cloud_logging.Client = LoggingClient

if __name__ == "__main__":
    from snakemake.cli import main

    JOBS_DIR = sys.argv[1]
    sys.argv = ["snakemake"] + sys.argv[2:]
    main()
