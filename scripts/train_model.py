"""Snakemake entry: train one style model (see sketchbook.train)."""
import json
import logging
from pathlib import Path

from sketchbook.entry import run
from sketchbook.lossnet import load_loss_network
from sketchbook.precision import pick_device, resolve_precision
from sketchbook.train import TrainSettings, train


def main(smk):
    settings = TrainSettings.from_dict(dict(smk.params.settings))
    device = pick_device()
    precision = resolve_precision(settings.precision, device)
    lossnet, meta = load_loss_network(Path(smk.input.weights), Path(smk.input.info), device)
    log = logging.getLogger("train")
    log.info("model %s/%s on %s, precision %s, loss network: %s (%s convention)",
             smk.wildcards.sketch, smk.wildcards.variant, device, precision, meta["source"], meta["convention"])
    if meta["convention"] == "random":
        log.warning("the loss network has RANDOM weights: this model will not learn strokes")
    log.info("settings %s", json.dumps(settings.to_dict()))
    train(settings, Path(smk.input.sketch), [Path(p) for p in smk.input.content], lossnet,
          Path(smk.output.model), Path(smk.output.losses), device, precision, progress=log.info)


run(main, snakemake)  # noqa: F821
