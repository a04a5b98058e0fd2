"""Snakemake entry: stylize a clip's frames by its plan (see sketchbook.stylize)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import logging
import os

from sketchbook.entry import run
from sketchbook.plan import read_plan
from sketchbook.precision import pick_device, render_precision
from sketchbook.stylize import stylize_frames


def main(smk):
    # The device is an environment setting. The precision is the clip's (render.precision, a
    # param); where that is auto, the environment's SKETCHBOOK_PRECISION may say what auto means,
    # and otherwise auto takes int8 where the CPU and the models' calibrations allow.
    device = pick_device(os.environ.get("SKETCHBOOK_DEVICE", "auto"))
    precision, why = render_precision(smk.params.precision, device, list(smk.input.calibrations))
    logging.info("stylizing %s on %s, precision %s (%s), %d threads", smk.wildcards.clip, device, precision,
                 why, smk.threads)
    models = dict(zip(smk.params.variants, smk.input.models))
    n = stylize_frames(read_plan(smk.input.plan), smk.input.frames, smk.output[0], models, device,
                       precision, smk.params.color, smk.params.levels,
                       stabilize=smk.params.stabilize, strength=smk.params.strength)
    logging.info("%d frames", n)


run(main, snakemake)  # noqa: F821
