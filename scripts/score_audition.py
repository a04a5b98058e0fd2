"""Snakemake entry: each preview model's losses on the sample frames and its training time."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import json
from pathlib import Path

from sketchbook.atomic import atomic_file
from sketchbook.audition import read_frames, score_candidates
from sketchbook.entry import run
from sketchbook.lossnet import load_loss_network
from sketchbook.precision import pick_device


def main(smk):
    device = pick_device()
    lossnet, _ = load_loss_network(Path(smk.input.weights), Path(smk.input.info), device)
    ids = list(smk.params.candidates)
    frames = [f for _, f in read_frames(smk.input.frames, smk.input.index)]
    cards = {cid: json.loads(Path(p).read_text()) for cid, p in zip(ids, smk.input.cards)}
    df = score_candidates(dict(zip(ids, map(Path, smk.input.models))), dict(zip(ids, map(Path, smk.input.sketches))),
                          cards, frames, smk.params.settings, lossnet, device)
    with atomic_file(smk.output[0]) as tmp:
        df.to_csv(tmp, index=False, float_format="%.6g")
    print(df.to_string(index=False))


run(main, snakemake)  # noqa: F821
