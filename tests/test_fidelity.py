"""The fidelity descriptors on patterns whose answer is known, and on the demo's own sketches."""

import math
from pathlib import Path

import pytest
import torch

from sketchbook import fidelity as fd
from sketchbook.images import load_rgb

REPO = Path(__file__).resolve().parents[1]


def grid(size):
    return torch.meshgrid(torch.arange(size[0], dtype=torch.float32), torch.arange(size[1], dtype=torch.float32),
                          indexing="ij")


def lines(angle_deg: float, period: float = 6.0, width: float = 1.5, size=(128, 128), phase: float = 0.0):
    """Dark parallel lines on white paper, running at ``angle_deg``."""
    y, x = grid(size)
    a = math.radians(angle_deg)
    u = -x * math.sin(a) + y * math.cos(a) + phase
    d = (u % period - period / 2).abs()
    return (d > width / 2).float()[None]


def loops(n: int = 400, radius: float = 4.0, size=(128, 128), seed: int = 0):
    """Dark circles (ballpoint loops) scattered on white paper."""
    g = torch.Generator().manual_seed(seed)
    y, x = grid(size)
    img = torch.ones(size)
    for _ in range(n):
        cy, cx = float(torch.rand((), generator=g)) * size[0], float(torch.rand((), generator=g)) * size[1]
        r = radius * (0.7 + 0.6 * float(torch.rand((), generator=g)))
        img[((x - cx) ** 2 + (y - cy) ** 2).sqrt().sub(r).abs() < 0.7] = 0.0
    return img[None]


def features(img):
    _, f = fd.block_features(img)
    return f.mean(1)


def test_parallel_crossing_and_looping_strokes():
    par, cross, loop = features(lines(30)), features(torch.minimum(lines(30), lines(120))), features(loops())
    # the two largest orientation shares at the fine scale: parallel lines fill one or two
    # neighbouring bins; crossing lines two bins apart and a little of the rest; loops all of them
    assert par[0] + par[1] > 0.85 and cross[0] + cross[1] < par[0] + par[1]
    assert loop[0] + loop[1] < 0.45 and loop[0] + loop[1] < cross[0] + cross[1]
    # straight strokes are coherent, loops are not
    assert par[8] > 0.8 and loop[8] < 0.5


def test_the_same_hand_at_another_angle_or_phase_is_close():
    a = fd.describe(lines(45))
    assert fd.distance(fd.describe(lines(135, phase=2.0)), a) < 0.02
    assert fd.distance(fd.describe(loops()), a) > 10 * fd.distance(fd.describe(lines(45, phase=3.0)), a)


def test_black_and_white():
    black, white = torch.zeros(1, 64, 64), torch.ones(1, 64, 64)
    db, dw = fd.describe(black), fd.describe(white)
    assert float(db.tone[0]) == 1.0 and float(dw.tone[-1]) == 1.0
    assert list(db.shares) == [0] and list(dw.shares) == [3]
    assert fd.distance(db, db) == 0.0
    # a blank page is far from a page of hatching in the same tone class
    grey_hatch = lines(0, period=3, width=1)  # mean tone ~0.67: light class
    assert fd.distance(fd.describe(torch.full((1, 64, 64), 0.67)), fd.describe(grey_hatch)) > 0.1


def test_stroke_width_moves_energy_across_scales():
    fine, broad = features(lines(0, period=5, width=1)), features(lines(0, period=20, width=5))
    assert fine[3] / max(float(fine[7]), 1e-6) > broad[3] / max(float(broad[7]), 1e-6)


def test_tones_are_compared_class_by_class():
    # Left half dark hatching, right half paper: the same hand as a page that is all hatching.
    page = lines(45, period=4, width=2)
    half = page.clone()
    half[..., 64:] = 1.0
    d = fd.describe(half)
    assert set(d.shares) >= {3} and len(d.shares) >= 2
    assert fd.distance(fd.describe(page), d) < 0.05


def test_own_other_and_pair_score():
    sketches = fd.SketchDescriptors({"hatch": lines(45, size=(96, 96)), "scribble": loops(size=(96, 96))})
    own = {"hatch": fd.distances_to_sketches([lines(50, size=(96, 160), phase=2)], sketches),
           "scribble": fd.distances_to_sketches([loops(size=(96, 160), seed=3)], sketches)}
    r, nearest = fd.own_other(own["hatch"], "hatch")
    assert nearest == "scribble" and r < 0.6
    assert fd.pair_score(own, "hatch", "scribble") < 0.6
    # A generic filter draws the same picture whichever sketch it learned: exactly 1.0.
    same = fd.distances_to_sketches([lines(0, size=(96, 96))], sketches)
    assert fd.pair_score({"hatch": same, "scribble": same}, "hatch", "scribble") == pytest.approx(1.0)
    assert math.isnan(fd.own_other({"hatch": 0.2}, "hatch")[0])


def test_a_bigger_pen_keeps_the_hand():
    sk = fd.SketchDescriptors({"a": lines(20, period=5, width=1.5, size=(96, 96)),
                               "b": loops(size=(96, 96), radius=3)})
    # the same hatching drawn twice as large in the render
    big = lines(20, period=10, width=3, size=(96, 96))
    d = fd.distances_to_sketches([big], sk)
    assert d["a"] < d["b"]


