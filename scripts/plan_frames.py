"""Snakemake entry: the per-frame plan of a clip (see sketchbook.plan)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)

from sketchbook.atomic import atomic_file
from sketchbook.entry import run
from sketchbook.plan import make_plan
from sketchbook.video import FramesMeta


def main(smk):
    meta = FramesMeta.read(smk.input.meta)
    p = smk.params.plan
    df = make_plan(smk.wildcards.clip, meta.frames, p["sketch"], p["variants"], p["seed"],
                   p["hold"])
    with atomic_file(smk.output[0]) as tmp:
        df.to_csv(tmp, index=False)
    print(df["variant"].value_counts().to_string())


run(main, snakemake)  # noqa: F821
