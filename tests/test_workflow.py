"""The whole workflow, for real (Snakemake, ffmpeg, torch), on a tiny config in a temp dir."""

from __future__ import annotations

import json
import os
import re
import time
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from sketchbook.images import read_frame
from sketchbook.video import FramesMeta

from helpers import REPO, snakemake, stream_info, tiny_config, write_config

pytestmark = pytest.mark.workflow

@pytest.fixture(scope="module")
def run(assets, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("wf")
    cfg = tiny_config(assets)
    write_config(workdir, cfg)
    snakemake(workdir)
    return workdir, cfg


def test_lint_is_clean(run):
    workdir, _ = run
    r = snakemake(workdir, "--lint")
    assert "Congratulations" in r.stdout + r.stderr


def test_clips_and_film(run, assets):
    workdir, cfg = run
    expected = {"ntsc": (30, "30000/1001", True), "quiet": (12, "24", False), "odd": (4, "10", True)}
    for clip, (frames, fps, audio) in expected.items():
        meta = FramesMeta.read(workdir / f"results/frames/{clip}.json")
        assert (meta.frames, meta.fps, meta.has_audio) == (frames, fps, audio)
        info = stream_info(workdir / f"results/clips/{clip}.mp4")
        assert info["video"]["frames"] == frames
        assert Fraction(info["video"]["fps"]) == Fraction(fps)
        assert info["video"]["pix_fmt"] == "yuv420p"
        if audio:
            assert info["audio"]["duration"] == pytest.approx(frames / Fraction(fps), abs=0.05)
        else:
            assert info["audio"] is None
    film = stream_info(workdir / "results/film.mp4")
    total = sum(float(n / Fraction(f)) for n, f, _ in expected.values())
    assert Fraction(film["video"]["fps"]) == Fraction(30000, 1001)  # the first clip's rate
    assert film["video"]["duration"] == pytest.approx(total, abs=0.15)
    assert film["audio"]["duration"] == pytest.approx(total, abs=0.15)


def test_frames_are_stylized(run):
    workdir, _ = run
    for clip in ["ntsc", "quiet", "odd"]:
        src = sorted((workdir / "results/frames" / clip).glob("*.png"))
        out = sorted((workdir / "results/stylized" / clip).glob("*.png"))
        assert [p.name for p in src] == [p.name for p in out]
        a, b = read_frame(src[0]).float(), read_frame(out[0]).float()
        assert a.shape == b.shape
        assert (a - b).abs().mean() > 10  # clearly changed
        assert torch.equal(b[0], b[1]) and torch.equal(b[1], b[2])  # grayscale


def test_int8_clip_is_rendered_with_its_models_calibration(run):
    """clips.odd.precision int8: lines/good is calibrated (only the models of int8 clips are), and
    odd's frames are drawn by the int8 engine."""
    workdir, _ = run
    blob = json.loads((workdir / "results/models/lines/good.int8.json").read_text())
    assert blob["format"] == "sketchbook-int8-calibration/1" and blob["psnr_vs_fp32_db"] > 0
    assert sorted(p.name for p in (workdir / "results/models").rglob("*.int8.json")) == ["good.int8.json"]
    assert "int8 CPU inference" in (workdir / "logs/stylize_frames/odd.log").read_text()
    assert "int8" not in (workdir / "logs/stylize_frames/ntsc.log").read_text()


def test_auto_may_take_int8_so_its_clips_models_are_calibrated(run):
    """The tests pin auto to fp32 (SKETCHBOOK_PRECISION); left to itself, precision auto takes int8
    where the CPU and the models' calibrations allow (sketchbook.precision.render_precision), so a
    dry run asks the calibration of each model of the auto clips (ntsc: lines/good and lines/weird,
    quiet: other/weird; lines/good's exists, for odd) and re-renders those clips; odd, an int8
    clip already, and the models stay as they are."""
    workdir, _ = run
    r = snakemake(workdir, "-n", precision=None)
    out = r.stdout + r.stderr
    calibrated = set(re.findall(r"rule calibrate_int8:.*?wildcards: sketch=(\w+), variant=(\w+)", out, re.S))
    assert calibrated == {("lines", "weird"), ("other", "weird")}
    stylized = set(re.findall(r"rule stylize_frames:.*?wildcards: clip=([\w-]+)", out, re.S))
    assert stylized == {"ntsc", "quiet"}
    assert "rule train_model:" not in out
    assert "rule calibrate_int8:" not in snakemake(workdir, "-n", precision="bf16").stdout


def test_stability_is_measured(run):
    """Each clip's stability JSON and the one table, made by the default target."""
    workdir, cfg = run
    table = pd.read_csv(workdir / "results/stability.csv", keep_default_na=False)
    assert list(table["clip"]) == ["ntsc", "quiet", "odd"]  # film order
    assert list(table["sketch"]) == ["lines", "other", "lines"]
    assert list(table["variants"]) == ["good+weird", "weird", "good"]
    for clip, row in table.set_index("clip").iterrows():
        r = json.loads((workdir / f"results/stability/{clip}.json").read_text())
        frames = FramesMeta.read(workdir / f"results/frames/{clip}.json").frames
        assert (r["clip"], r["frames"], r["pairs"]) == (clip, frames, frames - 1)
        assert len(r["pair_warping_errors"]) == frames - 1
        # Squared differences of [0, 1] values; the tiny clips' testsrc2 moves only a few pixels
        # (a mean change of 2e-4 a pixel), not still: the ratio is defined.
        assert 0 <= r["warping_error"] < 0.5 and 0 <= r["masked_fraction"] < 1
        assert r["source_change"] > 0 and r["output_change"] >= 0
        assert r["flicker_ratio"] == pytest.approx(r["output_change"] / r["source_change"], rel=1e-4)
        assert row["warping_error"] == pytest.approx(r["warping_error"])
        assert row["flicker_ratio"] == pytest.approx(r["flicker_ratio"])


def test_plan_uses_every_variant(run):
    workdir, _ = run
    plan = pd.read_csv(workdir / "results/plans/ntsc.csv")
    assert len(plan) == 30
    assert set(plan["variant"]) == {"good", "weird"}
    assert set(pd.read_csv(workdir / "results/plans/quiet.csv")["variant"]) == {"weird"}
    # ntsc holds each pick 2-4 frames, and the next pick is the other variant.
    v = plan["variant"]
    runs = v.groupby((v != v.shift()).cumsum()).size().tolist()
    assert all(2 <= n <= 4 for n in runs[:-1]) and runs[-1] <= 4


def test_stabilized_clip(run):
    workdir, _ = run
    log = (workdir / "logs/stylize_frames/ntsc.log").read_text()
    assert "flow stabilization, strength 0.5" in log
    assert "flow stabilization" not in (workdir / "logs/stylize_frames/odd.log").read_text()


def test_models_and_scores(run):
    workdir, _ = run
    scores = pd.read_csv(workdir / "results/models/scores.csv")
    assert sorted(zip(scores["sketch"], scores["variant"])) == [
        ("lines", "good"), ("lines", "weird"), ("other", "good"), ("other", "weird")]
    assert sorted(scores[scores["sketch"] == "lines"]["rank"]) == [1, 2]
    assert (scores["style_loss"] > 0).all() and (scores["content_loss"] > 0).all()
    # the fidelity check: each model against the other sketch
    assert dict(zip(scores["sketch"], scores["nearest_other"])) == {"lines": "other", "other": "lines"}
    assert (scores["own_other"] > 0).all() and (scores["hand_distance"] > 0).all()
    assert ((scores["warp_error"] > 0) & (scores["warp_error"] < 1)).all()
    for s in ["lines", "other"]:
        for v in ["good", "weird"]:
            losses = pd.read_csv(workdir / f"results/models/{s}/{v}.losses.csv")
            assert list(losses["step"]) == [1, 2, 3]
            assert (workdir / f"logs/train_model/{s}/{v}.log").read_text().count("step 3/3") == 1
            card = json.loads((workdir / f"results/models/{s}/{v}.card.json").read_text())
            assert card["steps"] == 3 and card["precision"] == "fp32" and card["device"] == "cpu"
            assert card["settings"]["seed"] == (1 if v == "good" else 2)
            assert card["loss_network"]["convention"] in ("caffe", "random")
            assert set(card["final_losses"]) == {"content", "style", "tv", "tone", "temporal", "total"}
            # The weird variant trains with the temporal term (known-flow pairs and, on steps 1
            # and 3, the content clip's frame pairs); good neither samples nor reads pairs.
            assert card["settings"]["temporal_weight"] == (10.0 if v == "weird" else 0.0)
            assert ((losses["temporal"] > 0) if v == "weird" else (losses["temporal"] == 0)).all()
            assert card["clip_pairs"] == ([f"results/pairs/quiet/pair_00{i}.npz" for i in (1, 2)]
                                          if v == "weird" else [])
            assert ("2 clip frame pair(s)" in (workdir / f"logs/train_model/{s}/{v}.log").read_text()) == (v == "weird")
            assert set(card["hand"]["by_group"]) == {"orientation", "density", "coherence"}
            assert card["hand"]["distance"] > 0
            assert 0 < card["stability"]["known_motion_warping_error"] < 1
            with Image.open(workdir / f"results/models/{s}/{v}.curve.png") as im:
                assert im.size[0] > 300
            assert not (workdir / f"results/models/{s}/{v}.ckpt").exists()


def test_onnx_target_exports_only_the_models(run):
    """`snakemake onnx` after a full run: one export job per model and nothing else re-runs; the
    files run in onnxruntime with the model's levels in their metadata."""
    import onnxruntime as ort

    from sketchbook.export import read_metadata
    from sketchbook.stylize import load_model

    workdir, _ = run
    outputs = [p for p in (workdir / "results").rglob("*") if p.is_file()]
    before = {p: p.stat().st_mtime_ns for p in outputs}
    r = snakemake(workdir, "onnx")
    jobs = re.findall(r"^\s*(\w+)\s+(\d+)$", r.stdout + r.stderr, re.M)
    assert {k: int(n) for k, n in jobs if k != "total"} == {"export_onnx": 4, "onnx": 1}
    assert all(p.stat().st_mtime_ns == before[p] for p in outputs)
    x = torch.rand(1, 3, 37, 50, generator=torch.Generator().manual_seed(0))
    for sketch in ["lines", "other"]:
        for variant in ["good", "weird"]:
            path = workdir / f"results/models/{sketch}/{variant}.onnx"
            model = load_model(path.with_suffix(".pt"))
            net = model.net
            meta = read_metadata(path)
            assert json.loads(meta["sketchbook.levels"]) == pytest.approx(list(model.ink_paper))
            assert "within" in (workdir / f"logs/export_onnx/{sketch}/{variant}.log").read_text()
            got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"image": x.numpy()})[0]
            with torch.inference_mode():
                assert np.abs(got - net(x).numpy()).max() < 1e-4
    r = snakemake(workdir, "-n", "onnx")
    assert "Nothing to be done" in r.stdout + r.stderr


