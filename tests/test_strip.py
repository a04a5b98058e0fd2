"""sketchbook.strip: a few frames across a clip, each stylized frame under its source frame."""

import numpy as np
import pytest
from PIL import Image

from sketchbook.errors import InputFileError
from sketchbook.strip import GAP, LABEL_W, STRIP_CELL, clip_strip, pick_frames


@pytest.mark.parametrize(
    "n_frames, picks",
    [(1, [0]), (3, [0, 1, 2]), (5, [0, 1, 2, 3, 4]), (9, [0, 2, 4, 6, 8]), (72, [0, 18, 36, 53, 71]), (0, [])],
)
def test_pick_frames_spreads_from_first_to_last(n_frames, picks):
    assert pick_frames(n_frames, 5) == picks


def _clip(tmp_path, n, size=(64, 48)):
    """Source frames a flat grey that rises with the frame number; the 'stylized' frames their negative."""
    src, out = tmp_path / "frames", tmp_path / "stylized"
    src.mkdir()
    out.mkdir()
    for i in range(n):
        v = 20 + 20 * i
        Image.new("RGB", size, (v, v, v)).save(src / f"{i + 1:06d}.png")
        Image.new("RGB", size, (255 - v, 255 - v, 255 - v)).save(out / f"{i + 1:06d}.png")
    return src, out


def test_strip_shows_source_above_stylized_in_order(tmp_path):
    src, out = _clip(tmp_path, 9)
    jpg = tmp_path / "strip.jpg"
    shown = clip_strip(src, out, "30000/1001", jpg, n=3, cell=32)
    assert shown == ["000001.png", "000005.png", "000009.png"]
    im = np.asarray(Image.open(jpg).convert("L"), dtype=float)
    # Frames scaled into 32 px (32x24), three columns after the label column, captions under them.
    assert im.shape[1] == LABEL_W + 3 * (32 + GAP) and im.shape[0] > 2 * (24 + GAP)
    for c, i in enumerate([0, 4, 8]):
        x = LABEL_W + c * (32 + GAP) + 16
        top, bottom = im[12, x], im[24 + GAP + 12, x]
        assert top == pytest.approx(20 + 20 * i, abs=4)
        assert bottom == pytest.approx(255 - (20 + 20 * i), abs=4)
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically


def test_strip_keeps_small_frames_and_cells_default(tmp_path):
    src, out = _clip(tmp_path, 2, size=(640, 480))
    jpg = tmp_path / "strip.jpg"
    assert clip_strip(src, out, "24", jpg) == ["000001.png", "000002.png"]
    with Image.open(jpg) as im:
        assert im.width == LABEL_W + 2 * (STRIP_CELL + GAP)


def test_missing_stylized_frame_is_one_clear_error(tmp_path):
    src, out = _clip(tmp_path, 4)
    (out / "000003.png").unlink()
    with pytest.raises(InputFileError, match="000003.png"):
        clip_strip(src, out, "24", tmp_path / "strip.jpg")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputFileError, match="no frames"):
        clip_strip(empty, out, "24", tmp_path / "strip.jpg")
