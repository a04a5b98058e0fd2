"""Frame pairs of the content clips for the temporal term (sketchbook.pairs) and training on them."""

from __future__ import annotations

import csv
import subprocess

import numpy as np
import pytest
import torch

from sketchbook import config as sbconfig
from sketchbook.flow import warp as np_warp
from sketchbook.pairs import load_pair, pair_arrays, pair_files, write_pairs
from sketchbook.settings import TrainSettings
from sketchbook.temporal import inside, random_motion, warp
from sketchbook.train import ClipPairSampler, CropSampler, clip_pair_step, crop_pair, train
from sketchbook.video import sample_frames

from helpers import tiny_config
from test_train import TINY, Interrupt, tiny_lossnet

#: The synthetic clip's motion: the picture moves this many px right and down each frame.
DX, DY = 2, 1


def texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth random colour texture, uint8 (h, w, 3): blobs of a few px that flow can follow."""
    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 255, (h // 4 + 2, w // 4 + 2, 3)).astype(np.float32)
    big = torch.nn.functional.interpolate(torch.from_numpy(small).permute(2, 0, 1)[None], scale_factor=4,
                                          mode="bicubic", align_corners=False)[0].permute(1, 2, 0).numpy()
    return np.clip(big[:h, :w], 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def moving_clip(tmp_path_factory):
    """An 8-frame 12 fps lossless clip (96x64) of a texture moving (DX, DY) px a frame."""
    scene = texture(64 + 8 * DY + 4, 96 + 8 * DX + 4)
    frames = [scene[8 * DY - i * DY: 8 * DY - i * DY + 64, 8 * DX - i * DX: 8 * DX - i * DX + 96] for i in range(8)]
    path = tmp_path_factory.mktemp("clip") / "moving.mkv"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", "96x64", "-r", "12", "-i", "pipe:", "-c:v", "ffv1", "-pix_fmt", "rgb24", str(path)],
                   input=b"".join(f.tobytes() for f in frames), check=True)
    return path, frames


def test_stored_flow_pulls_the_first_frame_onto_the_second(moving_clip, tmp_path):
    clip, frames = moving_clip
    files = write_pairs(clip, tmp_path / "pairs", n_train=3, n_held=1, short_side=64)
    assert [p.name for p in files] == ["pair_001.npz", "pair_002.npz", "pair_003.npz"]
    assert pair_files([tmp_path / "pairs"]) == files
    # The training frames' times of sample_frames (the held-out one left out), its size.
    sampled = sample_frames(clip, tmp_path / "content", 3, 1, 64)
    train_jpgs = [p for p in sampled if p.name.startswith("train_")]
    assert len(train_jpgs) == len(files)
    for f in files:
        p = load_pair(f)
        with np.load(f) as z:
            assert int(z["gap"]) == 1 and 0 <= float(z["t"]) < 8 / 12
        a, b, flow, mask = p["a"], p["b"], p["flow"], p["mask"]
        assert a.shape == b.shape == (64, 96, 3) and a.dtype == np.uint8
        assert flow.shape == (64, 96, 2) and flow.dtype == np.float32 and mask.dtype == bool
        # Consecutive frames of the clip: b is a moved (DX, DY) px, so b(x) = a(x - (DX, DY)).
        assert any(np.array_equal(a, fr) for fr in frames)
        i = next(i for i, fr in enumerate(frames) if np.array_equal(a, fr))
        assert np.array_equal(b, frames[i + 1])
        assert 0.6 < mask.mean() < 1.0  # the border brought in is masked out
        med = np.median(flow[mask], axis=0)
        assert med == pytest.approx([-DX, -DY], abs=0.15)
        fa, fb = a.astype(np.float32) / 255, b.astype(np.float32) / 255
        err = np.abs(np_warp(fa, flow) - fb).mean(-1)[mask].mean()
        assert err < 0.02 and err < 0.25 * np.abs(fa - fb).mean()


def test_crop_resize_and_flip_keep_frames_and_flow_consistent():
    """warp(a', flow') ~ b' for the same window of both frames, scaled up or down, mirrored or not."""
    a = torch.from_numpy(texture(72, 90, seed=3)).permute(2, 0, 1).float() / 255
    flow, _ = random_motion(1, 90, torch.Generator().manual_seed(4), max_shift=4.0, max_zoom=0.03,
                            max_rotation_deg=2.0)
    flow = flow[:, :72]  # a non-uniform field (zoom and rotation) on a 72x90 grid
    b = warp(a[None], flow)[0]

    pair = {"a": (a * 255).round().to(torch.uint8), "b": (b * 255).round().to(torch.uint8),
            "flow": flow[0].permute(2, 0, 1).contiguous(), "mask": inside(flow)[0][None].float()}
    for top, left, crop, size, flip in [(0, 0, 72, 72, False), (5, 10, 60, 32, False), (5, 10, 60, 32, True),
                                        (20, 30, 30, 48, True), (2, 1, 64, 64, True)]:
        a2, b2, f2, m2 = crop_pair(pair, top, left, crop, size, flip)
        assert a2.shape == b2.shape == (3, size, size) and f2.shape == (size, size, 2) and m2.shape == (size, size)
        assert m2.float().mean() > 0.5
        err = (warp(a2[None], f2[None])[0] - b2).abs().mean(0)[m2].mean()
        moved = (a2 - b2).abs().mean(0)[m2].mean()
        # (Scaled down 1.9x, the texture's blobs are near the pixel size: bilinear resampling
        # costs about 0.016 there; 0.001 without a resize.)
        assert err < 0.03 and err < 0.3 * moved, (top, left, crop, size, flip)
        # A mirrored crop negates dx, and the vectors scale with the resize: without, it fails.
        wrong = f2.clone()
        wrong[..., 0] = -wrong[..., 0]
        assert (warp(a2[None], wrong[None])[0] - b2).abs().mean(0)[m2].mean() > 2 * err
        if crop != size:
            unscaled = f2 * (crop / size)
            assert (warp(a2[None], unscaled[None])[0] - b2).abs().mean(0)[m2].mean() > 1.5 * err
        # The mask holds only pixels whose source lies inside the window.
        assert not (m2 & ~inside(f2[None])[0]).any()


