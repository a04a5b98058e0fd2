"""Snakemake entry: one style model as an ONNX file, Sketchbook's finishing in its metadata (see sketchbook.export)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import logging

from sketchbook.entry import run
from sketchbook.export import export_model


def main(smk):
    meta = export_model(smk.input.model, smk.output[0], color=smk.params.color, levels=smk.params.levels)
    logging.info("exported %s -> %s: levels %s, color %s, apply_levels %s", smk.input.model, smk.output[0],
                 meta["sketchbook.levels"], meta["sketchbook.color"], meta["sketchbook.apply_levels"])


run(main, snakemake)  # noqa: F821
