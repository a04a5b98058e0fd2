"""The fidelity descriptors on patterns whose answer is known."""

import math

import pytest
import torch

from sketchbook import fidelity as fd


def lines(angle_deg: float, period: float = 8.0, width: float = 1.5, size: int = 128, phase: float = 0.0):
    """Dark parallel lines on white paper, running at ``angle_deg``."""
    y, x = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                          indexing="ij")
    a = math.radians(angle_deg)
    # distance across the lines
    u = -x * math.sin(a) + y * math.cos(a) + phase
    d = (u % period - period / 2).abs()
    return (d > width / 2).float()[None]


def loops(n: int = 60, radius: float = 6.0, size: int = 128, seed: int = 0):
    """Dark circles (ballpoint loops) scattered on white paper."""
    g = torch.Generator().manual_seed(seed)
    y, x = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                          indexing="ij")
    img = torch.ones(size, size)
    for _ in range(n):
        cx, cy = (torch.rand(2, generator=g) * size).tolist()
        r = radius * (0.7 + 0.6 * float(torch.rand((), generator=g)))
        ring = ((x - cx) ** 2 + (y - cy) ** 2).sqrt().sub(r).abs() < 0.8
        img[ring] = 0.0
    return img[None]


def test_orientation_peaks_at_the_lines_angle():
    d0, d90 = fd.describe(lines(0)), fd.describe(lines(90))
    # Horizontal lines vary across y (theta = 90 deg), vertical ones across x (theta = 0).
    assert int(d0.orientation[0].argmax()) == fd.N_ORIENT // 2
    assert int(d90.orientation[0].argmax()) == 0
    assert float(d0.orientation[0].max()) > 0.5


def test_lines_at_one_angle_are_far_from_another_angle():
    a = fd.describe(lines(45))
    same = fd.describe(lines(45, phase=3.0))
    other = fd.describe(lines(135))
    assert fd.distance(a, same) < 0.02
    assert fd.group_distances(a, other)["orientation"] > 0.5
    assert fd.distance(a, other) > 5 * fd.distance(a, same)


def test_loops_are_incoherent_and_spread_over_orientations():
    li, lo = fd.describe(lines(30)), fd.describe(loops())
    assert float(li.coherence.min()) > 0.9
    assert float(lo.coherence[1]) < 0.5
    # loops spread their energy: no orientation holds much more than its share
    assert float(lo.orientation[0].max()) < 2.5 / fd.N_ORIENT
    assert fd.distance(lo, fd.describe(loops(seed=1))) < fd.distance(lo, li)


def test_black_and_white_tone():
    black, white = torch.zeros(1, 64, 64), torch.ones(1, 64, 64)
    db, dw = fd.describe(black), fd.describe(white)
    assert float(db.tone[0]) == 1.0 and float(dw.tone[-1]) == 1.0
    assert float(db.density[0]) == 1.0 and float(dw.density[0]) == 0.0
    g = fd.group_distances(db, dw)
    assert g["tone"] == 1.0 and g["density"] > 0.49
    assert fd.distance(db, db) == 0.0


def test_stroke_width_moves_energy_across_scales():
    fine, broad = fd.describe(lines(0, period=6, width=1)), fd.describe(lines(0, period=24, width=6))
    assert float(fine.scale[0]) > float(broad.scale[0])
    assert float(broad.scale[-1]) > float(fine.scale[-1])


def test_own_other_and_pair_score():
    sketches = fd.SketchDescriptors({"hatch": lines(45), "scribble": loops()})
    own = {"hatch": fd.distances_to_sketches([lines(45, phase=2)], sketches),
           "scribble": fd.distances_to_sketches([loops(seed=3)], sketches)}
    r, nearest = fd.own_other(own["hatch"], "hatch")
    assert nearest == "scribble" and r < 0.3
    assert fd.pair_score(own, "hatch", "scribble") < 0.3
    # A generic filter draws the same picture whichever sketch it learned: exactly 1.0.
    same = fd.distances_to_sketches([lines(0)], sketches)
    assert fd.pair_score({"hatch": same, "scribble": same}, "hatch", "scribble") == pytest.approx(1.0)
    assert math.isnan(fd.own_other({"hatch": 0.2}, "hatch")[0])


def test_sketch_is_described_at_the_renders_scale():
    sk = fd.SketchDescriptors({"a": lines(0, period=16, width=3, size=256)})
    # the same drawing at half size is the sketch at the render's scale
    half = torch.nn.functional.interpolate(lines(0, period=16, width=3, size=256)[None], scale_factor=0.5,
                                           mode="bilinear", antialias=True)[0]
    assert fd.distances_to_sketches([half], sk)["a"] < 0.03


def test_edge_correlation():
    img = torch.zeros(1, 90, 160)
    img[:, 20:70, 40:120] = 1.0
    assert fd.edge_correlation(img, img) == pytest.approx(1.0, abs=1e-5)
    # the same structure drawn with strokes over it keeps most of it
    hatched = img * lines(45, size=160)[:, :90]
    assert fd.edge_correlation(img, hatched) > 0.5
    # noise keeps none of it
    noise = torch.rand(1, 90, 160, generator=torch.Generator().manual_seed(0))
    assert abs(fd.edge_correlation(img, noise)) < 0.3
