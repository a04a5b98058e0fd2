"""Snakemake entry: find ImageNet VGG16 weights, convert them into resources/ (see sketchbook.lossnet)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
from pathlib import Path

from sketchbook.entry import run
from sketchbook.lossnet import fetch_weights


def main(smk):
    p = smk.params
    import logging

    fetch_weights(Path(smk.output.weights), Path(smk.output.info), weights_file=p.weights,
                  convention=p.convention, allow_download=p.download, if_missing=p.if_missing,
                  log_fn=logging.getLogger("fetch").info)


run(main, snakemake)  # noqa: F821 (injected by Snakemake)
