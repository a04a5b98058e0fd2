"""Transitions at the cuts: frame accounting, the config, the join's films, the style morph."""

from __future__ import annotations

import logging
import subprocess
from fractions import Fraction

import numpy as np
import pytest
import torch

from sketchbook import config as sbconfig
from sketchbook import video
from sketchbook.errors import ConfigError
from sketchbook.images import read_frame, write_frame
from sketchbook.morph import Side, morph_cut
from sketchbook.network import TransformerNet
from sketchbook.plan import make_plan
from sketchbook.train import save_model
from sketchbook.transitions import film_frames, morph_weights, plan_cut, plan_cuts

from helpers import stream_info


@pytest.mark.parametrize("n, fps, film", [(30, "30000/1001", "24"), (12, "24", "30000/1001"), (10, "25", "30000/1001"),
                                          (1, "24", "12"), (36, "12", "24"), (7, "25", "10")])
def test_film_frames_is_what_the_fps_filter_makes(n, fps, film):
    out = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                          f"testsrc2=size=16x16:rate={fps}", "-vf", f"trim=end_frame={n},fps={film}",
                          "-f", "framecrc", "-"], capture_output=True, text=True, check=True).stdout
    made = sum(1 for line in out.splitlines() if line and not line.startswith("#"))
    assert film_frames(n, fps, film) == made


def test_overlaps_are_whole_film_frames_and_a_cut_takes_none():
    c = plan_cut("a", "b", 72, "24", 90, "30000/1001", {"type": "crossfade", "duration": 0.5}, "24")
    assert (c.overlap, c.tail, c.head, c.seconds, c.clamped) == (12, 0, 0, 0.5, "")
    c = plan_cut("a", "b", 72, "24", 90, "30000/1001", {"type": "page", "duration": 0.3}, "30000/1001")
    assert c.overlap == 9 and c.seconds == pytest.approx(9 * 1001 / 30000)
    c = plan_cut("a", "b", 72, "24", 90, "30000/1001", {"type": "cut", "duration": 2.0}, "24")
    assert (c.overlap, c.tail, c.head, c.duration, c.seconds) == (0, 0, 0, 0.0, 0.0)


def test_a_morph_takes_half_its_duration_each_side_at_each_clips_rate():
    c = plan_cut("a", "b", 72, "24", 36, "12", {"type": "morph", "duration": 1.0}, "24")
    assert (c.overlap, c.tail, c.head) == (0, 12, 6)
    assert c.seconds == pytest.approx(1.0)


def test_a_transition_longer_than_half_a_clip_is_clamped_with_a_line_naming_it(caplog):
    with caplog.at_level(logging.WARNING, logger="sketchbook.transitions"):
        c = plan_cut("long", "short", 72, "24", 10, "24", {"type": "crossfade", "duration": 2.0}, "24")
    assert c.overlap == 5 and "clip short has 10 film frames" in c.clamped
    assert "clamped to 0.208 s" in caplog.text and "cut long -> short" in caplog.text
    c = plan_cut("short", "long", 3, "24", 72, "24", {"type": "morph", "duration": 2.0}, "24")
    assert (c.tail, c.head) == (1, 24) and "clip short has 3 frames" in c.clamped
    # A clip between two long transitions: never more than all of it.
    cuts = plan_cuts(["a", "b", "c"], [72, 9, 72], ["24"] * 3, [{"type": "page", "duration": 5}] * 2, "24")
    assert [x.overlap for x in cuts] == [4, 4] and sum(x.overlap for x in cuts) <= 9


def test_morph_weights_rise_evenly_in_time_across_the_cut():
    tail, head = morph_weights(4, "24", 4, "24")
    w = tail + head
    assert w == pytest.approx([(i + 0.5) / 8 for i in range(8)])
    assert w == sorted(w) and 0 < w[0] and w[-1] < 1
    # Different rates: each frame's share is where its middle falls in the 1 s window.
    tail, head = morph_weights(12, "24", 6, "12")
    assert tail[0] == pytest.approx(0.5 / 24) and head[0] == pytest.approx(0.5 + 0.5 / 12)
    assert head[-1] == pytest.approx(1 - 0.5 / 12)
    assert morph_weights(0, "24", 0, "24") == ([], [])


