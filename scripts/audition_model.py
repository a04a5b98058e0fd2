"""Snakemake entry: a candidate sketch's preview model, a short training (see sketchbook.train)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import logging
import time
from pathlib import Path

from sketchbook.content import content_files
from sketchbook.entry import run
from sketchbook.lossnet import load_loss_network
from sketchbook.modelfile import write_card
from sketchbook.precision import pick_device, resolve_precision
from sketchbook.settings import TrainSettings
from sketchbook.train import train


def main(smk):
    settings = TrainSettings.from_dict(dict(smk.params.settings))
    device = pick_device()
    precision = resolve_precision(settings.precision, device)
    lossnet, meta = load_loss_network(Path(smk.input.weights), Path(smk.input.info), device)
    candidate = smk.wildcards.candidate
    log = logging.getLogger("audition")
    log.info("preview of candidate %s on %s, precision %s, loss network: %s", candidate, device, precision,
             meta["source"])
    if meta["convention"] == "random":
        log.warning("the loss network has RANDOM weights: this preview will not learn strokes")
    content = content_files(list(smk.input.content), list(smk.input.content_dirs), "train", smk.params.held_out)
    model = Path(smk.output.model)
    cpu0 = time.process_time()
    res = train(settings, Path(smk.input.sketch), content, lossnet, model, Path(smk.output.losses), device,
                precision, progress=log.info, checkpoint=model.with_suffix(".ckpt"))
    cpu = time.process_time() - cpu0  # on a shared machine, comparable where wall time is not
    write_card(smk.output.card, {
        "candidate": candidate, "sketch_image": str(smk.input.sketch),
        "settings": settings.to_dict(complete=True), "steps": res.steps,
        "seconds": round(res.seconds, 2), "cpu_seconds": round(cpu, 2),
        "final_losses": {"content": res.final.content, "style": res.final.style},
        "precision": precision, "device": str(device), "code_version": smk.params.code_version,
    })


run(main, snakemake)  # noqa: F821
