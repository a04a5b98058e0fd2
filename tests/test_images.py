"""load_rgb: every kind of scan a user brings loads as a viewer shows it (issue 11, items 2 and 3)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from sketchbook.errors import InputFileError
from sketchbook.images import load_rgb

from helpers import ffmpeg

H, W = 24, 40


def gradient16() -> np.ndarray:
    """A 16-bit grey ramp from black to white whose tones differ in the low byte too."""
    return np.linspace(0, 65535, H * W).round().astype(np.uint16).reshape(H, W)


def old_load(path) -> torch.Tensor:
    """What load_rgb did before: convert("RGB"), /255."""
    with Image.open(path) as im:
        a = np.asarray(im.convert("RGB"))
    return torch.from_numpy(a.copy()).permute(2, 0, 1).float() / 255


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16bit_grey_keeps_its_tones(tmp_path, suffix):
    g = gradient16()
    path = tmp_path / f"g16{suffix}"
    Image.fromarray(g).save(path)
    with Image.open(path) as im:
        assert im.mode.startswith("I;16")  # the case that loaded blank white
    t = load_rgb(path)
    assert t.shape == (3, H, W)
    assert torch.equal(t[0], t[1]) and torch.equal(t[1], t[2])
    expected = torch.from_numpy(g.astype(np.float32) / 65535)
    assert torch.allclose(t[0], expected, atol=1e-6)
    assert t.min() == 0 and t.max() == 1 and 0.45 < t.mean() < 0.55  # a ramp, not white paper


def test_16bit_big_endian_and_32bit_int_grey(tmp_path):
    g = gradient16()
    Image.fromarray(g.astype(np.int32), mode="I").save(tmp_path / "i32.tif")
    t = load_rgb(tmp_path / "i32.tif")
    assert torch.allclose(t[0], torch.from_numpy(g.astype(np.float32) / 65535), atol=1e-6)


def test_float_tiff(tmp_path):
    f = np.linspace(0, 1, H * W, dtype=np.float32).reshape(H, W)
    Image.fromarray(f, mode="F").save(tmp_path / "f.tif")
    t = load_rgb(tmp_path / "f.tif")
    assert torch.allclose(t[2], torch.from_numpy(f), atol=1e-6)


@pytest.mark.parametrize("pix_fmt, suffix", [("rgb48be", ".png"), ("rgba64be", ".png"), ("rgb48le", ".tif")])
def test_16bit_colour_keeps_its_tones(tmp_path, pix_fmt, suffix):
    """Pillow reduces 16-bit RGB(A) to 8 bit: the tones must be the top byte, not clipped."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 65536, (H, W, 3), dtype=np.uint16)
    raw = rgb if pix_fmt.startswith("rgb48") else np.dstack([rgb, np.full((H, W), 65535, np.uint16)])
    (tmp_path / "in.raw").write_bytes(raw.astype("<u2").tobytes())
    path = tmp_path / f"c16{suffix}"
    in_fmt = "rgb48le" if pix_fmt.startswith("rgb48") else "rgba64le"
    ffmpeg("-f", "rawvideo", "-pix_fmt", in_fmt, "-s", f"{W}x{H}", "-i", str(tmp_path / "in.raw"),
           "-frames:v", "1", "-pix_fmt", pix_fmt, str(path))
    t = load_rgb(path)
    expected = torch.from_numpy(rgb.astype(np.float32) / 65535).permute(2, 0, 1)
    assert (t - expected).abs().max() < 1.5 / 255


def test_transparent_paper_is_white(tmp_path):
    """Ink strokes on transparent paper stored as (0, 0, 0, 0): the paper must not load black."""
    a = np.zeros((H, W, 4), np.uint8)
    a[5:8, :, 3] = 255                    # opaque black stroke
    a[12, :, :3] = 200  # half-transparent grey line
    a[12, :, 3] = 128
    Image.fromarray(a, "RGBA").save(tmp_path / "rgba.png")
    t = load_rgb(tmp_path / "rgba.png")
    assert (t[:, 0] == 1).all() and (t[:, 20] == 1).all()      # paper
    assert (t[:, 5:8] == 0).all()                             # ink
    assert torch.allclose(t[:, 12], torch.full_like(t[:, 12], (200 * 128 + 255 * 127) / 255 / 255), atol=1 / 255)


def test_grey_with_alpha_and_palette_with_transparency(tmp_path):
    la = np.zeros((H, W, 2), np.uint8)
    la[5:8, :, 1] = 255
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    pal = Image.new("P", (W, H), 0)
    pal.putpalette([0, 0, 0, 10, 10, 10] + [0] * 762)
    pal.paste(1, (0, 5, W, 8))
    pal.save(tmp_path / "p.png", transparency=0)       # index 0 (black) is transparent
    pal.save(tmp_path / "p.gif", transparency=0)
    for name in ["la.png", "p.png", "p.gif"]:
        t = load_rgb(tmp_path / name)
        assert (t[:, 0] == 1).all(), name           # transparent -> paper
        assert (t[:, 5:8] < 0.05).all(), name        # the strokes stay dark


def test_opaque_and_8bit_images_load_exactly_as_before(tmp_path):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(rgb[..., 0]).save(tmp_path / "l.png")
    Image.fromarray(rgb).save(tmp_path / "rgb.jpg", quality=90)
    Image.fromarray(np.dstack([rgb, np.full((H, W), 255, np.uint8)]), "RGBA").save(tmp_path / "opaque.png")
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "pal.png")
    for name in ["rgb.png", "l.png", "rgb.jpg", "opaque.png", "pal.png"]:
        assert torch.equal(load_rgb(tmp_path / name), old_load(tmp_path / name)), name


def test_cmyk_jpeg(tmp_path):
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[:, : W // 2] = (250, 250, 250)
    rgb[:, W // 2:] = (20, 40, 200)
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    with Image.open(tmp_path / "cmyk.jpg") as im:
        assert im.mode == "CMYK"
    t = load_rgb(tmp_path / "cmyk.jpg")
    assert (t - torch.from_numpy(rgb).permute(2, 0, 1) / 255).abs().mean() < 0.05


def test_exif_orientation_is_applied(tmp_path):
    """A phone photo of a sketch stored landscape with 'rotate 90' loads portrait, as viewers show it."""
    a = np.full((H, W, 3), 255, np.uint8)
    a[:, :4] = 0  # a black band on the stored image's left edge
    im = Image.fromarray(a)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 CW to display
    im.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    t = load_rgb(tmp_path / "phone.jpg")
    assert t.shape == (3, W, H)
    assert t[:, :4].mean() < 0.1 and t[:, -4:].mean() > 0.9  # the left band is now at the top


def test_bad_files_name_the_file(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (200, 200), dtype=np.uint8)).save(good)
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:20000])
    (tmp_path / "text.png").write_text("a sketch, honestly")
    (tmp_path / "empty.png").write_bytes(b"")
    for name in ["cut.png", "text.png", "empty.png", "missing.png"]:
        with pytest.raises(InputFileError, match=rf"sketch .*{name}: "):
            load_rgb(tmp_path / name, "sketch")
