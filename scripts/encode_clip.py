"""Snakemake entry: encode stylized frames + audio into a clip (see sketchbook.video.encode)."""
from sketchbook.entry import run
from sketchbook.video import FramesMeta, encode


def main(smk):
    encode(smk.input.frames, FramesMeta.read(smk.input.meta), smk.input.audio, smk.output[0])


run(main, snakemake)  # noqa: F821
