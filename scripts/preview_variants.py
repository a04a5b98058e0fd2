"""Snakemake entry: every model on a few sample frames, side by side, ranked (see sketchbook.preview)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
from pathlib import Path

import pandas as pd

from sketchbook.entry import run
from sketchbook.content import content_files
from sketchbook.precision import pick_device
from sketchbook.preview import sample_frame, variants_sheet


def main(smk):
    scores = pd.read_csv(smk.input.scores).set_index(["sketch", "variant"])
    models = []
    for (sketch, variant), path in zip(smk.params.models, smk.input.models):
        rank = int(scores.loc[(sketch, variant), "rank"])
        models.append((f"{sketch}/{variant} #{rank}", Path(path)))
    held = content_files(list(smk.input.held_out), list(smk.input.content_dirs), "held",
                         smk.params.held_out)
    samples = [(p.stem, p) for p in held[:2]]
    samples += [(clip, sample_frame(d)) for clip, d in zip(smk.params.clips, smk.input.frames)]
    variants_sheet(samples, models, Path(smk.output[0]), pick_device(),
                   color=smk.params.color, levels=smk.params.levels)


run(main, snakemake)  # noqa: F821