def _pairs(n: int = 3, seed: int = 0) -> list[dict]:
    """Frame pairs of a texture moving 2 px right, as sketchbook.pairs stores them (flow by DIS)."""
    out = []
    for i in range(n):
        scene = texture(48, 70, seed=seed + i)
        a, b = scene[:, 2:66], scene[:, :64]
        out.append(pair_arrays(a, b))
    return out


def test_clip_pair_sampler_batches_are_seeded_and_keep_the_batch_size():
    pairs = _pairs()
    photo = torch.rand(3, 40, 50)
    photos = CropSampler([photo], 16, seed=1)
    s1 = ClipPairSampler(pairs, 16, photos.gen)
    x, k, flow, mask = s1.batch(photos.sample, 4)
    # 2 first frames and 2 photo crops (the batch), then the 2 second frames on top
    assert x.shape == (6, 3, 16, 16) and k == 2 and flow.shape == (2, 16, 16, 2) and mask.shape == (2, 16, 16)
    assert float((warp(x[:k], flow) - x[-k:]).abs().mean(1)[mask].mean()) < 0.03
    x3, k3, _, _ = s1.batch(photos.sample, 3)  # odd: 1 first frame, 2 photo crops, 1 second frame
    assert x3.shape[0] == 4 and k3 == 1
    again = CropSampler([photo], 16, seed=1)
    assert torch.equal(ClipPairSampler(pairs, 16, again.gen).batch(again.sample, 4)[0], x)
    with pytest.raises(ValueError):
        s1.batch(photos.sample, 1)
    assert [clip_pair_step(i) for i in range(1, 6)] == [True, False, True, False, True]


def _train(assets, tmp_path, name, s, lossnet, **kw):
    content = sorted((assets / "content").iterdir())
    return train(s, assets / "lines.png", content, lossnet, tmp_path / f"{name}.pt", tmp_path / f"{name}.csv",
                 torch.device("cpu"), "fp32", progress=kw.pop("progress", lambda m: None), **kw)


def test_training_with_clip_pairs(assets, tmp_path, monkeypatch):
    folder = tmp_path / "pairs"
    folder.mkdir()
    for i, p in enumerate(_pairs(2), 1):
        np.savez_compressed(folder / f"pair_{i:03d}.npz", **p)
    files = pair_files([folder])
    batches = []
    real_batch = ClipPairSampler.batch

    def batch(self, sample, batch_size):  # which steps take clip pairs, and what they hold
        batches.append(real_batch(self, sample, batch_size))
        return batches[-1]

    monkeypatch.setattr(ClipPairSampler, "batch", batch)
    net = tiny_lossnet()  # made once: a random VGG16 takes seconds
    s = TrainSettings(iterations=3, temporal_weight=10.0, **TINY)
    _train(assets, tmp_path, "clips", s, net, pairs=files)
    rows = list(csv.DictReader(open(tmp_path / "clips.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2, 3] and all(float(r["temporal"]) > 0 for r in rows)
    assert len(batches) == 2  # steps 1 and 3; step 2 took known-flow pairs of the photos
    for x, k, flow, mask in batches:
        # the first frame and a photo crop (the batch of 2), then the second frame on top
        assert x.shape == (3, 3, 32, 32) and k == 1 and mask.float().mean() > 0.5

    # Interrupted after step 2 and resumed: the same model (the pairs share the sampler's
    # random stream, which the checkpoint holds).
    def stop_at_3(msg):
        if msg.startswith("step 3/"):
            raise Interrupt
    ckpt = tmp_path / "m.ckpt"
    with pytest.raises(Interrupt):
        _train(assets, tmp_path, "m", s, net, pairs=files, progress=stop_at_3, log_every=1, checkpoint=ckpt,
               checkpoint_every=2)
    res = _train(assets, tmp_path, "m", s, net, pairs=files, checkpoint=ckpt, checkpoint_every=2)
    assert res.resumed_from == 2
    w_ref = torch.load(tmp_path / "clips.pt", weights_only=True)["state_dict"]
    w = torch.load(tmp_path / "m.pt", weights_only=True)["state_dict"]
    assert all(torch.allclose(w_ref[k], w[k], atol=1e-6) for k in w_ref)

    # Without a temporal term the pairs are not read: the same model as without them.
    batches.clear()
    s0 = TrainSettings(iterations=1, **TINY)
    _train(assets, tmp_path, "off", s0, net, pairs=files)
    _train(assets, tmp_path, "off_none", s0, net)
    assert not batches
    w = torch.load(tmp_path / "off.pt", weights_only=True)["state_dict"]
    w0 = torch.load(tmp_path / "off_none.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(w[k], w0[k]) for k in w)


def test_only_variants_with_a_temporal_term_take_pairs(assets):
    cfg = sbconfig.validate(tiny_config(assets))
    assert sbconfig.pair_dirs(cfg, "weird") == ["results/pairs/quiet"]
    assert sbconfig.pair_dirs(cfg, "good") == []  # temporal_weight 0: its job's inputs as before
    cfg["content"]["clips"] = []
    assert sbconfig.pair_dirs(cfg, "weird") == []
