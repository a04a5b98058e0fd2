"""Snakemake entry: the audition's contact sheet, one row per candidate (see sketchbook.audition)."""
import _workflow_package  # noqa: F401  (this workflow's sketchbook package, first on sys.path)
from pathlib import Path

from sketchbook.audition import read_frames, render_candidates, save_png, sheet_pages
from sketchbook.entry import run
from sketchbook.images import load_rgb, to_uint8
from sketchbook.precision import pick_device


def main(smk):
    ids = list(smk.params.candidates)
    frames = read_frames(smk.input.frames, smk.input.index)
    renders = render_candidates(dict(zip(ids, map(Path, smk.input.models))), [f for _, f in frames], pick_device(),
                                smk.params.color, smk.params.levels)
    rows = [(cid, to_uint8(load_rgb(path, "candidate sketch")), renders[cid])
            for cid, path in zip(ids, smk.input.sketches)]
    pages = sheet_pages(frames, rows, smk.params.per_page)
    if len(pages) != len(smk.output.pages):
        raise RuntimeError(f"{len(pages)} pages for {len(smk.output.pages)} outputs")
    for page, path in zip(pages, smk.output.pages):
        save_png(page, path)
    print(f"{len(ids)} candidates on {len(pages)} page(s)")


run(main, snakemake)  # noqa: F821