def test_clip_frame_pairs(run):
    """The content clip's frame pairs: at its training frames' times and size, with the flow that
    pulls each first frame onto the second; only for the content clip."""
    from sketchbook.flow import warp

    workdir, cfg = run
    assert sorted(p.name for p in (workdir / "results/pairs").iterdir()) == ["quiet"]
    files = sorted((workdir / "results/pairs/quiet").glob("pair_*"))
    assert [p.name for p in files] == ["pair_001.npz", "pair_002.npz"]  # clip_frames: 2
    content = sorted((workdir / "results/content/quiet").glob("train_*.jpg"))
    with Image.open(content[0]) as im:
        size = im.size
    for f in files:
        with np.load(f) as z:
            a, b, flow, mask = z["a"], z["b"], z["flow"], z["mask"]
        assert a.shape == b.shape == (size[1], size[0], 3) == (32, 48, 3)
        assert flow.shape == (32, 48, 2) and mask.dtype == bool and mask.mean() > 0.5
        fa, fb = a.astype(np.float32) / 255, b.astype(np.float32) / 255
        assert np.abs(warp(fa, flow) - fb).mean(-1)[mask].mean() <= np.abs(fa - fb).mean(-1)[mask].mean() + 1e-3
    assert (workdir / "logs/sample_pairs/quiet.log").exists()


