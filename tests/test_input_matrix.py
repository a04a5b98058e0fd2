"""Every kind of footage and scan a user may bring (tests/inputs/make_inputs.py), through the checks
the main Snakemake process runs before any job and through its own stage: a correct result, a
render of what decodes with the damage recorded, or one clear error naming the file."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from sketchbook import inputs, video
from sketchbook.errors import ConfigError, InputFileError
from sketchbook.images import load_rgb, luminance

from helpers import TINY_TRAINING, make_photo, snakemake, stream_info, write_config
from inputs.make_inputs import MAX_SIDE, Case, cases, make

CASES = cases()


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    made = make(d)
    assert [c.name for c in made] == [c.name for c in CASES]
    return d


def one_line_naming(exc: BaseException, path, fragment: str) -> str:
    msg = str(exc)
    assert str(path) in msg, msg
    assert fragment in msg, msg
    assert "\n" not in msg and "Copyright" not in msg and "weights_only" not in msg, msg
    return msg


def check_clip(case: Case, path, tmp_path) -> None:
    key = "config key clips.x.path"
    if case.expect == "error" and case.stage == "check":
        with pytest.raises(ConfigError) as err:
            inputs.check_clip(path, key)
        assert one_line_naming(err.value, path, case.error).startswith(key)
        return
    inputs.check_clip(path, key)  # passes the check before any job

    out = tmp_path / "out"
    args = (path, out / "f", out / "a.wav", out / "m.json")
    if case.expect == "error":
        with pytest.raises(InputFileError) as err:
            video.extract(*args, clip_id="x", max_side=MAX_SIDE)
        one_line_naming(err.value, path, case.error)
        return

    m = video.extract(*args, clip_id="x", max_side=MAX_SIDE)
    frames = sorted((out / "f").glob("*.png"))
    assert m.frames == len(frames) > 0
    assert (m.width, m.height) == case.size
    info = stream_info(frames[0])["video"]
    assert (info["width"], info["height"]) == case.size  # as a player shows the clip
    wav = stream_info(out / "a.wav")["audio"]
    assert wav["duration"] == pytest.approx(m.frames / Fraction(m.fps), abs=0.01)
    assert video.FramesMeta.read(out / "m.json") == m
    if case.expect == "ok":
        assert not m.damaged and m.problem == ""
        assert m.has_audio == case.audio
        if case.frames is not None:
            assert m.frames == case.frames
        else:
            assert abs(m.frames - m.frames_expected) <= video.damage_tolerance(m.frames_expected)
        return
    # Damaged: what decodes is rendered, and the shortfall is recorded and said.
    assert m.damaged and 0 < m.frames < m.frames_expected
    assert m.problem.startswith(f"clip {path}: damaged or cut off: decoded {m.frames} of the {m.frames_expected}")
    with pytest.raises(ConfigError, match="damaged or cut off"):  # on_damaged: error stops before any job
        inputs.check_clip(path, key, on_damaged="error")
    with pytest.raises(InputFileError, match="damaged or cut off"):
        video.extract(path, out / "g", out / "b.wav", out / "n.json", max_side=MAX_SIDE, on_damaged="error")


def check_sketch(case: Case, path) -> None:
    key = "config key sketches.x"

    def pre_check():
        inputs.check_image(path, key, "sketch", verify=True, min_side=inputs.MIN_SKETCH_SIDE)

    if case.expect == "error" and case.stage == "check":
        with pytest.raises(ConfigError) as err:
            pre_check()
        assert one_line_naming(err.value, path, case.error).startswith(key)
        if case.notes.get("loads"):
            load_rgb(path, "sketch")  # the loader itself copes; the check refuses it
        return
    pre_check()
    if case.expect == "error":
        with pytest.raises(InputFileError) as err:
            load_rgb(path, "sketch")
        one_line_naming(err.value, path, case.error)
        return
    t = load_rgb(path, "sketch")
    w, h = case.size
    assert t.shape == (3, h, w) and t.dtype.is_floating_point
    assert 0 <= float(t.min()) and float(t.max()) <= 1
    if "grey" in case.notes:
        grey = luminance(t)[0].numpy()
        atol = case.notes.get("atol", 1.5 / 255)
        assert np.abs(grey - case.notes["grey"]).max() <= atol, np.abs(grey - case.notes["grey"]).max()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.kind}: {c.name}" for c in CASES])
def test_input(case, matrix, tmp_path):
    path = matrix / case.file
    if case.kind == "clip":
        check_clip(case, path, tmp_path)
    else:
        check_sketch(case, path)


@pytest.mark.workflow
def test_awkward_inputs_through_the_real_workflow(matrix, tmp_path):
    """One real run with tiny settings: a phone's portrait clip, anamorphic footage, a clip cut off
    mid-file, names with spaces, unicode and shell characters, a 16-bit and a transparent sketch.
    Then: on_damaged: error stops before any job; a job that fails on its input is not rerun."""
    import shutil


    src = tmp_path / "my footage; $(x) `y` 'z' ü"
    src.mkdir()
    for name in ["phone-rot90.mp4", "anamorphic.mp4", "cut.mkv", "grey16.png", "transparent.png"]:
        shutil.copy(matrix / name, src / name)
    (src / "photos").mkdir()
    for i in range(2):
        make_photo(src / "photos" / f"p{i}.png", seed=i)
    cfg = {
        "sketches": {"grey-16": str(src / "grey16.png"), "see_through": str(src / "transparent.png")},
        "content": {"images": str(src / "photos"), "held_out": 1},
        "loss_network": {"download": False, "if_missing": "random"},
        "training": TINY_TRAINING,
        "variants": {"v": {"seed": 1}},
        "render": {"max_side": 64},
        "clips": {
            "phone": {"path": str(src / "phone-rot90.mp4"), "sketch": "grey-16"},
            "wide": {"path": str(src / "anamorphic.mp4"), "sketch": "see_through"},
            "cut": {"path": str(src / "cut.mkv"), "sketch": "grey-16"},
        },
    }
    work = tmp_path / "work"
    work.mkdir()
    write_config(work, cfg)
    r = snakemake(work)
    assert "WARNING extract_frames: clip" in r.stderr and "cut.mkv: damaged or cut off" in r.stderr
    sizes = {}
    for clip in cfg["clips"]:
        v = stream_info(work / f"results/clips/{clip}.mp4")["video"]
        sizes[clip] = (v["width"], v["height"])
    assert sizes == {"phone": (36, 64), "wide": (64, 36), "cut": (64, 48)}  # portrait stays portrait
    cut = video.FramesMeta.read(work / "results/frames/cut.json")
    assert cut.damaged and 0 < cut.frames < cut.frames_expected
    assert stream_info(work / "results/clips/cut.mp4")["video"]["frames"] == cut.frames
    film = stream_info(work / "results/film.mp4")["video"]
    assert (film["width"], film["height"]) == (36, 64)  # the first clip's size
    r = snakemake(work, "-n")  # the pre-run checks and the new params are stable: nothing to redo
    assert "Nothing to be done" in r.stdout + r.stderr

    # on_damaged: error stops the run before any job, naming the clip.
    cfg["clips"]["cut"]["on_damaged"] = "error"
    write_config(work, cfg)
    r = snakemake(work, "-n", check=False)
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "config key clips.cut.path: clip" in out and "damaged or cut off" in out
    assert not (work / "logs/extract_frames/cut.log").read_text().count("ERROR")

    # A job that fails on its input: its error once, its retry stops at once in one line.
    cfg["clips"]["cut"]["on_damaged"] = "warn"
    cfg["clips"]["late"] = {"path": str(src / "anamorphic.mp4"), "sketch": "grey-16", "start": 30}
    write_config(work, cfg)
    r = snakemake(work, "results/frames/late.json", check=False)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    # One try ran: its ERROR line and its log (shown by show-failed-logs); the retry did not.
    assert out.count("ERROR extract_frames: clip") == 2 and "start 30.0 s is past its end" in out
    assert "ERROR extract_frames: not tried again (the input error above)" in out
    log = (work / "logs/extract_frames/late.log").read_text()
    assert log.count("\n") == 1 and "not tried again" in log and "past its end" in log
