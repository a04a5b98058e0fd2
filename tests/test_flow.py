"""sketchbook.flow: DIS flow, warping and the occlusion mask on motion whose answer is known."""

import numpy as np
import pytest

from sketchbook import flow


def _texture(h=96, w=128, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.random((h // 4, w // 4)).astype(np.float32)
    return np.kron(a, np.ones((4, 4), np.float32))  # blocky: DIS has texture to lock on


def test_shift_is_recovered_and_warps_back():
    a = _texture()
    b = np.roll(a, 3, axis=1)  # b(x) = a(x - 3): pulling b onto a samples at x + 3
    f, valid = flow.flow_and_mask(a, b)
    core = valid[8:-8, 8:-8]
    assert core.mean() > 0.9
    assert abs(np.median(f[..., 0][valid]) - 3.0) < 0.25
    assert abs(np.median(f[..., 1][valid])) < 0.25
    err = np.abs(flow.warp(b, f) - a)[valid]
    assert err.mean() < 0.02


def _smooth(h, w, seed):
    import cv2

    r = np.random.default_rng(seed).random((h, w)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(r, (0, 0), 2) * 3 - 1, 0, 1)


def test_occluded_background_is_masked():
    bg, obj = _smooth(96, 128, 1), _smooth(32, 32, 3)
    a, b = bg.copy(), bg.copy()
    a[28:60, 20:52] = obj   # a textured square moves 6 px right over a still background
    b[28:60, 26:58] = obj
    f, valid = flow.flow_and_mask(a, b)
    # a's background at x 52..58 is covered by the square in b: nothing there to pull from
    assert valid[32:56, 52:58].mean() < 0.4
    assert valid[32:56, 26:46].mean() > 0.95        # the square itself is found, and moved
    assert abs(np.median(f[32:56, 26:46, 0]) - 6.0) < 0.3
    assert valid[70:90, 80:120].mean() > 0.95       # still background far away
    assert np.abs(flow.warp(b, f) - a)[valid].mean() < 0.01


def test_warp_identity_and_channels():
    img = np.random.default_rng(2).random((20, 30, 3)).astype(np.float32)
    np.testing.assert_allclose(flow.warp(img, np.zeros((20, 30, 2), np.float32)), img, atol=1e-6)
    g = flow.gray_u8(img)
    assert g.dtype == np.uint8 and g.shape == (20, 30)
    with pytest.raises(ValueError):
        flow.FlowEstimator("slow")
