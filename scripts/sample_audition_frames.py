"""Snakemake entry: a few frames across the clips for the audition (see sketchbook.audition)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
from sketchbook.audition_frames import sample_audition_frames
from sketchbook.entry import run


def main(smk):
    s = smk.params.settings
    frames = sample_audition_frames(s["clips"], smk.output.frames, smk.output.index, s["frames"], s["max_side"])
    for f in frames:
        print(f"{f['file']}: {f['clip']} at {f['time']} s")


run(main, snakemake)  # noqa: F821
