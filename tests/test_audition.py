"""Auditioning candidate sketches: the config's candidates, the frame plan, the sheet's and the
GIFs' layout (unit tests), and `snakemake audition` on the tiny config (workflow)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import torch
from PIL import Image

from sketchbook import audition, audition_frames
from sketchbook import config as sbconfig
from sketchbook.errors import ConfigError

from helpers import make_sketch, snakemake, tiny_config, write_config


def base(assets, candidates):
    return {
        "sketches": {"lines": str(assets / "lines.png")},
        "content": {"images": str(assets / "content")},
        "variants": {"good": {"seed": 1}},
        "clips": {"a": {"path": str(assets / "clips" / "ntsc.mp4"), "sketch": "lines"}},
        "audition": {"candidates": candidates},
    }


# --- the config ---------------------------------------------------------------------------


def test_candidates_from_a_folder_and_files(assets, tmp_path):
    folder = tmp_path / "cands"
    folder.mkdir()
    make_sketch(folder / "b_ink.png", seed=3)
    make_sketch(folder / "a-pen.png", seed=4)
    (folder / "notes.txt").write_text("not a sketch")  # not an image: not a candidate
    cfg = sbconfig.validate(base(assets, [str(folder), str(assets / "lines.png")]))
    cands = sbconfig.audition_candidates(cfg)
    assert list(cands) == ["a-pen", "b_ink", "lines"]  # a folder in name order, then the list's order
    assert cands["lines"] == str(assets / "lines.png")
    # The preview's defaults: a short run on small crops, the rest config.training's.
    s = sbconfig.audition_settings(cfg)
    assert (s["iterations"], s["image_size"], s["batch_size"]) == (100, 96, 1)
    assert s["style_size"] == sbconfig.train_settings(cfg, "good")["style_size"]
    assert cfg["audition"]["frames"] == 4 and cfg["audition"]["per_page"] == 12


def test_audition_training_layers_over_config_training(assets):
    c = base(assets, str(assets / "lines.png"))
    c["training"] = {"style_size": 200, "iterations": 900}
    c["audition"]["training"] = {"iterations": 20}
    s = sbconfig.audition_settings(sbconfig.validate(c))
    assert (s["style_size"], s["iterations"], s["image_size"]) == (200, 20, 96)


def test_no_audition_key_no_candidates(assets):
    c = base(assets, None)
    del c["audition"]
    cfg = sbconfig.validate(c)
    assert "audition" not in cfg and sbconfig.audition_candidates(cfg) == {}


def _folder(tmp_path, *names):
    d = tmp_path / "c"
    d.mkdir(exist_ok=True)
    for n in names:
        make_sketch(d / n)
    return d


@pytest.mark.parametrize("setup, message", [
    (lambda a, t: [str(_folder(t, "lines.png")), str(a / "lines.png")], "same id 'lines'"),
    (lambda a, t: [str(_folder(t, "lines.jpg", "lines.png"))], "same id 'lines'"),
    (lambda a, t: str(_folder(t, "my sketch.png")), "'my sketch' is not an id"),
    (lambda a, t: [str(t / "missing.png")], r"candidates\[0\]: .*missing.png does not exist"),
    (lambda a, t: str(_folder(t)), "no images"),
    (lambda a, t: [str(a / "broken.mp4")], "not a readable image"),
])
def test_bad_candidates_name_the_key(assets, tmp_path, setup, message):
    with pytest.raises(ConfigError, match="audition.candidates") as e:
        sbconfig.validate(base(assets, setup(assets, tmp_path)))
    assert e.match(message)


@pytest.mark.parametrize("audition_cfg, key", [
    ({"candidates": []}, "audition.candidates"),
    ({"candidates": "x.png", "colour": 1}, "audition"),
    ({"candidates": "x.png", "frames": 0}, "audition.frames"),
    ({"candidates": "x.png", "training": {"iterations": "few"}}, "audition.training.iterations"),
    ({"frames": 2}, "audition"),
])
def test_bad_audition_keys(assets, audition_cfg, key):
    c = base(assets, None)
    c["audition"] = audition_cfg
    with pytest.raises(ConfigError, match=f"config key {key}"):
        sbconfig.validate(c, check_files=False)


def test_bad_audition_training_combination(assets):
    c = base(assets, str(assets / "lines.png"))
    c["audition"]["training"] = {"temporal_weight": 1.0}  # with the preview's batch_size 1
    with pytest.raises(ConfigError, match="audition.training: temporal_weight needs batch_size 2"):
        sbconfig.validate(c)


def test_page_and_flip_names():
    assert sbconfig.audition_pages(0, 12) == ["results/audition/sheet.png"]
    assert sbconfig.audition_pages(12, 12) == ["results/audition/sheet.png"]
    assert sbconfig.audition_pages(25, 12) == ["results/audition/sheet.png", "results/audition/sheet-2.png",
                                               "results/audition/sheet-3.png"]
    assert sbconfig.audition_flips(2) == ["results/audition/flip.gif", "results/audition/flip-2.gif"]


# --- frames, sheet, GIFs --------------------------------------------------------------------


def test_frame_plan_spreads_over_every_clip():
    spans = [(0.0, 3.0), (1.0, 2.0), (0.0, 10.0)]
    plan = audition_frames.frame_plan(spans, 4)
    assert [i for i, _ in plan] == [0, 0, 1, 2]  # every clip, the first twice
    assert [t for _, t in plan] == pytest.approx([0.75, 2.25, 1.5, 5.0])
    # Fewer frames than clips: spread over the list, one at each middle.
    assert audition_frames.frame_plan(spans, 1) == [(1, 1.5)]
    assert [i for i, _ in audition_frames.frame_plan([(0, 1)] * 5, 2)] == [1, 3]
    assert audition_frames.frame_plan([], 3) == []


def _img(h, w, value=128):
    return torch.full((3, h, w), value, dtype=torch.uint8)


def test_sheet_one_candidate_is_one_page():
    sources = [("intro 1.0 s", _img(120, 160)), ("cat 2.0 s", _img(90, 160))]
    rows = [("brush", _img(384, 384, 0), [_img(120, 160, 10), _img(90, 160, 20)])]
    pages = audition.sheet_pages(sources, rows, per_page=12, row=100)
    assert len(pages) == 1
    p = pages[0]
    # label column, the sketch's square cell, then each frame at the row's height (4:3 -> 133, 16:9 -> 178)
    gap = audition.GAP
    assert p.width == audition.LABEL_W + (100 + gap) + (133 + gap) + (178 + gap) + gap
    assert p.height == audition.CAPTION + (100 + audition.CAPTION) + 1 * (100 + gap) + gap
    # The candidate's render is in its cell: its grey value, below the frames' row.
    y = audition.CAPTION + 100 + audition.CAPTION + 50
    x = audition.LABEL_W + 100 + gap + 60
    assert p.getpixel((x, y)) == (10, 10, 10)


def test_sheet_many_candidates_split_into_pages():
    sources = [("f", _img(60, 80))]
    rows = [(f"c{i}", _img(50, 50), [_img(60, 80, i)]) for i in range(25)]
    pages = audition.sheet_pages(sources, rows, per_page=12, row=60)
    assert len(pages) == 3
    assert len({p.width for p in pages}) == 1
    full = audition.CAPTION + (60 + audition.CAPTION) + 12 * (60 + audition.GAP) + audition.GAP
    assert [p.height for p in pages[:2]] == [full, full]
    assert pages[2].height == full - 11 * (60 + audition.GAP)  # one row on the last page
    # The last page's single row is candidate 24.
    y = audition.CAPTION + 60 + audition.CAPTION + 30
    x = audition.LABEL_W + 60 + audition.GAP + 40
    assert pages[2].getpixel((x, y)) == (24, 24, 24)


def test_flip_gif_has_the_source_then_every_candidate(tmp_path):
    frames = audition.flip_frames(("intro 1.0 s", _img(48, 64, 200)),
                                  [("a", _img(48, 64, 0)), ("b", _img(48, 64, 100))])
    assert len(frames) == 3 and all(f.size == (64, 48 + 26) for f in frames)
    audition.save_gif(frames, tmp_path / "flip.gif")
    with Image.open(tmp_path / "flip.gif") as im:
        assert im.n_frames == 3 and im.info["loop"] == 0
        values = []
        for k in range(3):
            im.seek(k)
            values.append(im.convert("L").getpixel((32, 20)))
    assert values == [200, 0, 100]


# --- the workflow ---------------------------------------------------------------------------


@pytest.mark.workflow
def test_audition_workflow(assets, tmp_path):
    """`snakemake audition` on the tiny config with two candidates: the sheet, the GIFs and the
    scores; the film's DAG is the same with the audition key; a third candidate runs its preview
    and the three pictures/tables only."""
    work = tmp_path / "wf"
    work.mkdir()
    cands = work / "cands"
    cands.mkdir()
    shutil.copy(assets / "lines.png", cands / "lines.png")
    make_sketch(cands / "dots.png", seed=7)
    cfg = tiny_config(assets)
    cfg["content"]["clips"] = []  # photos only: no content clip to sample first (a shorter test)
    write_config(work, cfg)
    film = _job_counts(snakemake(work, "-n").stdout)
    cfg["audition"] = {"candidates": str(cands), "frames": 2, "max_side": 48,
                       "training": {"iterations": 3, "image_size": 32}}
    write_config(work, cfg)
    assert _job_counts(snakemake(work, "-n").stdout) == film  # the film's jobs: unchanged
    assert "extract_frames" in film and "audition_model" not in film

    snakemake(work, "audition")
    out = work / "results/audition"
    sheet = Image.open(out / "sheet.png")
    assert not (out / "sheet-2.png").exists()
    rows = 2
    assert sheet.height == audition.CAPTION + (audition.ROW + audition.CAPTION) + rows * (
        audition.ROW + audition.GAP) + audition.GAP
    for gif in ("flip.gif", "flip-2.gif"):
        with Image.open(out / gif) as im:
            assert im.n_frames == 3  # the source frame, then each candidate
    scores = pd.read_csv(out / "scores.csv")
    assert list(scores["candidate"]) == ["dots", "lines"]
    assert (scores["style_loss"] > 0).all() and (scores["content_loss"] > 0).all()
    assert (scores["steps"] == 3).all() and (scores["train_seconds"] > 0).all()
    assert not (work / "results/models").exists()  # no real model trained
    assert not (work / "results/frames").exists()  # no clip extracted

    make_sketch(cands / "more.png", seed=8)
    r = snakemake(work, "-n", "audition")
    jobs = _job_counts(r.stdout)
    assert jobs == {"audition_model": 1, "draw_audition_sheet": 1, "draw_audition_flips": 1,
                    "score_audition": 1, "audition": 1}, r.stdout


def _job_counts(text: str) -> dict[str, int]:
    """The "Job stats" table of a dry run."""
    lines = text.split("Job stats:")[1].splitlines()[3:]
    out = {}
    for line in lines:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        out[parts[0]] = int(parts[1])
    return out
