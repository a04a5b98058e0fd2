"""Snakemake entry: a model's int8 calibration (see sketchbook.int8)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import logging

from sketchbook.content import content_files
from sketchbook.entry import run
from sketchbook.int8 import calibrate_model


def main(smk):
    content = content_files(list(smk.input.content), list(smk.input.content_dirs), "train", smk.params.held_out)
    held = content_files(list(smk.input.held_out), list(smk.input.content_dirs), "held", smk.params.held_out)
    blob = calibrate_model(smk.input.model, content, held, smk.output[0])
    logging.info("int8 calibration of %s on %d image(s): %.1f dB PSNR against fp32 on %d held-out image(s)",
                 smk.input.model, len(blob["frames"]), blob["psnr_vs_fp32_db"], len(held))


run(main, snakemake)  # noqa: F821
