"""Snakemake entry: every clip's stability in one table (see sketchbook.stability.table)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import json
from pathlib import Path

from sketchbook.atomic import atomic_file
from sketchbook.entry import run
from sketchbook.stability import table


def main(smk):
    clips = smk.params.clips
    results = {clip: json.loads(Path(p).read_text()) for clip, p in zip(clips, smk.input.measured)}
    df = table(results, clips)
    with atomic_file(smk.output[0]) as tmp:
        df.to_csv(tmp, index=False, float_format="%.6g")
    print(df.to_string(index=False))


run(main, snakemake)  # noqa: F821
