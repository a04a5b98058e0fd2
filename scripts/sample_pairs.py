"""Snakemake entry: sample a content clip's frame pairs and their flow (see sketchbook.pairs)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
from sketchbook.entry import run
from sketchbook.pairs import write_pairs


def main(smk):
    s = smk.params.settings
    files = write_pairs(smk.input[0], smk.output[0], s["frames"], s["held_out"], s["size"])
    print(f"{len(files)} frame pairs")


run(main, snakemake)  # noqa: F821