@pytest.mark.parametrize("sketch", ["hatch", "scribble"])
def test_demo_sketch_halves_are_closer_to_each_other_than_to_the_other_sketch(sketch):
    """The measure tells the demo's two hands apart on the scans themselves."""
    imgs = {s: fd.scale_to(load_rgb(REPO / "demo/sketches" / f"{s}.png"), 384) for s in ("hatch", "scribble")}
    v = imgs[sketch]
    other = fd.describe(imgs["scribble" if sketch == "hatch" else "hatch"])
    h, w = v.shape[-2:]
    halves = [(v[..., : w // 2], v[..., w // 2:]), (v[..., : h // 2, :], v[..., h // 2:, :])]
    ratios = []
    for a, b in halves:
        da, db = fd.describe(a), fd.describe(b)
        within = (fd.distance(da, db) + fd.distance(db, da)) / 2
        across = (fd.distance(da, other) + fd.distance(db, other)) / 2
        ratios.append(within / across)
    # measured: hatch 0.54 (left/right), 0.65 (top/bottom); scribble 0.41, 0.80 (sky against fields)
    assert max(ratios) < 0.85 and sum(ratios) / len(ratios) < 0.7, ratios


def test_edge_correlation():
    img = torch.zeros(1, 90, 160)
    img[:, 20:70, 40:120] = 1.0
    assert fd.edge_correlation(img, img) == pytest.approx(1.0, abs=1e-5)
    # the same structure drawn with strokes over it keeps most of it
    hatched = img * lines(45, size=(90, 160))
    assert fd.edge_correlation(img, hatched) > 0.5
    # noise keeps none of it
    noise = torch.rand(1, 90, 160, generator=torch.Generator().manual_seed(0))
    assert abs(fd.edge_correlation(img, noise)) < 0.3


def hatched_drawing(lum: torch.Tensor, period: float = 4.0) -> torch.Tensor:
    """A pen drawing of a picture's tones: ink where a diagonal hatching's distance from its line
    is under the darkness, a second, crossing hatching over the darkest tones (pure black and
    white, as a fineliner draws)."""
    lum = lum[0] if lum.dim() == 3 else lum
    y, x = grid(tuple(lum.shape))
    t1 = (((x + y) / (period * math.sqrt(2))) % 1.0 - 0.5).abs() * 2
    t2 = (((x - y) / (period * math.sqrt(2))) % 1.0 - 0.5).abs() * 2
    dark = 1 - lum
    ink = (t1 < dark * 1.2) | (t2 < (dark - 0.4).clamp(0, 1) * 2)
    return (~ink).float()[None]


def demo_photo(name: str, short_side: int = 180) -> torch.Tensor:
    """A demo content photo's luminance, (1, H, W), its shorter side ``short_side`` px."""
    from sketchbook.images import luminance

    return fd.scale_to(luminance(load_rgb(REPO / "demo/content" / name)), short_side)


@pytest.mark.parametrize("name", ["astronaut.jpg", "coffee.jpg", "chelsea.jpg"])
def test_structure_counts_the_drawn_picture_not_its_strokes(name):
    """A drawing that reproduces a photo's tones exactly with hatching keeps its structure: the
    structure measure says so, while the edge measure counts every stroke against it."""
    photo = demo_photo(name)
    drawn = hatched_drawing(photo)
    assert fd.structure_correlation(photo, photo) == pytest.approx(1.0, abs=1e-5)
    assert fd.structure_correlation(photo, drawn) > 0.75
    # measured on these photos: 0.1-0.3; the reason for the structure measure
    assert fd.edge_correlation(photo, drawn) < 0.45
    # the same hatching, of another picture or of one even tone, keeps none of this one's
    other = hatched_drawing(demo_photo("rocket.jpg"))
    even = hatched_drawing(torch.full_like(photo, 0.5))
    assert abs(fd.structure_correlation(photo, other)) < 0.3
    assert abs(fd.structure_correlation(photo, even)) < 0.2
    # a drawing that hatches over a part of the picture (its middle third drawn as an even tone)
    # keeps less than the whole drawing
    lost = drawn.clone()
    h, w = photo.shape[-2:]
    lost[:, h // 3: 2 * h // 3, w // 3: 2 * w // 3] = even[:, h // 3: 2 * h // 3, w // 3: 2 * w // 3]
    assert fd.structure_correlation(photo, lost) < fd.structure_correlation(photo, drawn) - 0.05


def test_faces_are_found_and_a_face_hatched_over_is_lost():
    photo = demo_photo("astronaut.jpg")
    faces = fd.find_faces(photo)
    assert len(faces) == 1
    x, y, w, h = faces[0]
    assert 60 < x + w / 2 < 130 and 10 < y + h / 2 < 70 and 20 < w < 80, faces  # her face, upper middle
    assert fd.find_faces(demo_photo("coffee.jpg")) == []
    assert math.isnan(fd.face_correlation(demo_photo("coffee.jpg"), demo_photo("coffee.jpg")))
    assert fd.face_correlation(photo, photo) == pytest.approx(1.0, abs=1e-5)
    # the face kept (the photo's own strokes light there) against the face drawn over with an
    # even cross hatching, the rest of the picture the same
    kept = photo.clone()
    over = photo.clone()
    even = hatched_drawing(torch.full_like(photo, 0.3))
    over[:, y:y + h, x:x + w] = even[:, y:y + h, x:x + w]
    assert fd.face_correlation(photo, kept, faces) > 0.9
    assert fd.face_correlation(photo, over, faces) < 0.3