def _config(assets, **film):
    clip = {"path": str(assets / "clips" / "ntsc.mp4"), "sketch": "lines"}
    return {"sketches": {"lines": str(assets / "lines.png")}, "content": {"images": str(assets / "content")},
            "variants": {"good": {}}, "clips": {"a": dict(clip), "b": dict(clip), "c": dict(clip)},
            "film": film}


def test_config_transition_defaults_and_per_cut_override(assets):
    cfg = sbconfig.validate(_config(assets))
    assert cfg["film"]["transition"] == {"type": "cut", "duration": 0.5}
    assert [t["type"] for t in sbconfig.film_transitions(cfg)] == ["cut", "cut"]
    assert {t["duration"] for t in sbconfig.film_transitions(cfg)} == {0.0}  # a cut has none
    raw = _config(assets, transition={"type": "morph", "duration": 0.8})
    raw["clips"]["c"]["transition_in"] = {"type": "page"}
    cfg = sbconfig.validate(raw)
    assert sbconfig.film_transitions(cfg) == [
        {"before": "a", "after": "b", "type": "morph", "duration": 0.8},
        {"before": "b", "after": "c", "type": "page", "duration": 0.8}]
    assert sbconfig.morph_cuts(cfg) == [("a", "b")]
    assert sbconfig.morph_settings(cfg, "a", "b") == {
        "duration": 0.8, "before": {"variants": ["good"], "color": "gray", "levels": True, "strength": 1.0},
        "after": {"variants": ["good"], "color": "gray", "levels": True, "strength": 1.0}}
    with pytest.raises(ConfigError, match="no morph at a cut b -> c"):
        sbconfig.morph_settings(cfg, "b", "c")


@pytest.mark.parametrize("mutate, message", [
    (lambda c: c["film"].update(transition={"type": "wipe"}), "config key film.transition.type"),
    (lambda c: c["film"].update(transition={"duration": 0}), "config key film.transition.duration"),
    (lambda c: c["clips"]["b"].update(transition_in={"kind": "page"}), "config key clips.b.transition_in"),
    (lambda c: c["clips"]["a"].update(transition_in={"type": "page"}), "clips.a.transition_in: a is the film's first"),
])
def test_bad_transition_config_names_the_key(assets, mutate, message):
    raw = _config(assets)
    mutate(raw)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        sbconfig.validate(raw)


# --- the join ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clips(assets, tmp_path_factory):
    """The tiny clips extracted and encoded as the workflow does (unstylized: enough to join).
    ntsc: 30 frames at 29.97 with sound; silent: 12 at 24, no sound; odd: 10 at 25 with sound."""
    root = tmp_path_factory.mktemp("join")
    out = []
    for name in ["ntsc.mp4", "silent.mp4", "odd.mkv"]:
        d = root / name.split(".")[0]
        m = video.extract(assets / "clips" / name, d / "frames", d / "a.wav", d / "m.json", clip_id=d.name)
        video.encode(d / "frames", m, d / "a.wav", d / "c.mp4")
        out.append((d / "c.mp4", m, d / "a.wav"))
    return root, out


def _join(clips, name, transitions=None, morphs=None, which=(0, 1, 2)):
    root, all_clips = clips
    picked = [all_clips[i] for i in which]
    out = root / f"{name}.mp4"
    cuts = video.join([c for c, _, _ in picked], [m for _, m, _ in picked], [a for _, _, a in picked], out,
                      transitions=transitions, morphs=morphs)
    return out, cuts, [m for _, m, _ in picked]


def _gray_frames(path):
    info = stream_info(path)["video"]
    raw = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, info["height"], info["width"]).astype(np.float32)


def _audio_md5(path):
    return subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:a",
                           "-f", "md5", "-"], capture_output=True, text=True, check=True).stdout.strip()


def _check_lengths(path, frames_expected, rate):
    """Video frames as planned; video and audio streams that long, to within a frame."""
    info = stream_info(path)
    assert info["video"]["frames"] == frames_expected
    one = float(1 / Fraction(rate))
    assert info["video"]["duration"] == pytest.approx(frames_expected * one, abs=1e-3)
    assert abs(info["audio"]["duration"] - info["video"]["duration"]) < one


