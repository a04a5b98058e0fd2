"""Snakemake entry: a few frames of a clip, stylized under their source (see sketchbook.strip)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import logging

from sketchbook.entry import run
from sketchbook.strip import clip_strip
from sketchbook.video import FramesMeta


def main(smk):
    meta = FramesMeta.read(smk.input.meta)
    shown = clip_strip(smk.input.frames, smk.input.stylized, meta.fps, smk.output[0])
    logging.info("strip of %s: frames %s", meta.clip, ", ".join(shown))


run(main, snakemake)  # noqa: F821
