from fractions import Fraction

import pytest

from sketchbook import video
from sketchbook.errors import InputFileError
from sketchbook.video import FramesMeta


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
    audio = video.stream_info(tmp_path / "a.wav")["audio"]
    assert audio["duration"] == pytest.approx(30 / (30000 / 1001), abs=0.01)


def test_extract_trim_rate_and_size(assets, tmp_path):
    m = video.extract(assets / "clips" / "ntsc.mp4", tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json",
                      start=0.2, end=0.9, fps="12", max_side=32)
    assert m.fps == "12"
    assert m.frames in (8, 9)  # 0.7 s at 12 fps
    assert (m.width, m.height) == (32, 24)
    assert video.stream_info(tmp_path / "a.wav")["audio"]["duration"] == pytest.approx(m.frames / 12, abs=0.01)


def test_silent_clip_gets_silence_and_a_silent_encode(assets, tmp_path):
    m = video.extract(assets / "clips" / "silent.mp4", tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json")
    assert not m.has_audio and m.frames == 12
    video.encode(tmp_path / "f", m, tmp_path / "a.wav", tmp_path / "out.mp4")
    info = video.stream_info(tmp_path / "out.mp4")
    assert info["audio"] is None
    assert info["video"]["frames"] == 12


def test_odd_size_encodes(assets, tmp_path):
    m = video.extract(assets / "clips" / "odd.mkv", tmp_path / "f", tmp_path / "a.wav", tmp_path / "m.json")
    assert (m.width, m.height) == (47, 33)
    video.encode(tmp_path / "f", m, tmp_path / "a.wav", tmp_path / "out.mp4")
    v = video.stream_info(tmp_path / "out.mp4")["video"]
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
    info = video.stream_info(clips[0])
    assert info["video"]["frames"] == 30 and info["video"]["fps"] == "30000/1001"
    assert info["audio"]["duration"] == pytest.approx(1.001, abs=0.05)
    video.join(clips, metas, audios, tmp_path / "film.mp4")
    film = video.stream_info(tmp_path / "film.mp4")
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