def test_variants_side_by_side(run):
    workdir, _ = run
    with Image.open(workdir / "results/previews/variants.png") as im:
        # 1 held-out photo + 3 clips, each as original + 4 models.
        w, h = im.size
        assert w > 5 * 192 and h > 4 * 192


def test_clip_strips(run):
    """The default target draws each clip's strip: frames across it, source above, stylized below."""
    workdir, _ = run
    for clip in ["ntsc", "quiet", "odd"]:
        with Image.open(workdir / f"results/strips/{clip}.jpg") as im:
            meta = FramesMeta.read(workdir / f"results/frames/{clip}.json")
            assert im.format == "JPEG"
            assert im.height > 2 * min(meta.height, 240)  # two rows of frames and a caption line


def test_report_holds_the_run(run):
    """`snakemake --report` (make report) gathers the marked outputs into one HTML file, built offline,
    opened offline: the film and clips embedded as they are, the scores table written out in HTML."""
    import base64
    import re

    workdir, _ = run
    html_path = workdir / "report.html"
    snakemake(workdir, "--report", str(html_path), "--report-stylesheet", str(REPO / "report/stylesheet.css"))
    html = html_path.read_text()

    def script_var(name):
        """A value the report's page holds as JSON in its own <script> (the results, the categories)."""
        tag = name.replace("_", "-")
        return json.loads(re.search(rf'<script id="{tag}">\s*var {name} = (.*?);\n\s*</script>', html, re.S).group(1))

    results, categories = script_var("results"), script_var("categories")
    assert set(categories) == {"Film", "Clips", "Models", "Stability"}
    assert set(categories["Clips"]) == {"ntsc", "quiet", "odd"}
    models = [f"results/models/{s}/{v}" for s in ["lines", "other"] for v in ["good", "weird"]]
    assert set(results) == {
        "results/film.mp4", "results/models/scores.csv", "results/previews/variants.png", "results/stability.csv",
        *(f"results/{kind}/{c}.{ext}" for c in ["ntsc", "quiet", "odd"] for kind, ext in [("clips", "mp4"),
                                                                                          ("strips", "jpg")]),
        *(f"{m}.curve.png" for m in models), *(f"{m}.card.json" for m in models),
        "results/players/film.html", *(f"results/players/clips/{c}.html" for c in ["ntsc", "quiet", "odd"]),
    }
    for path in ["results/film.mp4", "results/clips/odd.mp4", "results/strips/ntsc.jpg"]:
        data = results[path]["data_uri"].split("base64,", 1)[1]
        assert base64.b64decode(data) == (workdir / path).read_bytes(), path
    # The videos also play in place: a page holding the mp4 in an HTML5 player.
    for page, mp4 in [("results/players/film.html", "results/film.mp4"),
                      ("results/players/clips/odd.html", "results/clips/odd.mp4")]:
        inner = base64.b64decode(results[page]["data_uri"].split("base64,", 1)[1]).decode()
        video = re.search(r'<video[^>]*\ssrc="data:video/mp4;base64,([^"]+)"', inner).group(1)
        assert base64.b64decode(video) == (workdir / mp4).read_bytes(), page

    # The scores table in the caption: every model's row, with its rank.
    scores = pd.read_csv(workdir / "results/models/scores.csv")
    caption = results["results/models/scores.csv"]["caption"]
    assert "<table" in caption and "<th" in caption and "own_other" in caption
    for _, row in scores.iterrows():
        assert re.search(rf"<td>{row['sketch']}</td>\s*<td>{row['variant']}</td>\s*<td>{row['rank']}</td>", caption)
    # Captions filled in from the config and the job: a clip's sketch, a model's card.
    assert "<strong>lines</strong>" in results["results/clips/ntsc.mp4"]["caption"]
    card = json.loads((workdir / "results/models/other/weird.card.json").read_text())
    assert f"&quot;seed&quot;: {card['settings']['seed']}" in results["results/models/other/weird.card.json"]["caption"]
    assert "warping_error" in results["results/stability.csv"]["caption"]
    assert "Sketchbook learns" in script_var("workflow_desc")
    # Nothing to fetch when it is opened: no script or stylesheet from elsewhere.
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", html)


