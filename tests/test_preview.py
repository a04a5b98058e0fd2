"""The variants' preview (sketchbook.preview): every model on every sample, the original first."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from sketchbook.modelfile import save_model
from sketchbook.network import TransformerNet
from sketchbook.preview import sample_frame, variants_sheet

CELL, CAP, LABEL_W = 192, 16, 110  # sketchbook.images.contact_sheet's layout


def test_sample_frame_is_the_middle_frame(tmp_path):
    with pytest.raises(FileNotFoundError, match="no frames"):
        sample_frame(tmp_path)
    for i in (3, 1, 2, 4):
        Image.new("RGB", (4, 4)).save(tmp_path / f"{i:06d}.png")
    assert sample_frame(tmp_path).name == "000003.png"


def test_variants_sheet_rows_and_cells(tmp_path):
    torch.manual_seed(0)
    red = np.zeros((40, 64, 3), np.uint8)
    red[..., 0] = 255
    Image.fromarray(red).save(tmp_path / "red.png")
    Image.fromarray(np.full((60, 40, 3), 128, np.uint8)).save(tmp_path / "grey.png")
    models = []
    for name in ("a", "b"):
        save_model(TransformerNet(8, 1), tmp_path / f"{name}.pt")
        models.append((f"s/{name}", tmp_path / f"{name}.pt"))
    out = tmp_path / "sheet.png"
    variants_sheet([("red", tmp_path / "red.png"), ("grey", tmp_path / "grey.png")], models, out,
                   torch.device("cpu"))
    with Image.open(out) as im:
        sheet = np.asarray(im.convert("RGB"))
    # Two rows (one per sample), three columns: the original, then each model.
    assert sheet.shape == (2 * (CELL + CAP + 6), LABEL_W + 3 * (CELL + 4), 3)
    # The original comes first, as it is: the red sample's cell is red.
    assert (sheet[:40, LABEL_W:LABEL_W + 64] == (255, 0, 0)).all()
    # Each model's cell is its gray rendering (equal channels), not the paper of an empty cell.
    for c in (1, 2):
        x = LABEL_W + c * (CELL + 4)
        cell = sheet[:40, x:x + 64].astype(int)
        assert (cell[..., 0] == cell[..., 1]).all() and (cell[..., 1] == cell[..., 2]).all()
        assert not (cell == 255).all()
    # Under each cell, paper then its caption; the second row holds the 60 x 40 grey sample.
    assert (sheet[40:42, LABEL_W:LABEL_W + 64] == 255).all() and (sheet[42:40 + CAP, LABEL_W:LABEL_W + 64] < 128).any()
    y = CELL + CAP + 6
    assert (sheet[y:y + 60, LABEL_W:LABEL_W + 40] == 128).all()
    assert (sheet[y:y + 60, LABEL_W + 40:LABEL_W + CELL] == 255).all()
