"""Snakemake entry: train one style model, with its loss curve and model card (see sketchbook.train)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import logging
import math
import platform
from pathlib import Path

import torch

from sketchbook.entry import run
from sketchbook.content import content_files
from sketchbook.fidelity import hand_summary, structure_summary
from sketchbook.images import load_rgb, resize_short_side, to_uint8
from sketchbook.lossnet import load_loss_network
from sketchbook.modelfile import write_card
from sketchbook.pairs import pair_files
from sketchbook.precision import pick_device, resolve_precision
from sketchbook.stylize import Stylizer, load_model, stylize_batch
from sketchbook.temporal import known_motion_error
from sketchbook.settings import TrainSettings
from sketchbook.train import plot_losses, train


def main(smk):
    settings = TrainSettings.from_dict(dict(smk.params.settings))
    device = pick_device()
    precision = resolve_precision(settings.precision, device)
    lossnet, meta = load_loss_network(Path(smk.input.weights), Path(smk.input.info), device)
    sketch, variant = smk.wildcards.sketch, smk.wildcards.variant
    log = logging.getLogger("train")
    log.info("model %s/%s on %s, precision %s, loss network: %s (%s convention)",
             sketch, variant, device, precision, meta["source"], meta["convention"])
    if meta["convention"] == "random":
        log.warning("the loss network has RANDOM weights: this model will not learn strokes")
    model = Path(smk.output.model)
    # Beside the model, not a declared output: Snakemake keeps it when a job is killed.
    ckpt = model.with_suffix(".ckpt")
    content = content_files(list(smk.input.content), list(smk.input.content_dirs), "train",
                            smk.params.held_out)
    # The content clips' frame pairs (a variant with a temporal term only), listed by the job.
    pairs = pair_files(list(smk.input.pairs))
    if pairs:
        log.info("temporal term: %d clip frame pair(s) every other step, known-flow pairs between", len(pairs))
    res = train(settings, Path(smk.input.sketch), content, lossnet,
                model, Path(smk.output.losses), device, precision, progress=log.info, checkpoint=ckpt,
                pairs=pairs)
    plot_losses(smk.output.losses, smk.output.curve, f"{sketch} / {variant}")
    # The hand it draws (sketchbook.fidelity): its grayscale renders of the training photos
    # against its sketch; the scores table compares it with the other sketches.
    stylizer = Stylizer(load_model(model, device), device, "fp32")  # made once for every photo
    photos = [resize_short_side(load_rgb(p), 2 * settings.image_size) for p in content[:8]]

    def render(x):  # float in [0, 1] -> the film's grayscale picture, float in [0, 1]
        return stylize_batch(stylizer, to_uint8(x), device, "fp32", "gray", True).float() / 255

    renders = [render(x[None])[0] for x in photos]
    write_card(smk.output.card, {
        "sketch": sketch, "variant": variant, "sketch_image": str(smk.input.sketch),
        "settings": settings.to_dict(complete=True),
        "loss_network": {k: meta[k] for k in ("source", "convention", "sha256")},
        "content_images": [str(p) for p in content],
        "clip_pairs": [str(p) for p in pairs],
        "steps": res.steps, "resumed_from_step": res.resumed_from,
        "seconds": round(res.seconds, 1), "seconds_per_step": round(res.seconds / max(1, res.steps), 4),
        "final_losses": {"content": res.final.content, "style": res.final.style, "tv": res.final.tv,
                         "tone": res.final.tone, "temporal": res.final.temporal,
                         "total": res.final.total},
        "hand": hand_summary(renders, load_rgb(smk.input.sketch, "sketch")),
        # What of the photos it keeps (the scores table's edge_corr, structure_corr, face_corr).
        "structure": {k: (None if math.isnan(v) else round(v, 4))
                      for k, v in structure_summary(photos, renders).items()},
        # Steadiness: warping error of its renders of two training photos under small known motions.
        "stability": {"known_motion_warping_error": round(known_motion_error(render, photos[:2]), 6)},
        "precision": precision, "device": str(device),
        "device_name": (torch.cuda.get_device_name(device) if device.type == "cuda"
                        else platform.processor() or platform.machine()),
        "torch": torch.__version__, "code_version": smk.params.code_version,
    })


run(main, snakemake)  # noqa: F821
