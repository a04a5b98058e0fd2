"""Speed and memory of the render step, side by side in one run (``make bench``).

Rows (each measured in its own fresh process, for its own peak RSS; rounds interleave the rows so
that a busy machine slows all of them alike, and the spread between rounds is printed as noise):

- baseline: pytorch/examples fast_neural_style's eval, in a loop: per frame, load the model, read
  the image with PIL, run fp32 batch 1, save a PNG with PIL;
- ours: ``sketchbook.stylize.stylize_frames`` called exactly as ``scripts/stylize_frames.py``
  calls it (read frames, stylize, write frames), in each precision the device supports, plus the
  model's own forward (``fast=False``) to show what the fused inference adds;
- the limit: the network's own convolutions alone (oneDNN / cuDNN, same shapes, best layout), in
  fp32 and bf16: this machine's measured peak for this network, and its FLOPs per frame
  (counted with ``torch.utils.flop_counter``).
- onnxruntime (on the CPU): the model's ONNX file (``sketchbook.export``) in fp32, and an int8
  QDQ copy (convolutions int8, weights per channel, activations calibrated on the demo's content
  photos, the model's training content), run inside ``stylize_frames`` in place of the network
  (the same reading, finishing and writing of frames), one frame at a time.

Every row but ours fp32 is compared with ours fp32's frames: PSNR, SSIM and the largest pixel
difference (0-255).

Then: a 3840x2160 frame (peak RSS, bands vs whole-frame difference), a training step
(256x256, batch 4), ``snakemake -n`` on 100 clips of 10 minutes, and a demo run's time split by
rule (from Snakemake's records). Everything goes to ``results/bench.json``.

    python benchmarks/bench.py            # the full run (a few minutes on 2 cores)
    python benchmarks/bench.py --quick    # fewer, smaller frames; a smoke test (a few minutes)

``--quick`` leaves out the rows in a precision the device only emulates (bf16 on a CPU without
AVX-512 BF16 or AMX: there they would take most of the run), and says so; a full run keeps them.
``main`` runs one function per section, each adding its rows and notes to a :class:`Bench`.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sketchbook.allocator import MALLOC_ENV  # the allocator settings every run gets

REPO = Path(__file__).resolve().parents[1]


# --- frames, models --------------------------------------------------------------------------------

def make_frames(folder: Path, n: int, w: int, h: int) -> list[str]:
    """``n`` PNG frames of ``w``x``h``: a slow pan across the demo's photos (real detail)."""
    import torch
    from torch.nn import functional as F

    from sketchbook.content import list_images
    from sketchbook.images import load_rgb, write_frame

    folder.mkdir(parents=True, exist_ok=True)
    photos = list_images(REPO / "demo/content")
    names = []
    for i in range(n):
        photo = load_rgb(photos[(i * len(photos)) // max(1, n)])
        ph, pw = photo.shape[-2:]
        s = max(w / pw, h / ph) * 1.25  # cover the frame with room to pan
        big = F.interpolate(photo[None], size=(math.ceil(ph * s), math.ceil(pw * s)), mode="bilinear",
                            antialias=True, align_corners=False)[0]
        t = (i % 16) / 16
        top, left = int((big.shape[-2] - h) * t), int((big.shape[-1] - w) * (1 - t))
        img = big[:, top:top + h, left:left + w].clamp(0, 1).mul(255).round().to(torch.uint8)
        name = f"{i + 1:06d}.png"
        write_frame(img, folder / name)
        names.append(name)
    return names


def int8_model(model: Path, work: Path) -> Path:
    """A copy of ``model`` with its int8 calibration beside it (sketchbook.int8, on the demo's
    content photos, checked on the held-out one), as the workflow's rule calibrate_int8 makes it."""
    import shutil

    from sketchbook.content import list_images, split_held_out
    from sketchbook.int8 import calibrate_model
    from sketchbook.modelfile import calibration_path

    out = work / "int8" / "model.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, out)
    train, held = split_held_out(list_images(REPO / "demo/content"), 1)
    blob = calibrate_model(out, train, held, calibration_path(out))
    print(f"int8: calibrated on {len(train)} photo(s): {blob['psnr_vs_fp32_db']:.1f} dB PSNR against fp32 on "
          f"the held-out one; in bf16: {', '.join(blob['bf16_layers']) or 'no layer'}")
    return out


def find_model(arg: str | None, work: Path) -> tuple[Path, str]:
    """A trained model (``--model``, the demo's, or a seeded untrained one of the same size)."""
    if arg:
        return Path(arg), arg
    found = sorted((REPO / "results/models").glob("*/*.pt"))
    if found:
        return found[0], str(found[0])
    import torch

    from sketchbook.network import TransformerNet
    from sketchbook.modelfile import save_model

    torch.manual_seed(0)
    path = work / "untrained.pt"
    save_model(TransformerNet(), path)
    return path, "untrained TransformerNet(32, 5), seed 0 (run make demo for a trained one)"


# --- workers (each in a fresh process) -----------------------------------------------------------

def _rss_mb() -> float:
    """This process's peak RSS. Not getrusage's ru_maxrss: on Linux that survives exec, so a
    worker would report its parent's peak."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_baseline(a: dict) -> dict:
    """fast_neural_style's eval (neural_style.py ``stylize``), one frame per iteration."""
    import torch
    from PIL import Image
    from torchvision import transforms

    from sketchbook.modelfile import named_state_dict
    from sketchbook.network import TransformerNet

    device = torch.device(a["device"])
    frames, out = Path(a["frames"]), Path(a["out"])
    out.mkdir(parents=True, exist_ok=True)
    t0, c0 = time.perf_counter(), time.process_time()
    for name in a["files"]:
        content_image = Image.open(frames / name).convert("RGB")
        content_image = transforms.ToTensor()(content_image).unsqueeze(0).to(device)
        with torch.no_grad():
            style_model = TransformerNet()
            state_dict = named_state_dict(torch.load(a["model"], weights_only=True)["state_dict"])
            style_model.load_state_dict(state_dict)
            style_model.to(device)
            style_model.eval()
            output = style_model(content_image).cpu()
        img = output[0].clamp(0, 1).mul(255).permute(1, 2, 0).numpy().astype("uint8")
        Image.fromarray(img).save(out / name)
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "frames": len(a["files"]), "peak_rss_mb": _rss_mb()}


def worker_ours(a: dict) -> dict:
    """The stylize step as scripts/stylize_frames.py runs it."""
    import pandas as pd
    import torch

    import torchvision.io  # noqa: F401  (imported once per job by read_frame; not a per-frame cost)

    from sketchbook.stylize import stylize_frames

    device = torch.device(a["device"])
    plan = pd.DataFrame({"frame": range(1, len(a["files"]) + 1), "file": a["files"],
                         "sketch": "s", "variant": "v"})
    kw = {"fast": a.get("fast", True)}
    if a.get("band_mb"):
        kw["band_mb"] = a["band_mb"]
    t0, c0 = time.perf_counter(), time.process_time()
    n = stylize_frames(plan, a["frames"], a["out"], {"v": a["model"]}, device, a["precision"],
                       "gray", True, progress_file=open(os.devnull, "w"), **kw)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0, "frames": n,
            "peak_rss_mb": _rss_mb()}


