"""Snakemake entry: each sample frame flipping through every candidate's style (see sketchbook.audition)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
from pathlib import Path

from sketchbook.audition import flip_frames, read_frames, render_candidates, save_gif
from sketchbook.entry import run
from sketchbook.precision import pick_device


def main(smk):
    ids = list(smk.params.candidates)
    frames = read_frames(smk.input.frames, smk.input.index)
    if len(frames) != len(smk.output.gifs):
        raise RuntimeError(f"{len(frames)} sample frames for {len(smk.output.gifs)} GIFs")
    renders = render_candidates(dict(zip(ids, map(Path, smk.input.models))), [f for _, f in frames], pick_device(),
                                smk.params.color, smk.params.levels)
    for k, ((caption, frame), path) in enumerate(zip(frames, smk.output.gifs)):
        save_gif(flip_frames((caption, frame), [(cid, renders[cid][k]) for cid in ids]), path)


run(main, snakemake)  # noqa: F821
