"""Snakemake entry: split a clip into frames and audio (see sketchbook.video.extract)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
from sketchbook.entry import run, warn
from sketchbook.video import extract


def main(smk):
    s = smk.params.settings
    meta = extract(smk.input[0], smk.output.frames, smk.output.audio, smk.output.meta,
                   clip_id=smk.wildcards.clip, start=s["start"], end=s["end"], fps=s["fps"],
                   max_side=s["max_side"], on_damaged=s["on_damaged"])
    if meta.damaged:
        warn(smk, f"{meta.problem}; rendered the {meta.frames} frames that decode "
                  f"(on_damaged: error stops instead)", log=False)  # extract logged it
    print(meta)


run(main, snakemake)  # noqa: F821
