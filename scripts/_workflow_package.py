"""Puts this workflow's own ``sketchbook`` package first on ``sys.path`` for a job's script.

The scripts import the package from the repository root next to them, so that a job needs no
installed copy: in a conda environment made by ``--software-deployment-method conda`` (which
installs only the pinned dependencies) or in a cloud job, where Snakemake unpacks the workflow's
files from the bucket. That copy is also the one the rules were written for.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if not sys.path or sys.path[0] != ROOT:
    sys.path.insert(0, ROOT)
