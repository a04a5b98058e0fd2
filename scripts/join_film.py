"""Snakemake entry: join the clips, in config order, into the film (see sketchbook.video.join)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
from sketchbook.entry import run
from sketchbook.video import FramesMeta, join


def main(smk):
    metas = [FramesMeta.read(m) for m in smk.input.metas]
    join(smk.input.clips, metas, smk.input.audios, smk.output[0], fps=smk.params.fps)


run(main, snakemake)  # noqa: F821