def test_rerun_is_incremental(run):
    workdir, cfg = run
    r = snakemake(workdir, "-n")
    assert "Nothing to be done" in r.stdout + r.stderr

    outputs = [p for p in (workdir / "results").rglob("*") if p.is_file()]
    before = {p: p.stat().st_mtime_ns for p in outputs}
    cfg = yaml.safe_load(yaml.safe_dump(cfg, sort_keys=False))  # keep the film order
    cfg["clips"]["ntsc"]["variants"] = ["weird"]
    write_config(workdir, cfg)
    snakemake(workdir)
    changed = {str(p.relative_to(workdir)) for p in outputs if p.stat().st_mtime_ns != before[p]}
    assert "results/plans/ntsc.csv" in changed
    assert "results/clips/ntsc.mp4" in changed
    assert "results/film.mp4" in changed
    assert any(c.startswith("results/stylized/ntsc/") for c in changed)
    # Nothing else: no training, no other clip, no re-extraction.
    others = {c for c in changed if not c.startswith("results/stylized/ntsc/")}
    assert others == {"results/plans/ntsc.csv", "results/clips/ntsc.mp4", "results/film.mp4",
                      "results/stability/ntsc.json", "results/stability.csv", "results/strips/ntsc.jpg",
                      "results/players/clips/ntsc.html", "results/players/film.html"}
    assert pd.read_csv(workdir / "results/stability.csv")["variants"][0] == "weird"
    assert set(pd.read_csv(workdir / "results/plans/ntsc.csv")["variant"]) == {"weird"}


