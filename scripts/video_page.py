"""Snakemake entry: an HTML page that plays a video in the report (see sketchbook.player)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import logging

from sketchbook.entry import run
from sketchbook.player import video_page


def main(smk):
    size = video_page(smk.input[0], smk.output[0], smk.params.title)
    logging.info("%s: %.1f MB page playing %s", smk.output[0], size / 1e6, smk.input[0])


run(main, snakemake)  # noqa: F821
