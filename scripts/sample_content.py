"""Snakemake entry: sample training content frames from a clip (see sketchbook.video.sample_frames)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
from sketchbook.entry import run
from sketchbook.video import sample_frames


def main(smk):
    s = smk.params.settings
    files = sample_frames(smk.input[0], smk.output[0], s["frames"], s["held_out"], s["size"])
    print(f"{len(files)} frames")


run(main, snakemake)  # noqa: F821
