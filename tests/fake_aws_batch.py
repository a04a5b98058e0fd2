"""Runs Snakemake against a stand-in AWS Batch API whose jobs are local processes (tests only).

    python tests/fake_aws_batch.py JOBS_DIR [snakemake arguments...]

snakemake-executor-plugin-aws-batch registers a job definition per Snakemake job (image, command,
environment, vCPU / memory / GPU requirements, timeout), submits it to a job queue and polls
`describe_jobs`. This replaces its boto3 Batch client with a stand-in that runs the container
command as a local process, in the job's own empty folder, with the definition's environment.
Nothing is shared with the main process but the storage (the bucket). Each job's definition
(name, vCPU, memory, GPU, image, timeout) is appended to JOBS_DIR/jobs.jsonl and its output goes
to JOBS_DIR/NAME.log.

What AWS Batch does and this does not: pick and start EC2 instances from the queue's compute
environment, pull the image (jobs use this Python and record their `pip install`s instead of
running them: tests/standin_image.py), give GPUs.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid

from snakemake_executor_plugin_aws_batch import batch_client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_image import start_job  # noqa: E402

JOBS_DIR = os.environ.get("FAKE_BATCH_JOBS", "")  # set from the command line below
DEFINITIONS: dict[str, dict] = {}
JOBS: dict[str, dict] = {}


class FakeBatch:
    def register_job_definition(self, jobDefinitionName, type, containerProperties, timeout, tags,
                                platformCapabilities):
        req = {r["type"]: r["value"] for r in containerProperties["resourceRequirements"]}
        for key in ("VCPU", "MEMORY"):
            if not str(req.get(key, "")).isdigit() or int(req[key]) < 1:
                raise ValueError(f"ClientException: {key} must be a positive integer, got {req.get(key)!r}")
        if timeout["attemptDurationSeconds"] < 60:
            raise ValueError("ClientException: attemptDurationSeconds must be at least 60")
        name = f"{jobDefinitionName}:1"
        DEFINITIONS[name] = {"container": containerProperties, "requirements": req, "timeout": timeout}
        return {"jobDefinitionName": jobDefinitionName, "revision": 1,
                "jobDefinitionArn": f"arn:aws:batch:us-east-1:000000000000:job-definition/{name}"}

    def submit_job(self, jobName, jobQueue, jobDefinition):
        definition = DEFINITIONS[jobDefinition]
        container = definition["container"]
        record = {
            "queue": jobQueue,
            "vcpu": int(definition["requirements"]["VCPU"]),
            "memory": int(definition["requirements"]["MEMORY"]),
            "gpu": int(definition["requirements"].get("GPU", 0)),
            "image": container["image"],
            "timeout": definition["timeout"]["attemptDurationSeconds"],
            "command": container["command"],
        }
        workdir = tempfile.mkdtemp(prefix="instance-", dir=JOBS_DIR)
        env = {e["name"]: e["value"] for e in container["environment"]}
        job_id = str(uuid.uuid4())
        JOBS[job_id] = {"name": jobName, "definition": jobDefinition,
                        "proc": start_job(JOBS_DIR, jobName, record, container["command"], workdir, env)}
        return {"jobName": jobName, "jobId": job_id}

    def describe_jobs(self, jobs):
        out = []
        for job_id in jobs:
            job = JOBS[job_id]
            rc = job["proc"].poll()
            status = "RUNNING" if rc is None else "SUCCEEDED" if rc == 0 else "FAILED"
            entry = {"jobId": job_id, "jobName": job["name"], "status": status,
                     "jobDefinition": f"arn:aws:batch:us-east-1:000000000000:job-definition/{job['definition']}"}
            if rc is not None:
                entry["container"] = {"exitCode": rc}
            if status == "FAILED":
                entry["statusReason"] = "Essential container in task exited"
            out.append(entry)
        return {"jobs": out}

    def terminate_job(self, jobId, reason):
        proc = JOBS[jobId]["proc"]
        if proc.poll() is None:
            proc.kill()

    def deregister_job_definition(self, jobDefinition):
        pass




batch_client.BatchClient.initialize_batch_client = lambda self: FakeBatch()

if __name__ == "__main__":
    from snakemake.cli import main

    JOBS_DIR = sys.argv[1]
    sys.argv = ["snakemake"] + sys.argv[2:]
    main()