class OrtNet:
    """An ONNX file under onnxruntime, called like the network (float (N, 3, H, W) in [0, 1] in
    and out, one frame at a time), with the model's levels from its metadata."""

    def __init__(self, path: str, threads: int) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
        self.session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        self.levels = tuple(json.loads(meta["sketchbook.levels"]))

    def __call__(self, x):
        import torch

        return torch.cat([torch.from_numpy(self.session.run(None, {"image": x[i:i + 1].numpy()})[0])
                          for i in range(x.shape[0])])


def worker_ort(a: dict) -> dict:
    """worker_ours with the network replaced by an ONNX file under onnxruntime: stylize_frames
    reads, finishes (grayscale, levels) and writes the frames exactly as for ours."""
    from sketchbook import stylize

    from sketchbook.modelfile import StyleModel

    def load_ort(path, device="cpu"):
        net = OrtNet(a["onnx"], a["threads"])
        return StyleModel(net, ink_paper=net.levels)

    stylize.load_model = load_ort
    return worker_ours({**a, "device": "cpu", "precision": "fp32"})


def _network_convs(h: int, w: int, width: int = 32, n_residual: int = 5) -> list[tuple]:
    """(cin, cout, kernel, stride, input h, input w) of every convolution of the network."""
    w1, w2, w3 = width, 2 * width, 4 * width
    h4, w4 = h + (-h) % 4, w + (-w) % 4
    return ([(3, w1, 9, 1, h4, w4), (w1, w2, 3, 2, h4, w4), (w2, w3, 3, 2, h4 // 2, w4 // 2)]
            + [(w3, w3, 3, 1, h4 // 4, w4 // 4)] * (2 * n_residual)
            + [(w3, w2, 3, 1, h4 // 2, w4 // 2), (w2, w1, 3, 1, h4, w4), (w1, 3, 9, 1, h4, w4)])


def worker_peak(a: dict) -> dict:
    """The network's convolutions alone, on pre-padded inputs: best of NCHW / channels-last."""
    import torch
    from torch.nn import functional as F

    device = torch.device(a["device"])
    convs = _network_convs(a["h"], a["w"])
    flops = sum(2 * ci * co * k * k * ((hh + 2 * (k // 2) - k) // s + 1) * ((ww + 2 * (k // 2) - k) // s + 1)
                for ci, co, k, s, hh, ww in convs)
    if a["precision"] == "int8":
        return _peak_int8(convs, flops, a.get("repeats", 5))
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[a["precision"]]
    best = {}
    for layout in (torch.contiguous_format, torch.channels_last):
        ins = []
        for ci, co, k, s, hh, ww in convs:
            p = k // 2
            x = torch.randn(1, ci, hh + 2 * p, ww + 2 * p, device=device, dtype=dtype).contiguous(memory_format=layout)
            wt = (torch.randn(co, ci, k, k, device=device, dtype=dtype) * 0.01).contiguous(memory_format=layout)
            ins.append((x, wt, torch.zeros(co, device=device, dtype=dtype), s))

        def run() -> None:
            for x, wt, b, s in ins:
                F.conv2d(x, wt, b, s)
            if device.type == "cuda":
                torch.cuda.synchronize()

        with torch.inference_mode():
            run()
            times = []
            for _ in range(a.get("repeats", 5)):
                t, c = time.perf_counter(), time.process_time()
                run()
                times.append((time.perf_counter() - t, time.process_time() - c))
        times.sort()
        best[str(layout)] = times[len(times) // 2]
    layout, (sec, cpu) = min(best.items(), key=lambda kv: kv[1][0])
    return {"seconds": sec, "cpu_seconds": cpu, "frames": 1, "peak_rss_mb": _rss_mb(), "conv_flops": flops,
            "layout": layout.replace("torch.", ""), "by_layout": {k: v[0] for k, v in best.items()}}


def _peak_int8(convs: list[tuple], flops: float, repeats: int) -> dict:
    """The network's convolutions in oneDNN's int8 kernels (uint8 channels-last input, int8
    weights per output channel, fp32 output), as sketchbook.int8 calls them."""
    import torch

    ops = torch.ops.onednn
    ins = []
    for ci, co, k, s, hh, ww in convs:
        p = k // 2
        x = torch.randint(0, 256, (1, ci, hh + 2 * p, ww + 2 * p), dtype=torch.uint8)
        x = x.contiguous(memory_format=torch.channels_last)
        wt = torch.randint(-127, 128, (co, ci, k, k), dtype=torch.int8)
        ws = torch.full((co,), 1e-3)
        packed = ops.qconv_prepack(wt, ws, 1.0, 0, [s, s], [0, 0], [1, 1], 1, None)
        ins.append((x, packed, ws, torch.zeros(co, dtype=torch.int32), torch.zeros(co), s))

    def run() -> None:
        for x, packed, ws, zp, b, s in ins:
            ops.qconv2d_pointwise(x, 1.0, 0, packed, ws, zp, b, [s, s], [0, 0], [1, 1], 1, 1.0, 0,
                                  torch.float32, "none", [], "")

    with torch.inference_mode():
        run()
        times = []
        for _ in range(repeats):
            t, c = time.perf_counter(), time.process_time()
            run()
            times.append((time.perf_counter() - t, time.process_time() - c))
    times.sort()
    sec, cpu = times[len(times) // 2]
    return {"seconds": sec, "cpu_seconds": cpu, "frames": 1, "peak_rss_mb": _rss_mb(), "conv_flops": flops,
            "layout": "channels_last", "by_layout": {"torch.channels_last": sec}}


def worker_bands(a: dict) -> dict:
    """One big frame through the fused network in bands and as a whole: the largest difference."""
    import torch

    from sketchbook.images import read_frame, to_gray, to_uint8, write_frame
    from sketchbook.network import FastTransformerNet
    from sketchbook.modelfile import load_model

    dtype = torch.bfloat16 if a["precision"] == "bf16" else torch.float32
    net = load_model(a["model"]).net
    x = read_frame(Path(a["frames"]) / a["files"][0])[None].float().div_(255)
    outs = {}
    for name, band_mb in (("bands", a["band_mb"]), ("whole", 1e9)):
        y = FastTransformerNet(net, dtype, channels_last=True, band_mb=band_mb)(x)
        outs[name] = to_uint8(to_gray(y))[0]
        del y
    diff = (outs["bands"].int() - outs["whole"].int()).abs()
    # A crop across a band edge of the full-resolution convolutions (the one nearest the middle),
    # to look at.
    fast = FastTransformerNet(net, dtype, channels_last=True, band_mb=a["band_mb"])
    h = x.shape[-2]
    edge = min((r1 for _, r1 in fast._bands(1, 32, h, x.shape[-1], True)[:-1]), key=lambda r: abs(r - h // 2),
               default=h // 2)
    top = max(0, edge - 192)
    crop = outs["bands"][:1, top:top + 384, :683]
    write_frame(crop.contiguous(), Path(a["out"]))
    return {"max_abs_diff": int(diff.max()), "mean_abs_diff": float(diff.float().mean()),
            "band_rows_full_res": edge, "crop_rows": [top, top + 384], "peak_rss_mb": _rss_mb()}


def worker_train(a: dict) -> dict:
    """Training steps at 256x256, batch 4, as sketchbook.train runs them."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from sketchbook.content import list_images
    from sketchbook.images import load_rgb
    from sketchbook.lossnet import LossNetwork, load_loss_network, random_weights, vgg16_features
    from sketchbook.network import TransformerNet
    from sketchbook.precision import autocast, resolve_precision
    from sketchbook.settings import TrainSettings
    from sketchbook.train import CropSampler, StyleLoss

    device = torch.device(a["device"])
    precision = resolve_precision(a["precision"], device)
    if a.get("full_content_pass"):
        # The baseline: the content photo through every VGG16 layer, as before `upto`.
        forward = LossNetwork.forward
        LossNetwork.forward = lambda self, x, upto=None: forward(self, x)
    weights = REPO / "resources/loss_network/vgg16.pt"
    if weights.is_file():
        lossnet, _ = load_loss_network(weights, weights.with_suffix(".json"), device)
    else:  # speed does not depend on the weights
        feats = vgg16_features()
        feats.load_state_dict(random_weights(0)[0])
        lossnet = LossNetwork(feats, "random").to(device)
    s = TrainSettings(image_size=256, batch_size=4, precision=precision)
    style = load_rgb(REPO / "demo/sketches/hatch.png")[:, :256, :256].to(device)
    sampler = CropSampler([load_rgb(p) for p in list_images(REPO / "demo/content")], 256, 0)
    model = TransformerNet().to(device).train()
    loss_fn = StyleLoss(lossnet, style, s)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(x: torch.Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        with autocast(precision, device):
            y = model(x)
        total, _ = loss_fn(y.float(), x, precision)
        total.backward()
        opt.step()

    x = sampler.sample(4).to(device)
    with FlopCounterMode(display=False) as fc:
        step(x)
    flops = fc.get_total_flops()
    times = []
    for _ in range(a.get("steps", 4)):
        x = sampler.sample(4).to(device)
        t = time.perf_counter()
        step(x)
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    times.sort()
    return {"seconds": times[len(times) // 2], "frames": 1, "flops": flops, "precision": precision,
            "peak_rss_mb": _rss_mb()}


def worker_io(a: dict) -> dict:
    """Per-frame cost of everything around the network, on the bench frames: ffmpeg extraction
    (extract_frames), the plan, PNG decode + encode (inside stylize_frames), ffmpeg encoding
    (encode_clip). The marginal cost per frame: clips of the frames once and looped 4 times,
    the difference divided by the extra frames (ffprobe, the audio, process starts and imports
    are per clip or per job, not per frame: see the demo split)."""
    import torch
    import torchvision.io  # noqa: F401  (once per job, not per frame)

    from sketchbook import video
    from sketchbook.images import read_frame, write_frame
    from sketchbook.plan import make_plan

    work = Path(a["out"])
    work.mkdir(parents=True, exist_ok=True)
    timings: dict = {}
    for loops in (1, 4):
        d = work / f"x{loops}"
        d.mkdir()
        clip = d / "clip.mp4"
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", str(loops - 1),
                        "-framerate", "30", "-i", str(Path(a["frames"]) / "%06d.png"), "-f", "lavfi", "-i",
                        "sine=duration=600", "-shortest", "-c:v", "libx264", "-preset", "veryfast",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", str(clip)], check=True)
        t: dict = {}
        t0 = time.perf_counter()
        meta = video.extract(clip, d / "frames", d / "audio.wav", d / "meta.json", "bench")
        t["extract (ffmpeg -> PNG)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        make_plan("bench", meta.frames, "s", ["a", "b"], 0).to_csv(d / "plan.csv", index=False)
        t["plan"] = time.perf_counter() - t0
        names = sorted(p.name for p in (d / "frames").glob("*.png"))
        t0 = time.perf_counter()
        imgs = [read_frame(d / "frames" / f) for f in names]
        t["decode PNG"] = time.perf_counter() - t0
        gray = [img.float().mean(0, keepdim=True).round().to(torch.uint8) for img in imgs]
        del imgs
        (d / "out").mkdir()
        t0 = time.perf_counter()
        for f, g in zip(names, gray):
            write_frame(g, d / "out" / f)
        t["encode PNG (gray)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        video.encode(d / "out", meta, d / "audio.wav", d / "clip_out.mp4")
        t["encode clip (ffmpeg, with audio)"] = time.perf_counter() - t0
        timings[loops] = (meta.frames, t)
        shutil.rmtree(d / "frames")
        shutil.rmtree(d / "out")
    (n1, t1), (n4, t4) = timings[1], timings[4]
    per_frame = {k: 1000 * max(0.0, t4[k] - t1[k]) / (n4 - n1) for k in t1}
    per_clip = {k: 1000 * t1[k] - per_frame[k] * n1 for k in t1}
    return {"frames": [n1, n4], "ms_per_frame": per_frame, "ms_per_clip_fixed": per_clip,
            "peak_rss_mb": _rss_mb()}


WORKERS = {"baseline": worker_baseline, "ours": worker_ours, "ort": worker_ort, "peak": worker_peak,
           "bands": worker_bands, "train": worker_train,
           "io": worker_io}


def run_worker(kind: str, args: dict, threads: int) -> dict:
    env = {**os.environ, **MALLOC_ENV, "OMP_NUM_THREADS": str(threads), "PYTHONWARNINGS": "ignore"}
    payload = base64.b64encode(json.dumps({"kind": kind, "args": args, "threads": threads}).encode()).decode()
    p = subprocess.run([sys.executable, __file__, "--worker", payload], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"worker {kind} failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def worker_main(payload: str) -> None:
    job = json.loads(base64.b64decode(payload))
    import torch

    torch.set_num_threads(job["threads"])  # as sketchbook.entry.run sets it for a job
    print(json.dumps(WORKERS[job["kind"]](job["args"])))


# --- the network's FLOPs, PSNR -------------------------------------------------------------------

def flops_per_frame(h: int, w: int) -> float:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from sketchbook.network import TransformerNet

    net = TransformerNet().eval()
    with FlopCounterMode(display=False) as fc, torch.inference_mode():
        net(torch.rand(1, 3, h, w))
    return fc.get_total_flops() / 1e9


def executed_flops_per_frame(h: int, w: int) -> float:
    """FLOPs the fused inference actually executes (folded upsampling: fewer; space to depth: a
    few more, zeros)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from sketchbook.network import FastTransformerNet, TransformerNet

    fast = FastTransformerNet(TransformerNet().eval(), torch.float32, channels_last=True)
    with FlopCounterMode(display=False) as fc:
        fast(torch.rand(1, 3, h, w))
    return fc.get_total_flops() / 1e9


def ssim(x, y) -> float:
    """Mean SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, on 0-255)
    of two uint8 (C, H, W) frames, over the channels and the window positions inside the frame."""
    import torch
    from torch.nn import functional as F

    g = torch.exp(-((torch.arange(11, dtype=torch.float64) - 5) ** 2) / (2 * 1.5 ** 2))
    g = g / g.sum()
    win = (g[:, None] * g[None, :]).expand(x.shape[0], 1, 11, 11)
    a, b = x.double()[None], y.double()[None]

    def blur(t):
        return F.conv2d(t, win, groups=x.shape[0])

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a ** 2, blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return float(s.mean())


def compare_dirs(a: Path, b: Path, files: list[str]) -> dict:
    """Frames in ``b`` against the same frames in ``a``: PSNR (dB, over all pixels), mean SSIM
    and the largest pixel difference (0-255)."""
    from sketchbook.images import read_frame

    se, n, ssims, worst = 0.0, 0, [], 0
    for f in files:
        x, y = read_frame(a / f), read_frame(b / f)
        d = x.double() - y.double()
        se += float((d ** 2).sum())
        n += x.numel()
        worst = max(worst, int(d.abs().max()))
        ssims.append(ssim(x, y))
    mse = se / n
    return {"psnr_vs_fp32": float("inf") if mse == 0 else 10 * math.log10(255 ** 2 / mse),
            "ssim_vs_fp32": sum(ssims) / len(ssims), "max_diff_vs_fp32": worst}


def onnx_models(model: Path, work: Path, size: tuple[int, int]) -> tuple[Path, Path]:
    """The model as an ONNX file (fp32) and its int8 QDQ copy, calibrated on the demo's content
    photos (the demo models' training content) scaled to the frames' height."""
    import torch
    from torch.nn import functional as F

    from sketchbook.content import list_images
    from sketchbook.export import export_model, quantize_int8
    from sketchbook.images import load_rgb

    fp32, int8 = work / "model.onnx", work / "model.int8.onnx"
    export_model(model, fp32)
    frames = []
    for photo in list_images(REPO / "demo/content")[:8]:
        x = load_rgb(photo)
        s = size[1] / min(x.shape[-2:])
        hw = (max(1, round(x.shape[-2] * s)), max(1, round(x.shape[-1] * s)))
        frames.append(F.interpolate(x[None], size=hw, mode="bilinear", antialias=True,
                                    align_corners=False).clamp(0, 1).mul(255).round().div(255)
                      .to(torch.float32).numpy())
    quantize_int8(fp32, int8, frames)
    return fp32, int8


# --- snakemake -n at scale, the demo's split ----------------------------------------------------------

def dag_benchmark(work: Path, clips: int, minutes: float) -> dict:
    """``snakemake -n`` on a config of ``clips`` clips, each a real ``minutes``-long video file."""
    work.mkdir(parents=True, exist_ok=True)
    src = work / "long.mp4"
    t0 = time.perf_counter()
    # A real clip of that length (tiny picture: the DAG does not look inside clips; there are no
    # per-frame jobs, so a clip's length changes nothing in the DAG).
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size=64x36:rate=30:duration={minutes * 60}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={minutes * 60}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(src)],
                   check=True)
    make_s = time.perf_counter() - t0
    lines = ["sketches:", f"  hatch: {REPO}/demo/sketches/hatch.png",
             f"content: {{images: {REPO}/demo/content}}",
             "variants:", "  good: {seed: 1}", "  weird: {seed: 3}", "clips:"]
    for i in range(clips):
        clip = work / f"clip{i:03d}.mp4"
        if not clip.exists():
            os.link(src, clip)  # 100 distinct clip files (hard links to one real 10-minute video)
        lines.append(f"  c{i:03d}: {{path: {clip}, sketch: hatch}}")
    cfg = work / "config.yaml"
    cfg.write_text("\n".join(lines) + "\n")
    cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "2", "-s", str(REPO / "Snakefile"),
           "-d", str(work / "wd"), "--configfile", str(cfg), "--quiet", "rules"]
    times = []
    out = ""
    for _ in range(2):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **MALLOC_ENV})
        times.append(time.perf_counter() - t)
        out = p.stdout + p.stderr
        if p.returncode != 0:
            raise RuntimeError(f"snakemake -n failed:\n{out[-2000:]}")
    jobs = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "total" and parts[1].isdigit():
            jobs = int(parts[1])
    return {"clips": clips, "minutes_each": minutes, "jobs": jobs, "seconds": min(times),
            "seconds_runs": times, "clip_file_seconds": make_s}


def _log_jobs(log: Path) -> tuple[dict, float]:
    """Job seconds by rule, and the run's wall time, from a Snakemake run log (1 s resolution)."""
    from datetime import datetime

    stamp, start, first, last = None, {}, None, None
    by_rule: dict = {}
    lines = log.read_text().splitlines()
    for k, line in enumerate(lines):
        if line.startswith("[") and line.endswith("]"):
            try:
                stamp = datetime.strptime(line[1:-1], "%a %b %d %H:%M:%S %Y").timestamp()
            except ValueError:
                continue
            first = stamp if first is None else first
            last = stamp
        elif (line.startswith("rule ") or line.startswith("localrule ")) and line.endswith(":") and stamp:
            rule = line.split()[1][:-1]
            for nxt in lines[k + 1:k + 20]:
                if nxt.strip().startswith("jobid:"):
                    start[nxt.split(":")[1].strip()] = (rule, stamp)
                    break
        elif line.startswith("Finished jobid:") and stamp:
            jid = line.split(":")[1].split()[0]
            if jid in start:
                rule, t0 = start.pop(jid)
                by_rule[rule] = by_rule.get(rule, 0.0) + stamp - t0
    return by_rule, (last - first) if first is not None else 0.0


def demo_split(demo: Path) -> dict | None:
    """Each rule's summed job time in the latest run in ``demo``: the rule's ``benchmark:`` files
    where it has them, else the jobs' start and finish in Snakemake's run log."""
    logs = sorted((demo / ".snakemake/log").glob("*.snakemake.log"))
    if not logs:
        return None
    by_rule, wall = _log_jobs(logs[-1])
    source = {r: "log" for r in by_rule}
    for folder in sorted((demo / "benchmarks").glob("*/")):
        tsvs = list(folder.rglob("*.tsv"))
        if folder.name in by_rule and tsvs:
            total = 0.0
            for t in tsvs:
                rows = t.read_text().splitlines()
                if len(rows) > 1:
                    total += float(rows[-1].split("\t")[0])
            by_rule[folder.name], source[folder.name] = total, "benchmark"
    # Inside the stylize jobs: the stylize call itself (frames read, stylized, written), from
    # their logs; the rest of a job is its process start, imports and model loads.
    inside = 0.0
    for log in (demo / "logs/stylize_frames").glob("*.log"):
        for line in log.read_text().splitlines():
            if "stylize_frames done in" in line:
                inside = inside + float(line.rsplit("done in", 1)[1].split()[0])
    return {"dir": str(demo), "log": str(logs[-1]), "wall_seconds": wall,
            "by_rule": dict(sorted(by_rule.items(), key=lambda kv: -kv[1])), "source": source,
            "stylize_call_seconds": inside}


def render_demo(demo: Path) -> None:
    """Re-run the demo's render stage (extract, plan, stylize, encode, join) in ``demo``."""
    subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--forcerun", "extract_frames",
                    "plan_frames", "--rerun-triggers", "mtime", "-d", str(demo), "-s", str(demo / "Snakefile"),
                    "results/film.mp4", "--quiet"], check=True, env={**os.environ, **MALLOC_ENV})


# --- the table -------------------------------------------------------------------------------------

def machine() -> dict:
    import torch

    name = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from sketchbook.precision import cpu_has_bf16

    return {"cpu": name, "cores": os.cpu_count(), "bf16": cpu_has_bf16(), "torch": torch.__version__,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "malloc": {k: os.environ.get(k) for k in MALLOC_ENV},
            "load_avg_at_start": os.getloadavg()}


def fmt_table(rows: list[dict]) -> str:
    head = ["name", "size", "frames/s", "GFLOP/s", "% of peak", "x baseline", "peak RSS MB", "PSNR vs fp32",
            "SSIM", "max diff", "noise"]
    lines = [head]
    for r in rows:
        lines.append([r["name"], r.get("size", ""), f"{r['fps']:.2f}", f"{r['gflops']:.0f}",
                      f"{r['pct_of_peak']:.0f}%" if r.get("pct_of_peak") is not None else "",
                      f"{r['speedup_vs_baseline']:.2f}" if r.get("speedup_vs_baseline") else "",
                      f"{r['peak_rss_mb']:.0f}" if r.get("peak_rss_mb") else "",
                      (f"{r['psnr_vs_fp32']:.1f} dB" if r.get("psnr_vs_fp32") is not None else ""),
                      (f"{r['ssim_vs_fp32']:.4f}" if r.get("ssim_vs_fp32") is not None else ""),
                      (str(r["max_diff_vs_fp32"]) if r.get("max_diff_vs_fp32") is not None else ""),
                      f"{r['noise_pct']:.0f}%" if r.get("noise_pct") is not None else ""])
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    out = []
    for j, line in enumerate(lines):
        out.append("  ".join(str(c).ljust(widths[i]) if i < 2 else str(c).rjust(widths[i])
                             for i, c in enumerate(line)).rstrip())
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _row(name: str, size: tuple, kind: str, precision: str, runs: list[dict], gflop: float) -> dict:
    """A table row from a worker's runs: the best run (least disturbed by other load), and the
    spread between runs as the noise."""
    fps_runs = [x["frames"] / x["seconds"] for x in runs]
    fps = max(fps_runs)
    best = runs[fps_runs.index(fps)]
    row = {"name": name, "size": f"{size[0]}x{size[1]}", "kind": kind, "precision": precision,
           "fps": fps, "gflops": fps * gflop, "pct_of_peak": None, "speedup_vs_baseline": None,
           "peak_rss_mb": max(x["peak_rss_mb"] for x in runs) if kind != "peak" else None,
           "fps_runs": fps_runs,
           "noise_pct": 100 * (max(fps_runs) - min(fps_runs)) / fps if len(fps_runs) > 1 else None}
    if "cpu_seconds" in best:
        row["cpu_ms_per_frame"] = 1000 * best["cpu_seconds"] / best["frames"]
    return row


# --- the run, one function per section ---------------------------------------------------------------

@dataclass
class Bench:
    """What the sections share: the run's switches, the machine, the frames, and what each section
    adds (table rows, rows for results/bench.json only, the notes under the table, the measured peaks)."""

    a: argparse.Namespace
    device: Any
    precisions: list[str]  # the precisions measured (measured_precisions): fp32 first
    info: dict
    work: Path
    model: Path
    sizes: list[tuple[int, int]]
    frames: dict
    gflop: dict
    executed: float
    rows: list[dict] = field(default_factory=list)
    extra_rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    peaks: dict = field(default_factory=dict)
    int8_model: "Path | None" = None  # the model with its int8 calibration (CPU runs)

    @property
    def low(self) -> str:
        """The lower precision the rows compare with fp32: bf16, or where --quick left it out, fp16 on
        CUDA and fp32 on the CPU."""
        return self.precisions[min(1, len(self.precisions) - 1)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="16 small frames, one round, no 4K/train/DAG, no precision the device only emulates")
    ap.add_argument("--frames", type=int, default=64, help="frames at --size")
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--big", default="1920x1080", help="the large size ('' to skip)")
    ap.add_argument("--big-frames", type=int, default=4)
    ap.add_argument("--uhd", default="3840x2160", help="the memory test's size ('' to skip)")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds of every row")
    ap.add_argument("--model", help="a trained model (default: the demo's, else an untrained one)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=min(8, os.cpu_count() or 1),
                    help="torch threads (the stylize rule's 8 threads, capped at the cores)")
    ap.add_argument("--demo-dir", default=str(REPO), help="a demo run to split by rule")
    ap.add_argument("--render-demo", action="store_true",
                    help="re-run the demo's render stage in --demo-dir first (forced)")
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--no-dag", action="store_true")
    ap.add_argument("--dag-clips", type=int, default=100)
    ap.add_argument("--dag-minutes", type=float, default=10)
    ap.add_argument("--out", default=str(REPO / "results/bench.json"))
    a = ap.parse_args(argv)
    if a.quick:
        a.frames, a.size, a.big, a.big_frames, a.uhd, a.rounds = 16, "320x240", "", 0, "", 1
        a.no_train = a.no_dag = True
    return a


def emulated(precision: str, device) -> bool:
    """True where ``device`` has no native arithmetic for ``precision`` (torch emulates it, slowly)."""
    import torch

    from sketchbook.precision import cpu_has_bf16

    if precision != "bf16":
        return False
    if device.type == "cuda":
        return not torch.cuda.is_bf16_supported(including_emulation=False)
    return not cpu_has_bf16()


def measured_precisions(device, quick: bool) -> list[str]:
    """The precisions the rows measure: fp32, bf16, and fp16 on CUDA; ``quick`` leaves out bf16
    where ``device`` only emulates it."""
    precisions = ["fp32", "bf16"] + (["fp16"] if device.type == "cuda" else [])
    if quick and emulated("bf16", device):
        precisions.remove("bf16")
    return precisions


def setup(a: argparse.Namespace) -> Bench:
    """The device and precisions, the machine line, the model, the frames and their FLOPs."""
    from sketchbook.precision import pick_device

    device = pick_device(a.device)
    precisions = measured_precisions(device, a.quick)
    if "bf16" not in precisions:
        print(f"--quick: no bf16 rows: this {device.type} has no native bf16, and emulated they would take "
              "most of the run (a full run keeps them)")
    elif device.type == "cpu" and emulated("bf16", device):
        print("note: no native bf16 on this CPU: bf16 rows run emulated (slow)", file=sys.stderr)
    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, bf16 {'yes' if info['bf16'] else 'no'}, "
          f"torch {info['torch']}, device {device}"
          + (f" ({info['cuda']})" if device.type == "cuda" else "")
          + f", {a.threads} threads, load average at start {info['load_avg_at_start'][0]:.1f}")

    work = Path(tempfile.mkdtemp(prefix="sketchbook-bench-"))
    model, model_desc = find_model(a.model, work)
    print(f"model: {model_desc}")
    sizes = [tuple(map(int, a.size.split("x")))]
    counts = {sizes[0]: a.frames}
    if a.big:
        sizes.append(tuple(map(int, a.big.split("x"))))
        counts[sizes[-1]] = a.big_frames
    frames = {s: make_frames(work / f"frames_{s[0]}x{s[1]}", counts[s], *s) for s in sizes}
    gflop = {s: flops_per_frame(s[1], s[0]) for s in sizes}
    executed = executed_flops_per_frame(sizes[0][1], sizes[0][0])
    print("FLOPs per frame (torch.utils.flop_counter on the model's forward): "
          + ", ".join(f"{w}x{h}: {g:.1f} GFLOP" for (w, h), g in gflop.items())
          + f"; the fused inference executes {executed:.1f} GFLOP at {sizes[0][0]}x{sizes[0][1]}")
    return Bench(a, device, precisions, info, work, model, sizes, frames, gflop, executed)


def network_plan(b: Bench, onnx: tuple[Path, Path] | None) -> list[tuple]:
    """The network's rows: (name, size, worker, its arguments, precision), in the order they run."""
    plan = []
    for s in b.sizes:
        base = {"device": str(b.device), "model": str(b.model), "frames": str(b.work / f"frames_{s[0]}x{s[1]}"),
                "files": b.frames[s]}
        plan.append(("baseline: fast_neural_style eval, fp32", s, "baseline", base, "fp32"))
        for p in b.precisions:
            plan.append((f"ours {p}", s, "ours", {**base, "precision": p}, p))
        if b.int8_model:
            plan.append(("ours int8", s, "ours", {**base, "model": str(b.int8_model), "precision": "int8"}, "int8"))
        if s == b.sizes[0]:
            plan.append((f"ours {b.low}, the model's own forward", s, "ours",
                         {**base, "precision": b.low, "fast": False}, b.low))
            for p in b.precisions[:2] + (["int8"] if b.int8_model else []):
                plan.append((f"limit: the network's convolutions, {p}", s, "peak",
                             {"device": str(b.device), "precision": p, "h": s[1], "w": s[0]}, p))
            if onnx:
                for name, path, p in (("onnxruntime fp32", onnx[0], "fp32"),
                                      ("onnxruntime int8 QDQ", onnx[1], "int8")):
                    plan.append((name, s, "ort", {**base, "onnx": str(path), "threads": b.a.threads}, p))
    return plan


def run_rounds(b: Bench, plan: list[tuple]) -> dict[int, list[dict]]:
    """Every row, every round, interleaved: each row's runs, by its index in ``plan``."""
    runs: dict = {}
    for r in range(b.a.rounds):
        for i, (name, s, kind, args, prec) in enumerate(plan):
            res = run_worker(kind, {**args, "out": str(b.work / f"out_{i}")}, b.a.threads)
            runs.setdefault(i, []).append(res)
            print(f"  round {r + 1}/{b.a.rounds}: {name}, {s[0]}x{s[1]}: "
                  f"{res['frames'] / res['seconds']:.2f} frames/s", flush=True)
    return runs


def tabulate_network(b: Bench, plan: list[tuple], runs: dict[int, list[dict]]) -> None:
    """The network's table rows, the measured peaks, and each row against the baseline and fp32."""
    for i, (name, s, kind, args, prec) in enumerate(plan):
        if kind == "peak":
            # The convolutions' throughput, and as frames/s: the network's FLOPs at that rate.
            conv_gflop = runs[i][0]["conv_flops"] / 1e9
            row = _row(name, s, kind, prec, runs[i], conv_gflop)
            row["fps"] = row["gflops"] / b.gflop[s]
            row["conv_gflop_per_frame"] = conv_gflop
            row["layout"] = runs[i][0]["layout"]
            row["cpu_ms_per_frame"] = None
            b.peaks[prec] = row["gflops"]
        else:
            row = _row(name, s, kind, prec, runs[i], b.gflop[s])
        row["out"] = str(b.work / f"out_{i}")
        b.rows.append(row)
    rows = b.rows
    for row in rows:
        peak = b.peaks.get(row["precision"])
        row["pct_of_peak"] = 100 * row["gflops"] / peak if peak else None
        base = next(x for x in rows if x["size"] == row["size"] and x["kind"] == "baseline")
        row["speedup_vs_baseline"] = row["fps"] / base["fps"]
        if row["kind"] in ("ours", "ort") and row["name"] != "ours fp32":
            ref = next(x for x in rows if x["size"] == row["size"] and x["name"] == "ours fp32")
            row.update(compare_dirs(Path(ref["out"]), Path(row["out"]),
                                    b.frames[tuple(map(int, row["size"].split("x")))]))


def network_section(b: Bench) -> None:
    """Baseline, ours in each precision, the convolutions' limit and onnxruntime, at each size."""
    onnx = None
    if b.device.type == "cpu":
        b.int8_model = int8_model(b.model, b.work)
        onnx = onnx_models(b.model, b.work, b.sizes[0])
        print("onnxruntime: the model's ONNX file and an int8 QDQ copy (calibrated on the demo's content photos)")
    plan = network_plan(b, onnx)
    tabulate_network(b, plan, run_rounds(b, plan))
    ours = {r["name"]: r for r in b.rows if r["size"] == b.rows[0]["size"]}
    for name in ("ours int8", "onnxruntime fp32", "onnxruntime int8 QDQ"):
        if name in ours:
            r = ours[name]
            b.notes.append(f"{name}, {r['size']}: " + ", ".join(
                f"{r['fps'] / ours[f'ours {p}']['fps']:.2f}x ours {p}" for p in b.precisions[:2])
                + f"; vs ours fp32's frames: {r['psnr_vs_fp32']:.1f} dB, SSIM {r['ssim_vs_fp32']:.4f}, "
                f"max diff {r['max_diff_vs_fp32']}/255")


def io_section(b: Bench) -> None:
    """Around the network, per frame: extraction, plan, PNG decode and encode, clip encoding."""
    s = b.sizes[0]
    io = run_worker("io", {"frames": str(b.work / f"frames_{s[0]}x{s[1]}"), "files": b.frames[s],
                           "out": str(b.work / "io")}, b.a.threads)
    net_ms = 1000 / next(r["fps"] for r in b.rows
                         if r["name"] == f"ours {b.low}" and r["size"] == b.rows[0]["size"])
    other = sum(io["ms_per_frame"].values())
    b.extra_rows.append({"name": "per frame around the network", "size": f"{s[0]}x{s[1]}", **io,
                         "stylize_ms_per_frame": net_ms, "pct_of_stylize": 100 * other / net_ms})
    b.notes.append(f"per {s[0]}x{s[1]} frame around the network (marginal cost, {io['frames'][0]} vs "
                   f"{io['frames'][1]} frames): "
                   + ", ".join(f"{k} {v:.1f} ms" for k, v in io["ms_per_frame"].items())
                   + f" = {other:.1f} ms/frame, {100 * other / net_ms:.1f}% of ours {b.low}'s "
                   f"{net_ms:.0f} ms/frame; fixed per clip: "
                   + ", ".join(f"{k.split(' (')[0]} {v / 1000:.2f} s" for k, v in io["ms_per_clip_fixed"].items()
                               if v > 20))


def uhd_section(b: Bench) -> None:
    """A 4K frame: peak RSS, and bands vs the whole frame."""
    w, h = map(int, b.a.uhd.split("x"))
    uhd = make_frames(b.work / f"frames_{w}x{h}", 1, w, h)
    g = flops_per_frame(h, w)
    base = {"device": str(b.device), "model": str(b.model), "frames": str(b.work / f"frames_{w}x{h}"), "files": uhd}
    cases = [(f"ours {p}", {"precision": p}, p) for p in b.precisions[:2]]
    if b.int8_model:
        cases.append(("ours int8", {"precision": "int8", "model": str(b.int8_model)}, "int8"))
    if b.device.type == "cpu":
        cases.append((f"ours {b.low}, the model's own forward (untiled)",
                      {"precision": b.low, "fast": False}, b.low))
    for name, extra, p in cases:
        res = run_worker("ours", {**base, **extra, "out": str(b.work / "uhd")}, b.a.threads)
        row = _row(name, (w, h), "ours", p, [res], g)
        row["pct_of_peak"] = 100 * row["gflops"] / b.peaks[p] if p in b.peaks else None
        b.rows.append(row)
    if b.device.type == "cpu":
        from sketchbook.stylize import BAND_MB

        crop = Path(b.a.out).with_name("bench_4k_band_edge.png")
        crop.parent.mkdir(parents=True, exist_ok=True)
        bands = run_worker("bands", {**base, "precision": b.low, "band_mb": BAND_MB,
                                     "out": str(crop)}, b.a.threads)
        b.extra_rows.append({"name": f"{w}x{h} in bands vs whole frame", "size": f"{w}x{h}",
                             "precision": b.low, **bands})
        b.notes.append(f"{w}x{h}, {b.low}, in bands vs as a whole frame: max |diff| "
                       f"{bands['max_abs_diff']}/255, mean {bands['mean_abs_diff']:.3f}/255; "
                       f"crop across a band edge (row {bands['band_rows_full_res']}): {crop}")


def train_section(b: Bench) -> None:
    """A training step, and the same step with the content photo through every VGG16 layer."""
    # Rounds alternate the two, so that both see the same machine load.
    runs: dict[str, list] = {"upto": [], "full": []}
    for _ in range(max(1, b.a.rounds)):
        for kind in runs:
            runs[kind].append(run_worker("train", {"device": str(b.device), "precision": "auto",
                                                   "full_content_pass": kind == "full"}, b.a.threads))
    tr, full = (min(runs[k], key=lambda r: r["seconds"]) for k in ("upto", "full"))
    b.extra_rows.append({"name": f"training step, content photo through all VGG16 layers (before), "
                                 f"{full['precision']}", "size": "256x256", "fps": 1 / full["seconds"],
                         "seconds_per_step": full["seconds"], "gflop_per_step": full["flops"] / 1e9,
                         "precision": full["precision"]})
    b.notes.append(f"training step: the content photo only up to the content layer: {full['seconds']:.2f} -> "
                   f"{tr['seconds']:.2f} s/step ({full['seconds'] / tr['seconds']:.2f}x), "
                   f"{full['flops'] / 1e9:.0f} -> {tr['flops'] / 1e9:.0f} GFLOP")
    gf = tr["flops"] / 1e9 / tr["seconds"]
    pct = 100 * gf / b.peaks[tr["precision"]] if tr["precision"] in b.peaks else None
    b.extra_rows.append({"name": f"training step 256x256 batch 4, {tr['precision']}", "size": "256x256",
                         "fps": 1 / tr["seconds"], "gflops": gf, "pct_of_peak": pct,
                         "peak_rss_mb": tr["peak_rss_mb"], "seconds_per_step": tr["seconds"],
                         "gflop_per_step": tr["flops"] / 1e9, "precision": tr["precision"]})
    b.notes.append(f"training step, 256x256, batch 4, {tr['precision']}: {tr['seconds']:.2f} s, "
                   f"{tr['flops'] / 1e9:.0f} GFLOP, {gf:.0f} GFLOP/s"
                   + (f" = {pct:.0f}% of the measured {tr['precision']} peak" if pct else ""))


def dag_section(b: Bench) -> None:
    """``snakemake -n`` on many long clips."""
    dag = dag_benchmark(b.work / "dag", b.a.dag_clips, b.a.dag_minutes)
    b.extra_rows.append({"name": "snakemake -n", **dag})
    b.notes.append(f"snakemake -n, {dag['clips']} clips of {dag['minutes_each']:g} min each: {dag['jobs']} jobs "
                   f"in {dag['seconds']:.1f} s (runs: {', '.join(f'{t:.1f}' for t in dag['seconds_runs'])} s)")


def demo_section(b: Bench) -> None:
    """A demo run's job time split by rule (re-running its render stage first with --render-demo)."""
    demo = Path(b.a.demo_dir)
    if b.a.render_demo:
        render_demo(demo)
    split = demo_split(demo)
    if not split:
        b.notes.append(f"no demo run found in {demo} (run `make demo` first, or pass --demo-dir)")
        return
    total = sum(split["by_rule"].values())
    render = {k: v for k, v in split["by_rule"].items()
              if k in ("extract_frames", "plan_frames", "stylize_frames", "encode_clip", "join_film")}
    sty = render.get("stylize_frames", 0.0)
    other = sum(render.values()) - sty
    b.extra_rows.append({"name": "demo: job time by rule", **split,
                         "render_other_pct_of_stylize": 100 * other / sty if sty else None})
    b.notes.append(f"demo run in {split['dir']} ({split['wall_seconds']:.0f} s wall), job seconds by rule "
                   f"(sum {total:.0f} s; b = from benchmark: files, l = from the run log): "
                   + ", ".join(f"{k} {v:.1f} {split['source'][k][0]}" for k, v in split["by_rule"].items()))
    if sty:
        b.notes.append(f"  render stage: stylize_frames {sty:.1f} s (the stylize call itself, frames read, "
                       f"stylized, written: {split['stylize_call_seconds']:.1f} s; the rest is process start "
                       f"and imports), everything else (extract, plan, encode, join) {other:.1f} s "
                       f"= {100 * other / sty:.0f}% of stylize")


def write_results(b: Bench) -> None:
    """The table and the notes on stdout, every row in results/bench.json; the frames removed."""
    for row in b.rows:
        row.pop("out", None)
    print()
    print(fmt_table(b.rows))
    s0 = b.sizes[0]
    print("GFLOP/s: the model's FLOPs per frame x frames/s (the fused inference executes fewer: "
          f"{b.executed:.1f} of {b.gflop[s0]:.1f} GFLOP at {s0[0]}x{s0[1]}, so it can pass the limit). "
          "% of peak: of the limit in the row's precision. noise: spread of frames/s between rounds.")
    for line in b.notes:
        print(line)
    out = Path(b.a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for row in b.rows:
        if row["kind"] == "ours" and row["size"] == f"{s0[0]}x{s0[1]}" and "own forward" not in row["name"]:
            row["executed_gflop_per_frame"] = b.executed
            row["executed_pct_of_peak"] = 100 * row["fps"] * b.executed / b.peaks[row["precision"]] \
                if row["precision"] in b.peaks else None
    short = {"cpu": b.info["cpu"], "cores": b.info["cores"], "torch": b.info["torch"], "device": str(b.device),
             "threads": b.a.threads}
    keys = ("name", "fps", "gflops", "pct_of_peak", "speedup_vs_baseline", "peak_rss_mb")
    out.write_text(json.dumps([{**{k: None for k in keys}, **r, "machine": short} for r in b.rows + b.extra_rows],
                              indent=2, default=str) + "\n")
    print(f"written {out}")
    shutil.rmtree(b.work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    b = setup(parse_args(argv))
    network_section(b)
    io_section(b)
    if b.a.uhd:
        uhd_section(b)
    if not b.a.no_train:
        train_section(b)
    if not b.a.no_dag:
        dag_section(b)
    demo_section(b)
    write_results(b)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2])
    else:
        main()
