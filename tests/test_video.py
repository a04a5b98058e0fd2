from fractions import Fraction

import numpy

import pytest

from sketchbook import video
from sketchbook.errors import InputFileError
from sketchbook.video import FramesMeta

from helpers import ffmpeg, remux_rotated, stream_info


def test_probe_keeps_exact_rate(assets):
    p = video.probe(assets / "clips" / "ntsc.mp4")
    assert p.fps == "30000/1001"
    assert (p.width, p.height) == (64, 48)
    assert p.has_audio
    assert not video.probe(assets / "clips" / "silent.mp4").has_audio


def test_probe_errors_name_the_file(assets):
    with pytest.raises(InputFileError, match="missing.mp4"):
        video.probe(assets / "missing.mp4")
    with pytest.raises(InputFileError, match="broken.mp4"):
        video.probe(assets / "broken.mp4")


def test_extract_frames_and_audio(assets, tmp_path):
    m = video.extract(assets / "clips" / "ntsc.mp4", tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json", "ntsc")
    assert m.fps == "30000/1001"
    assert m.frames == 30 == len(list((tmp_path / "f").glob("*.png")))
    assert m.has_audio
    assert FramesMeta.read(tmp_path / "m.json") == m
    audio = stream_info(tmp_path / "a.wav")["audio"]
    assert audio["duration"] == pytest.approx(30 / (30000 / 1001), abs=0.01)


def test_extract_trim_rate_and_size(assets, tmp_path):
    m = video.extract(assets / "clips" / "ntsc.mp4", tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json",
                      start=0.2, end=0.9, fps="12", max_side=32)
    assert m.fps == "12"
    assert m.frames in (8, 9)  # 0.7 s at 12 fps
    assert (m.width, m.height) == (32, 24)
    assert stream_info(tmp_path / "a.wav")["audio"]["duration"] == pytest.approx(m.frames / 12, abs=0.01)


def test_silent_clip_gets_silence_and_a_silent_encode(assets, tmp_path):
    m = video.extract(assets / "clips" / "silent.mp4", tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json")
    assert not m.has_audio and m.frames == 12
    video.encode(tmp_path / "f", m, tmp_path / "a.wav", tmp_path / "out.mp4")
    info = stream_info(tmp_path / "out.mp4")
    assert info["audio"] is None
    assert info["video"]["frames"] == 12


def test_odd_size_encodes(assets, tmp_path):
    m = video.extract(assets / "clips" / "odd.mkv", tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json")
    assert (m.width, m.height) == (47, 33)
    video.encode(tmp_path / "f", m, tmp_path / "a.wav", tmp_path / "out.mp4")
    v = stream_info(tmp_path / "out.mp4")["video"]
    assert (v["width"], v["height"]) == (48, 34)
    assert v["pix_fmt"] == "yuv420p" and v["codec"] == "h264"
    assert v["frames"] == m.frames


def test_encode_and_join(assets, tmp_path):
    metas, clips, audios = [], [], []
    for name in ["ntsc.mp4", "silent.mp4"]:
        d = tmp_path / name
        m = video.extract(assets / "clips" / name, d / "f", d / "a.wav", d / "m.json")
        video.encode(d / "f", m, d / "a.wav", d / "c.mp4")
        metas.append(m), clips.append(d / "c.mp4"), audios.append(d / "a.wav")
    info = stream_info(clips[0])
    assert info["video"]["frames"] == 30 and info["video"]["fps"] == "30000/1001"
    assert info["audio"]["duration"] == pytest.approx(1.001, abs=0.05)
    video.join(clips, metas, audios, tmp_path / "film.mp4")
    film = stream_info(tmp_path / "film.mp4")
    assert film["video"]["fps"] == "30000/1001"
    assert (film["video"]["width"], film["video"]["height"]) == (64, 48)
    total = 30 / Fraction(30000, 1001) + Fraction(12, 24)
    assert film["video"]["duration"] == pytest.approx(float(total), abs=0.1)
    assert film["audio"]["duration"] == pytest.approx(float(total), abs=0.1)


def test_fit_size():
    assert video.fit_size(1920, 1080, 640) == (640, 360)
    assert video.fit_size(320, 240, 640) == (320, 240)
    assert video.fit_size(320, 240, None) == (320, 240)


def test_sample_content_frames(assets, tmp_path):
    files = video.sample_frames(assets / "clips" / "ntsc.mp4", tmp_path / "c", n_train=4, n_held=2, short_side=24)
    names = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert names == ["held_001.jpg", "held_002.jpg", "train_001.jpg", "train_002.jpg", "train_003.jpg", "train_004.jpg"]
    assert sorted(p.name for p in files) == names
    from PIL import Image
    with Image.open(tmp_path / "c" / "train_001.jpg") as im:
        assert im.size == (32, 24)


# --- footage as phones and cameras store it (issue 11, items 1, 4 and 7) ---

PATTERN_W, PATTERN_H = 32, 24


def pattern_frame() -> "numpy.ndarray":
    """White, with a black square in the top-left corner: any turn or squash shows."""
    import numpy as np

    a = np.full((PATTERN_H, PATTERN_W, 3), 255, np.uint8)
    a[:8, :8] = 0
    return a


def pattern_clip(tmp_path, name="pat.mp4", frames=6, sar=None, rotate=None):
    """A lossless clip of the pattern; ``rotate`` stored as the stream's display matrix, as phones
    do (conftest.remux_rotated), ``sar`` as
    the stream's sample aspect ratio (anamorphic)."""
    import numpy as np

    raw = tmp_path / "pat.raw"
    raw.write_bytes(np.repeat(pattern_frame()[None], frames, 0).tobytes())
    out = tmp_path / name
    plain = tmp_path / f"plain-{name}"
    vf = ["-vf", f"setsar={sar}"] if sar else []
    ffmpeg("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{PATTERN_W}x{PATTERN_H}", "-r", "12", "-i", str(raw),
           *vf, "-c:v", "libx264rgb", "-qp", "0", str(plain if rotate is not None else out))
    if rotate is not None:
        remux_rotated(plain, out, rotate)
    return out


def read_png(path) -> "numpy.ndarray":
    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).astype(int)


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_clip_comes_out_as_players_show_it(tmp_path, rotate):
    """A phone's portrait clip (stored landscape + a display rotation) must not come out squashed
    into landscape: portrait stays portrait, turned as the display matrix says (counter-clockwise
    degrees, as ffprobe reports them), pixel for pixel."""
    import numpy as np

    clip = pattern_clip(tmp_path, rotate=rotate)
    p = video.probe(clip)
    # ffprobe's rotation is counter-clockwise degrees (how an ffmpeg version maps the written
    # value onto the matrix differs; players follow the matrix, and so must we).
    assert p.rotation in (90, 180, 270) and (p.rotation == 180) == (rotate == 180)
    turns = p.rotation // 90
    assert (p.coded_width, p.coded_height) == (PATTERN_W, PATTERN_H)
    portrait = p.rotation % 180 == 90
    assert (p.width, p.height) == ((PATTERN_H, PATTERN_W) if portrait else (PATTERN_W, PATTERN_H))
    m = video.extract(clip, tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json", max_side=640)
    assert (m.width, m.height) == (p.width, p.height) and m.frames == 6
    out = read_png(tmp_path / "f" / "000001.png")
    assert out.shape[:2] == (m.height, m.width)
    assert np.abs(out - np.rot90(pattern_frame(), turns)).max() == 0


def test_rotated_clip_is_scaled_at_its_own_aspect(tmp_path):
    clip = pattern_clip(tmp_path, rotate=90)
    m = video.extract(clip, tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json", max_side=16)
    assert (m.width, m.height) == (12, 16)
    assert read_png(tmp_path / "f" / "000001.png").shape[:2] == (16, 12)


@pytest.mark.parametrize("sar, rotate, size", [("2", None, (64, 24)), ("1/2", None, (16, 24)),
                                                ("2", 90, (24, 64))])
def test_anamorphic_clip_gets_square_pixels_at_its_display_aspect(tmp_path, sar, rotate, size):
    import numpy as np

    clip = pattern_clip(tmp_path, sar=sar, rotate=rotate)
    p = video.probe(clip)
    assert Fraction(p.sar) == Fraction(sar)
    assert (p.width, p.height) == size
    m = video.extract(clip, tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json", max_side=640)
    assert (m.width, m.height) == size
    out = read_png(tmp_path / "f" / "000001.png")
    assert out.shape[:2] == (size[1], size[0])
    # The 8x8 stored corner box is shown 8*SAR wide and 8 high (turned with the clip).
    box_w, box_h = round(8 * Fraction(sar)), 8
    if rotate:
        box_w, box_h = box_h, box_w
    ys, xs = np.nonzero(out.mean(axis=2) < 128)
    assert xs.max() - xs.min() + 1 == pytest.approx(box_w, abs=1)
    assert ys.max() - ys.min() + 1 == pytest.approx(box_h, abs=1)
    info = stream_info(tmp_path / "f" / "000001.png")["video"]
    assert (info["width"], info["height"]) == size
    # Content frames sampled for training see the same picture.
    video.sample_frames(clip, tmp_path / "c", n_train=1, n_held=1, short_side=24)
    from PIL import Image
    with Image.open(tmp_path / "c" / "train_001.jpg") as im:
        assert im.size == (round(24 * size[0] / min(size)), round(24 * size[1] / min(size)))


def test_normal_clip_extracts_exactly_as_before(assets, tmp_path):
    """No change for an ordinary landscape clip: the same frames, byte for byte, as the plain
    ffmpeg command the extractor always ran."""
    src = assets / "clips" / "ntsc.mp4"
    video.extract(src, tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json", max_side=32)
    ref = tmp_path / "ref"
    ref.mkdir()
    ffmpeg("-i", str(src), "-filter_complex", "[0:v]fps=fps=30000/1001[s0];[s0]scale=32:24:flags=area[s1]",
           "-map", "[s1]", "-fps_mode", "passthrough", "-start_number", "1", str(ref / "%06d.png"))
    ours = sorted((tmp_path / "f").iterdir())
    assert [p.name for p in ours] == [p.name for p in sorted(ref.iterdir())]
    assert all(p.read_bytes() == (ref / p.name).read_bytes() for p in ours)


def cut_clip(tmp_path, container="mp4", fraction=0.5):
    """A 2 s clip cut off part-way, as a copy interrupted mid-file leaves it."""
    full = tmp_path / f"full.{container}"
    extra = ["-movflags", "+faststart"] if container == "mp4" else []
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=24", "-f", "lavfi", "-i", "sine", "-t", "2",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", *extra, str(full))
    cut = tmp_path / f"cut.{container}"
    data = full.read_bytes()
    cut.write_bytes(data[: int(len(data) * fraction)])
    return cut


@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_cut_off_clip_warns_and_says_so_in_its_metadata(tmp_path, container, caplog):
    clip = cut_clip(tmp_path, container)
    with caplog.at_level("WARNING"):
        m = video.extract(clip, tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json")
    assert m.damaged and m.frames_expected in (48, 49)  # mkv: the header duration includes the audio
    assert 0 < m.frames < 40 and m.frames == len(list((tmp_path / "f").iterdir()))
    assert f"decoded {m.frames} of the {m.frames_expected} frames" in m.problem and str(clip) in m.problem
    saved = FramesMeta.read(tmp_path / "m.json")
    assert saved == m
    assert any("damaged or cut off" in r.getMessage() for r in caplog.records)
    # The audio is cut to the frames that decoded.
    assert stream_info(tmp_path / "a.wav")["audio"]["duration"] == pytest.approx(m.frames / 24, abs=0.01)


def test_cut_off_clip_with_on_damaged_error_stops(tmp_path):
    clip = cut_clip(tmp_path)
    with pytest.raises(InputFileError, match=r"cut\.mp4: damaged or cut off: decoded \d+ of the 48 frames"):
        video.extract(clip, tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json", on_damaged="error")
    assert not (tmp_path / "f").exists() and not (tmp_path / "m.json").exists()
    assert not (tmp_path / "f.tmp").exists()


def test_healthy_clips_are_not_called_damaged(assets, tmp_path):
    for name in ["ntsc.mp4", "silent.mp4", "odd.mkv"]:
        d = tmp_path / name
        m = video.extract(assets / "clips" / name, d / "f", d / "a.wav", d / "m.json", on_damaged="error")
        assert not m.damaged and m.problem == "" and m.frames_expected == m.frames, name
    m = video.extract(assets / "clips" / "ntsc.mp4", tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json",
                      start=0.2, end=0.9, fps="12", on_damaged="error")
    assert not m.damaged and abs(m.frames_expected - m.frames) <= 1


def test_unreadable_clip_error_is_one_line_without_the_banner(assets, tmp_path):
    with pytest.raises(InputFileError) as err:
        video.probe(assets / "broken.mp4")
    msg = str(err.value)
    assert "\n" not in msg and "configuration:" not in msg and "libavutil" not in msg and "Copyright" not in msg
    assert msg == (f"clip {assets / 'broken.mp4'}: not a readable video "
                   "(moov atom not found; Invalid data found when processing input)")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(InputFileError, match=r"empty\.mp4: not a readable video \("):
        video.probe(tmp_path / "empty.mp4")


def test_names_ffmpeg_would_misread(assets, tmp_path):
    """A clip named like a protocol ("take:2.mp4") or an option ("-y.mp4") is still a file."""
    import shutil

    for name in ["take:2.mp4", "-y.mp4", "sp ace & $(x) 'q'.mp4", "ünï cödé.mp4"]:
        clip = tmp_path / name
        shutil.copy(assets / "clips" / "ntsc.mp4", clip)
        d = tmp_path / f"out{len(name)}"
        m = video.extract(clip, d / "f", d / "a.wav", d / "m.json")
        assert m.frames == 30 and m.source == str(clip), name


def test_content_frames_of_a_cut_off_clip_stop_with_one_line(tmp_path):
    """Sampling seeks over the duration the header promises: a cut-off clip used to give fewer
    files than listed, silently."""
    clip = cut_clip(tmp_path, "mkv")
    with pytest.raises(InputFileError, match=r"cut\.mkv: no frame decodes at [\d.]+ s of the 2\.\d+ s its header"):
        video.sample_frames(clip, tmp_path / "c", n_train=4, n_held=2, short_side=24)
    assert not (tmp_path / "c").exists() and not (tmp_path / "c.tmp").exists()


def test_a_clip_cut_off_near_its_end_is_caught_by_ffmpegs_errors(tmp_path):
    """Short by less than the rounding tolerance, but ffmpeg reported the file ended early."""
    full = tmp_path / "full.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=24", "-t", "10", "-c:v", "libx264", "-g", "1",
           "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(full))
    data = full.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[:-100])  # the index first, the frames after it: the last frame is cut
    m = video.extract(cut, tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json")
    assert 0 < m.frames_expected - m.frames <= video.damage_tolerance(m.frames_expected)
    assert m.damaged and "ffmpeg: " in m.problem and "no decode error" not in m.problem
