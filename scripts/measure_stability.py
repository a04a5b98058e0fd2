"""Snakemake entry: a clip's temporal stability, its frames against their stylized frames (see
sketchbook.stability)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import logging

from sketchbook.atomic import atomic_file
from sketchbook.entry import run
from sketchbook.stability import measure_clip, to_json


def main(smk):
    import cv2

    cv2.setNumThreads(max(1, int(smk.threads)))
    r = {"clip": smk.wildcards.clip, **measure_clip(smk.input.frames, smk.input.stylized)}
    with atomic_file(smk.output[0]) as tmp:
        tmp.write_text(to_json(r))
    logging.info("%s: warping error %s, flicker ratio %s over %d frames", r["clip"], r["warping_error"],
                 r["flicker_ratio"], r["frames"])


run(main, snakemake)  # noqa: F821
