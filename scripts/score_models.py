"""Snakemake entry: score every model on the held-out images into one table (see sketchbook.score)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
from pathlib import Path

from sketchbook.atomic import atomic_file
from sketchbook.entry import run
from sketchbook.errors import SketchbookError
from sketchbook.content import content_files
from sketchbook.lossnet import load_loss_network
from sketchbook.precision import pick_device
from sketchbook.score import score_models


def main(smk):
    device = pick_device()
    lossnet, _ = load_loss_network(Path(smk.input.weights), Path(smk.input.info), device)
    keys = [tuple(k) for k in smk.params.models]
    models = dict(zip(keys, map(Path, smk.input.models)))
    sketch_ids = list(dict.fromkeys(s for s, _ in keys))
    sketches = dict(zip(sketch_ids, map(Path, smk.input.sketches)))
    settings = {(s, v): smk.params.settings[v] for s, v in keys}
    held_out = content_files(list(smk.input.held_out), list(smk.input.content_dirs), "held",
                             smk.params.held_out)
    if not held_out:
        raise SketchbookError("no held-out images to score on: set content.held_out to 1 or more")
    df = score_models(models, sketches, settings, held_out, lossnet, device,
                      color=smk.params.color, levels=smk.params.levels)
    with atomic_file(smk.output[0]) as tmp:
        df.to_csv(tmp, index=False, float_format="%.6g")
    print(df.to_string(index=False))


run(main, snakemake)  # noqa: F821
