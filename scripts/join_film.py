"""Snakemake entry: join the clips, in config order, into the film (see sketchbook.video.join)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import logging

from sketchbook.entry import run
from sketchbook.video import FramesMeta, join


def main(smk):
    metas = [FramesMeta.read(m) for m in smk.input.metas]
    transitions = smk.params.transitions
    folders = iter(smk.input.morphs)  # one per morph cut, in film order
    morphs = [next(folders) if t["type"] == "morph" else None for t in transitions]
    cuts = join(smk.input.clips, metas, smk.input.audios, smk.output[0], fps=smk.params.fps,
                transitions=transitions, morphs=morphs)
    for c in cuts:
        if c.type != "cut":
            logging.info("cut %s -> %s: %s of %.3f s (overlap %d film frames, morph %d + %d frames)",
                         c.before, c.after, c.type, c.seconds, c.overlap, c.tail, c.head)


run(main, snakemake)  # noqa: F821
