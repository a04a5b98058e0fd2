"""Snakemake entry: the style morph at one cut (see sketchbook.morph)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
import os
from pathlib import Path

from sketchbook.entry import run
from sketchbook.morph import Side, morph_cut
from sketchbook.plan import read_plan
from sketchbook.precision import pick_device, resolve_precision
from sketchbook.video import FramesMeta


def main(smk):
    # Device and precision: environment settings, as for stylize_frames (not params).
    device = pick_device(os.environ.get("SKETCHBOOK_DEVICE", "auto"))
    precision = resolve_precision(os.environ.get("SKETCHBOOK_PRECISION", "auto"), device)
    p, i = smk.params.morph, smk.input

    def side(clip, frames, stylized, plan, meta, models, settings):
        return Side(clip, FramesMeta.read(meta), Path(frames), Path(stylized), read_plan(plan),
                    dict(zip(settings["variants"], models)), settings)

    before = side(smk.wildcards.clip, i.frames, i.stylized, i.plan, i.meta, i.models, p["before"])
    after = side(smk.wildcards.next_clip, i.next_frames, i.next_stylized, i.next_plan, i.next_meta, i.next_models,
                 p["after"])
    morph_cut(before, after, p["duration"], smk.output.frames, smk.output.meta, device, precision)


run(main, snakemake)  # noqa: F821