def dry_run_jobs(workdir) -> set[tuple[str, str]]:
    """(rule, clip or "") of each job a dry run of the workflow in ``workdir`` would run."""
    import re

    r = snakemake(workdir, "-n")
    jobs = set()
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", r.stdout + r.stderr)[1:]:
        rule = re.match(r"(?:local)?rule (\w+):", block).group(1)
        clip = re.search(r"wildcards: .*?clip=([\w-]+)", block)
        jobs.add((rule, clip.group(1) if clip else ""))
    return jobs


def test_a_clips_strength_or_color_restyles_only_that_clip(run):
    """strength and color are stylize_frames params: changing one clip's re-renders that clip
    (stylize, encode, its stability) and the join, nothing else; the deprecated grayscale flag
    reads as the same color (nothing to do) with a note in the log."""
    workdir, _ = run
    original = (workdir / "config.yaml").read_text()
    r = snakemake(workdir, "-n")
    assert "Nothing to be done" in r.stdout + r.stderr
    that_clip = {("stylize_frames", "odd"), ("encode_clip", "odd"), ("measure_stability", "odd"),
                 ("clip_strip", "odd"), ("clip_player", "odd"),
                 ("join_film", ""), ("film_player", ""), ("tabulate_stability", ""), ("all", "")}
    try:
        for key, value in (("strength", 0.5), ("color", "footage")):
            cfg = yaml.safe_load(original)
            cfg["clips"]["odd"][key] = value
            write_config(workdir, cfg)
            assert dry_run_jobs(workdir) == that_clip, key
        cfg = yaml.safe_load(original)
        del cfg["render"]["color"]
        cfg["render"]["grayscale"] = True
        write_config(workdir, cfg)
        r = snakemake(workdir, "-n")
        assert "Nothing to be done" in r.stdout + r.stderr
        assert "render.grayscale is deprecated: write color: gray" in r.stdout + r.stderr
    finally:
        (workdir / "config.yaml").write_text(original)


def test_adding_a_clip_trains_nothing(run, assets):
    workdir, cfg = run
    cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    cfg["clips"]["extra"] = {"path": str(assets / "clips" / "ntsc.mp4"), "sketch": "other", "variants": ["good"],
                             "end": 0.3}
    write_config(workdir, cfg)
    r = snakemake(workdir, "-n", "--quiet", "rules")
    out = r.stdout + r.stderr
    for rule in ["extract_frames", "plan_frames", "stylize_frames", "encode_clip", "join_film"]:
        assert rule in out
    for rule in ["train_model", "sample_content", "sample_pairs", "score_models", "fetch_loss_network"]:
        assert rule not in out


def test_editing_a_content_photo_retrains_only_what_uses_it(run):
    """The content folder is listed into its files: a photo edited in place is seen."""
    workdir, cfg = run
    from sketchbook.content import list_images, split_held_out

    train, held = split_held_out(list_images(cfg["content"]["images"]), cfg["content"]["held_out"])

    def rules_after_editing(photo):
        """What a dry run would re-run after the photo's bytes change (then put back as they were)."""
        st, data = photo.stat(), photo.read_bytes()
        photo.write_bytes(data + b"edited")
        os.utime(photo, ns=(st.st_atime_ns, time.time_ns() + 10**12))  # newer than the outputs
        try:
            r = snakemake(workdir, "-n", "--quiet", "rules")
        finally:
            photo.write_bytes(data)
            os.utime(photo, ns=(st.st_atime_ns, st.st_mtime_ns))
        return r.stdout + r.stderr

    out = rules_after_editing(train[0])
    assert "train_model" in out and "score_models" in out, out
    out = rules_after_editing(held[-1])
    assert "score_models" in out and "preview_variants" in out
    assert "train_model" not in out  # held-out photos only score


