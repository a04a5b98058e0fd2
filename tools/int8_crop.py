#!/usr/bin/env python3
"""The README's int8 picture, docs/int8-crop.png: one demo frame drawn in fp32, bf16 and int8.

    python tools/int8_crop.py [--model results/models/hatch/good.pt] [--clip demo/clips/coffee.mp4]

The frame (640x360, the demo's render size doubled) is drawn as the film draws it (gray, levels)
by the model in each precision (int8 with a calibration made here on the demo's content photos,
beside a copy of the model under results/readme/); the picture shows a crop of each at 2x (thin
lines and flat paper, where eight-bit steps would show), then the int8 crop's difference from
fp32 magnified 8x. PSNR and the largest difference against fp32 are printed. A developer tool,
not part of the workflow.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import torch
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sketchbook.content import list_images, split_held_out  # noqa: E402
from sketchbook.images import contact_sheet, read_frame  # noqa: E402
from sketchbook.int8 import calibrate_model, psnr  # noqa: E402
from sketchbook.modelfile import calibration_path  # noqa: E402
from sketchbook.stylize import load_model, stylize_batch  # noqa: E402
from sketchbook.video import sample_frames  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "results/models/hatch/good.pt"))
    ap.add_argument("--clip", default=str(ROOT / "demo/clips/coffee.mp4"))
    ap.add_argument("--crop", default="100,40,240,240", help="x,y,w,h of the crop in the 640x360 frame")
    ap.add_argument("--out", default=str(ROOT / "docs/int8-crop.png"))
    a = ap.parse_args()
    work = ROOT / "results/readme/int8"
    work.mkdir(parents=True, exist_ok=True)
    model = work / "model.pt"
    shutil.copyfile(a.model, model)
    train, held = split_held_out(list_images(ROOT / "demo/content"), 1)
    blob = calibrate_model(model, train, held, calibration_path(model))
    print(f"calibration: {blob['psnr_vs_fp32_db']} dB on the held-out photo; bf16 layers {blob['bf16_layers']}")
    frame = read_frame(sample_frames(a.clip, work / "frame", 1, 0, 360)[0])
    frame = F.interpolate(frame[None].float(), size=(360, 640), mode="bilinear", antialias=True)
    frame = frame.round().clamp(0, 255).to(torch.uint8)
    m = load_model(model)
    out = {p: stylize_batch(m, frame, torch.device("cpu"), p, "gray", True)[0] for p in ("fp32", "bf16", "int8")}
    x, y, w, h = map(int, a.crop.split(","))
    cells = []
    for p, img in out.items():
        if p != "fp32":
            d = (img.float() - out["fp32"].float()).abs()
            print(f"{p}: {psnr(img.float() / 255, out['fp32'].float() / 255):.1f} dB against fp32, "
                  f"largest difference {int(d.max())}/255, {100 * float((d > 8).float().mean()):.2f}% of pixels over 8")
        crop = img[:, y:y + h, x:x + w]
        cells.append((p, F.interpolate(crop[None].float(), scale_factor=2, mode="nearest")[0].to(torch.uint8)))
    diff = ((out["int8"].float() - out["fp32"].float()).abs() * 8).clamp(0, 255)[:, y:y + h, x:x + w]
    diff = F.interpolate(255 - diff[None], scale_factor=2, mode="nearest")[0].to(torch.uint8)
    cells.append(("|int8 - fp32| x8 (white: none)", diff))
    contact_sheet([("", cells)], a.out, cell=2 * max(w, h))
    print("written", a.out)


if __name__ == "__main__":
    main()
