"""Runs Snakemake against a stand-in Kubernetes API whose pods are local processes (tests only).

    python tests/fake_kubernetes.py PODS_DIR [snakemake arguments...]

snakemake-executor-plugin-kubernetes talks to the cluster through the `kubernetes` client; this
replaces the client's two API classes (and kubeconfig loading) with a stand-in that runs each
Job's container command as a local process, in its own empty folder under PODS_DIR, with the
Job's environment (secrets included). Nothing is shared with the main process but the storage
(the bucket), as in a real cluster. Each pod's spec (name, resources, tolerations, command) is
appended to PODS_DIR/jobs.jsonl and its output goes to PODS_DIR/NAME.log.

What a real cluster does and this does not: pull the container image (pods use this Python and
record the `pip install` of the storage plugins that Snakemake puts before each job instead of
running it: tests/standin_image.py), schedule on GPU nodes, enforce the resources.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
import types

import kubernetes.client
import kubernetes.client.rest
import kubernetes.config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standin_image import start_job  # noqa: E402

PODS_DIR = os.environ.get("FAKE_K8S_PODS", "")  # set from the command line below
SECRETS: dict[str, dict[str, str]] = {}
PODS: dict[str, subprocess.Popen] = {}


def ns(**kw):
    return types.SimpleNamespace(**kw)


class CoreV1Api:
    def create_namespaced_secret(self, namespace, secret):
        SECRETS[secret.metadata.name] = {k: base64.b64decode(v).decode() for k, v in secret.data.items()}

    def delete_namespaced_secret(self, *args, **kwargs):
        pass

    def list_namespaced_pod(self, namespace, label_selector):
        name = label_selector.split("=", 1)[1]
        proc = PODS.get(name)
        if proc is None or proc.poll() is None:
            return ns(items=[])
        state = ns(terminated=ns(exit_code=proc.returncode))
        return ns(items=[ns(metadata=ns(name=name), status=ns(container_statuses=[ns(name="snakemake", state=state)]))])

    def read_namespaced_pod_log(self, name, namespace, container=None, previous=False):
        with open(os.path.join(PODS_DIR, f"{name}.log")) as f:
            return f.read()

    def delete_namespaced_pod(self, *args, **kwargs):
        pass


class BatchV1Api:
    def create_namespaced_job(self, namespace, body):
        name = body.metadata.name
        spec = body.spec.template.spec
        container = spec.containers[0]
        # The API server's own check: an extended resource (nvidia.com/gpu) cannot be overcommitted,
        # so a request needs an equal limit.
        requests, limits = container.resources.requests or {}, container.resources.limits or {}
        for res, value in requests.items():
            if "/" in res and limits.get(res) != value:
                raise kubernetes.client.rest.ApiException(
                    status=422, reason=f"Job {name} is invalid: spec.template.spec.containers[0].resources."
                                       f"limits: Required value: Limit must be set for non overcommitable "
                                       f"resources ({res})")
        env = {}
        for e in container.env or []:
            if e.value_from is not None:
                ref = e.value_from.secret_key_ref
                env[e.name] = SECRETS[ref.name][ref.key]
            else:
                env[e.name] = e.value
        command = list(container.command) + list(container.args)
        record = {
            "requests": dict(container.resources.requests or {}),
            "limits": dict(container.resources.limits or {}),
            "tolerations": [t.key for t in spec.tolerations or []],
            "command": command,
        }
        workdir = tempfile.mkdtemp(prefix="pod-", dir=PODS_DIR)
        PODS[name] = start_job(PODS_DIR, name, record, command, workdir, env)
        return body

    def read_namespaced_job_status(self, name, namespace):
        rc = PODS[name].poll()
        return ns(status=ns(failed=1 if rc not in (None, 0) else 0, succeeded=1 if rc == 0 else 0))

    def delete_namespaced_job(self, *args, **kwargs):
        pass




kubernetes.config.load_kube_config = lambda *args, **kwargs: None
kubernetes.client.CoreV1Api = CoreV1Api
kubernetes.client.BatchV1Api = BatchV1Api

if __name__ == "__main__":
    from snakemake.cli import main

    PODS_DIR = sys.argv[1]
    sys.argv = ["snakemake"] + sys.argv[2:]
    main()
