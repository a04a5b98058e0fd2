"""Snakemake entry: encode stylized frames + audio into a clip (see sketchbook.video.encode)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
from sketchbook.entry import run
from sketchbook.video import FramesMeta, encode


def main(smk):
    encode(smk.input.frames, FramesMeta.read(smk.input.meta), smk.input.audio, smk.output[0])


run(main, snakemake)  # noqa: F821