def test_bad_inputs_give_one_clear_error(assets, tmp_path):
    """A bad clip or sketch stops the run before any job, with one line naming its key and file."""
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    cfg = tiny_config(assets)
    cfg["clips"]["bad"] = {"path": str(assets / "broken.mp4"), "sketch": "lines"}
    write_config(tmp_path, cfg)
    r = snakemake(tmp_path, "results/frames/ntsc.json", check=False)
    assert r.returncode != 0
    assert "config key clips.bad.path: clip" in r.stderr and "broken.mp4: not a readable video" in r.stderr
    assert "Copyright" not in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "logs").exists()  # no job ran
    del cfg["clips"]["bad"]
    cfg["sketches"]["broken"] = str(broken)
    write_config(tmp_path, cfg)
    r = snakemake(tmp_path, "results/models/broken/good.pt", check=False)
    assert r.returncode != 0
    assert "config key sketches.broken: sketch" in r.stderr and "broken.png: not a readable image" in r.stderr
    assert "Traceback" not in r.stderr

    cfg["sketches"]["broken"] = str(tmp_path / "missing.png")
    write_config(tmp_path, cfg)
    r = snakemake(tmp_path, "-n", check=False)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "config key sketches.broken: file" in out and "missing.png does not exist" in out


def _planned_jobs(workdir) -> tuple[dict[str, int], str]:
    """The jobs a dry run would run (rule -> count, from Snakemake's job stats table), and its output."""
    import re

    r = snakemake(workdir, "-n")
    out = r.stdout + r.stderr
    jobs = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", out, re.M) if m[1] not in ("total", "all")}
    return jobs, out


def test_transitions_rerun_only_the_join_and_keep_the_film_exact(run):
    """film.transition: a crossfade re-runs only the join, and the film is shorter by exactly its
    overlaps; a morph runs one morph_cut per cut and keeps every frame and the sound; a per-cut
    override re-runs only that cut's morph."""
    import subprocess

    from sketchbook.transitions import film_frames

    workdir, _ = run
    cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    cfg["clips"].pop("extra", None)  # the dry run above added it
    cfg["film"] = {}  # cuts
    for clip in cfg["clips"].values():
        clip.pop("transition_in", None)
    write_config(workdir, cfg)  # the film as the run made it (the dry run above changed nothing)
    film = workdir / "results/film.mp4"

    def audio_md5():
        return subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(film), "-map", "0:a",
                               "-f", "md5", "-"], capture_output=True, text=True, check=True).stdout

    metas = [FramesMeta.read(workdir / f"results/frames/{c}.json") for c in ["ntsc", "quiet", "odd"]]
    rate = Fraction(metas[0].fps)
    F = [film_frames(m.frames, m.fps, rate) for m in metas]
    cut_film, cut_sound = stream_info(film), audio_md5()
    assert cut_film["video"]["frames"] == sum(F) == 30 + 15 + 12

    cfg["film"] = {"transition": {"type": "crossfade", "duration": 0.2}}
    write_config(workdir, cfg)
    assert _planned_jobs(workdir)[0] == {"join_film": 1, "film_player": 1}
    snakemake(workdir)
    info = stream_info(film)
    frames = sum(F) - 2 * 6  # 0.2 s = 6 frames at 29.97, at both cuts
    assert info["video"]["frames"] == frames
    assert info["video"]["duration"] == pytest.approx(frames / rate, abs=float(1 / rate))
    assert abs(info["audio"]["duration"] - info["video"]["duration"]) < float(1 / rate)
    assert "crossfade of 0.200 s" in (workdir / "logs/join_film/film.log").read_text()

    cfg["film"] = {"transition": {"type": "morph", "duration": 0.2}}
    write_config(workdir, cfg)
    assert _planned_jobs(workdir)[0] == {"morph_cut": 2, "join_film": 1, "film_player": 1}
    snakemake(workdir)
    info = stream_info(film)
    assert info["video"]["frames"] == cut_film["video"]["frames"]
    assert info["audio"]["duration"] == pytest.approx(cut_film["audio"]["duration"], abs=1e-6)
    assert audio_md5() == cut_sound
    m = json.loads((workdir / "results/morphs/ntsc/quiet.json").read_text())
    assert (m["tail"]["frames"], m["head"]["frames"]) == (3, 2)  # 0.1 s each side: 29.97 and 24 fps
    assert m["tail"]["replaces"] == ["000028.png", "000029.png", "000030.png"]
    assert len(list((workdir / "results/morphs/ntsc/quiet").glob("*.png"))) == 5

    cfg["clips"]["odd"]["transition_in"] = {"duration": 0.3}  # only the cut quiet -> odd changes
    write_config(workdir, cfg)
    jobs, out = _planned_jobs(workdir)
    assert jobs == {"morph_cut": 1, "join_film": 1, "film_player": 1}
    assert "clip=quiet, next_clip=odd" in out and "clip=ntsc, next_clip=quiet" not in out
