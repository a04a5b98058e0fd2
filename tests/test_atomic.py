"""sketchbook.atomic: an output appears whole under its name, or not at all."""

import pytest

from sketchbook.atomic import atomic_dir, atomic_file


def test_file_appears_only_when_written(tmp_path):
    out = tmp_path / "a.csv"
    with atomic_file(out) as tmp:
        assert tmp == tmp_path / "a.csv.tmp"
        tmp.write_text("x\n")
        assert not out.exists()
    assert out.read_text() == "x\n" and not tmp.exists()


def test_file_temp_names(tmp_path):
    with atomic_file(tmp_path / "c.png", ".tmp.png") as tmp:
        assert tmp.name == "c.png.tmp.png"  # writers that pick the format by the extension
        tmp.write_bytes(b"")
    with atomic_file(tmp_path / "f.png", hidden=True) as tmp:
        assert tmp.name == ".f.png.tmp"  # unseen by a glob for *.png
        tmp.write_bytes(b"")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.png", "f.png"]


def test_failed_file_keeps_the_old_output(tmp_path):
    out = tmp_path / "a.txt"
    out.write_text("old")
    with pytest.raises(ValueError), atomic_file(out) as tmp:
        tmp.write_text("half")
        raise ValueError
    assert out.read_text() == "old" and not tmp.exists()


def test_dir_replaces_the_old_folder(tmp_path):
    out = tmp_path / "frames"
    out.mkdir()
    (out / "stale.png").write_text("")
    (tmp_path / "frames.tmp").mkdir()
    (tmp_path / "frames.tmp" / "left-over").write_text("")  # a killed run's
    with atomic_dir(out) as tmp:
        assert tmp == tmp_path / "frames.tmp" and not any(tmp.iterdir())
        (tmp / "000001.png").write_text("")
    assert [p.name for p in out.iterdir()] == ["000001.png"] and not tmp.exists()


def test_failed_dir_leaves_nothing(tmp_path):
    out = tmp_path / "frames"
    with pytest.raises(ValueError), atomic_dir(out) as tmp:
        (tmp / "000001.png").write_text("")
        raise ValueError
    assert not out.exists() and not tmp.exists()
