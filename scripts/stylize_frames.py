"""Snakemake entry: stylize a clip's frames by its plan (see sketchbook.stylize)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import logging
import os

from sketchbook.entry import run
from sketchbook.plan import read_plan
from sketchbook.precision import pick_device, resolve_precision
from sketchbook.stylize import stylize_frames


def main(smk):
    # Device and precision change speed, not what the frames show (bf16 frames are over 40 dB
    # PSNR from fp32's): environment settings, not params.
    device = pick_device(os.environ.get("SKETCHBOOK_DEVICE", "auto"))
    precision = resolve_precision(os.environ.get("SKETCHBOOK_PRECISION", "auto"), device)
    logging.info("stylizing %s on %s, precision %s, %d threads", smk.wildcards.clip, device, precision,
                 smk.threads)
    models = dict(zip(smk.params.variants, smk.input.models))
    n = stylize_frames(read_plan(smk.input.plan), smk.input.frames, smk.output[0], models, device,
                       precision, smk.params.color, smk.params.levels,
                       stabilize=smk.params.stabilize, strength=smk.params.strength)
    logging.info("%d frames", n)


run(main, snakemake)  # noqa: F821