@pytest.mark.parametrize("kinds", [("crossfade", "crossfade"), ("page", "cut"), ("cut", "page")])
def test_overlapping_transitions_shorten_the_film_by_the_overlaps_exactly(clips, kinds):
    rate = "30000/1001"
    cut_film, _, metas = _join(clips, "cut")
    film, cuts, _ = _join(clips, "-".join(kinds), [{"type": k, "duration": 0.2} for k in kinds])
    F = [film_frames(m.frames, m.fps, rate) for m in metas]
    assert F == [30, 15, 12]
    assert [c.overlap for c in cuts] == [6 if k != "cut" else 0 for k in kinds]  # 0.2 s = 6 frames at 29.97
    total = sum(F) - sum(c.overlap for c in cuts)
    _check_lengths(cut_film, sum(F), rate)
    _check_lengths(film, total, rate)
    # Outside the overlaps the film is the cut film's frames, moved up by the overlaps before them.
    a, b = _gray_frames(cut_film), _gray_frames(film)
    k0, k1 = cuts[0].overlap, cuts[1].overlap
    assert np.abs(b[:30 - k0] - a[:30 - k0]).mean() < 2
    assert np.abs(b[30:45 - k0 - k1] - a[30 + k0:45 - k1]).mean() < 4  # (re-encoded: a little noise)
    assert np.abs(b[total - 12 + k1:] - a[45 + k1:]).mean() < 2
    if k0:  # inside: between the two clips' frames, neither one
        mid = 30 - k0 + k0 // 2
        own, nxt = a[mid], a[30 + k0 // 2]
        assert np.abs(b[mid] - own).mean() > 2 and np.abs(b[mid] - nxt).mean() > 2


def test_crossfade_blends_picture_and_sound_together(clips):
    film, cuts, _ = _join(clips, "xfade2", [{"type": "crossfade", "duration": 0.2}], which=(0, 2))
    a = _gray_frames(_join(clips, "cut2", which=(0, 2))[0])
    b = _gray_frames(film)
    k = cuts[0].overlap
    # Frame j of the overlap: (1 - w) * the first clip's + w * the second's, w = (j + 1) / (k + 1).
    for j in range(k):
        w = (j + 1) / (k + 1)
        want = (1 - w) * a[30 - k + j] + w * a[30 + j]
        assert np.abs(b[30 - k + j] - want).mean() < 4, j  # a frame or a weight off: 15
    _check_lengths(film, 30 + 12 - k, "30000/1001")


def test_page_turn_uncovers_the_next_clip_from_the_right(clips):
    film, cuts, _ = _join(clips, "page2", [{"type": "page", "duration": 0.3}], which=(0, 2))
    a = _gray_frames(_join(clips, "cut2", which=(0, 2))[0])
    b = _gray_frames(film)
    k = cuts[0].overlap
    j = 30 - k + k // 2  # mid-turn
    w = b.shape[2]
    right = slice(w - w // 4, w)
    nxt = a[30 + k // 2]
    # The right quarter is the next clip (a shadow may darken it), the left is the old page, squeezed.
    assert np.abs(b[j][:, right] - nxt[:, right]).mean() < np.abs(b[j][:, right] - a[j][:, right]).mean()
    assert np.abs(b[j][:, :4] - a[j][:, :4]).mean() < np.abs(b[j][:, :4] - nxt[:, :4]).mean()


def test_a_film_of_cuts_and_morphs_keeps_every_frame_and_the_sound(clips, tmp_path):
    cut_film, _, metas = _join(clips, "cut")
    cut = plan_cut("ntsc", "silent", 30, metas[0].fps, 12, metas[1].fps, {"type": "morph", "duration": 0.25},
                   metas[0].fps)
    assert (cut.tail, cut.head) == (4, 3)  # 0.125 s each side, at 29.97 and at 24 fps
    folder = tmp_path / "morph"
    folder.mkdir()
    for pattern, n, m in (("tail_%06d.png", cut.tail, metas[0]), ("head_%06d.png", cut.head, metas[1])):
        for i in range(1, n + 1):
            write_frame(torch.full((1, m.height, m.width), 255, dtype=torch.uint8), folder / (pattern % i))
    film, _, _ = _join(clips, "morph", [{"type": "morph", "duration": 0.25}, {"type": "cut"}], [folder, None])
    assert stream_info(film)["video"]["frames"] == stream_info(cut_film)["video"]["frames"] == 57
    assert _audio_md5(film) == _audio_md5(cut_film)
    a, b = _gray_frames(cut_film), _gray_frames(film)
    # The blended frames (white here) in place of the clips' own around the cut; the rest as cut.
    spliced = set(range(26, 30)) | set(range(30, 34))  # 4 tail frames; 3 head frames at 24 -> 4 at 29.97
    for i in range(len(a)):
        if i in spliced:
            assert b[i].mean() > 250, i
        else:
            assert np.abs(b[i] - a[i]).mean() < 2, i
    with pytest.raises(video.VideoError, match="0 tail frames, the cut needs 15"):
        _join(clips, "bad", [{"type": "morph", "duration": 1.0}, {"type": "cut"}], [tmp_path, None])


# --- the style morph ----------------------------------------------------------------------------

def test_morph_cut_blends_the_two_hands_over_the_window(tmp_path):
    torch.manual_seed(0)
    sides = []
    for clip, n, fps, shade in (("a", 8, "24", 40), ("b", 6, "12", 220)):
        frames, styl = tmp_path / clip / "frames", tmp_path / clip / "stylized"
        frames.mkdir(parents=True), styl.mkdir()
        for i in range(1, n + 1):
            write_frame(torch.randint(0, 255, (3, 20, 24), dtype=torch.uint8), frames / f"{i:06d}.png")
            write_frame(torch.full((1, 20, 24), shade, dtype=torch.uint8), styl / f"{i:06d}.png")
        models = {}
        for v in ("good", "weird"):
            save_model(TransformerNet(8, 1), tmp_path / clip / f"{v}.pt")
            models[v] = tmp_path / clip / f"{v}.pt"
        meta = video.FramesMeta(clip, "x", fps, n, 24, 20, False, n / float(Fraction(fps)), 0.0, fps)
        plan = make_plan(clip, n, "s", ["good", "weird"], seed=0)
        sides.append(Side(clip, meta, frames, styl, plan, models, {"color": "gray", "levels": False, "strength": 1.0}))
    info = morph_cut(sides[0], sides[1], 0.5, tmp_path / "m", tmp_path / "m.json", "cpu", "fp32")
    assert (info["tail"]["frames"], info["head"]["frames"]) == (4, 3)  # 0.25 s at 24 and at 12 fps, each < half
    assert info["tail"]["replaces"] == [f"{i:06d}.png" for i in range(5, 9)]
    assert info["head"]["replaces"] == [f"{i:06d}.png" for i in range(1, 4)]
    assert info["tail"]["drawn_also_by"] == sides[1].plan["variant"].iloc[0]  # the after clip's first pick
    assert info["head"]["drawn_also_by"] == sides[0].plan["variant"].iloc[-1]  # the before clip's last pick
    w = info["tail"]["after_share"] + info["head"]["after_share"]
    assert w == sorted(w) and 0 < w[0] < 0.15 and 0.85 < w[-1] < 1
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == \
        [f"head_{i:06d}.png" for i in range(1, 4)] + [f"tail_{i:06d}.png" for i in range(1, 5)]
    # Each frame: (1 - w) * the before hand + w * the after hand, the other hand drawn anew from the source.
    from sketchbook.stylize import Stylizer, load_model, stylize_batch

    def drawn(side, other_models, variant, file):
        st = Stylizer(load_model(other_models[variant], "cpu"), torch.device("cpu"), "fp32")
        src = read_frame(side.frames_dir / file).unsqueeze(0)
        return stylize_batch(st, src, torch.device("cpu"), "fp32", True, False)[0].float()

    a, b = sides
    first = read_frame(tmp_path / "m" / "tail_000001.png").float()
    want = (1 - w[0]) * 40 + w[0] * drawn(a, b.models, info["tail"]["drawn_also_by"], "000005.png")
    assert (first - want).abs().max() <= 1
    last = read_frame(tmp_path / "m" / "head_000003.png").float()
    want = (1 - w[-1]) * drawn(b, a.models, info["head"]["drawn_also_by"], "000003.png") + w[-1] * 220
    assert (last - want).abs().max() <= 1
    assert read_frame(tmp_path / "m" / "tail_000001.png").shape == (3, 20, 24)
