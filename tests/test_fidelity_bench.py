"""benchmarks/fidelity.py's blind test: every render is in the folders once, and only the key,
outside them, says which sketch drew it."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from helpers import REPO, benchmark_module


@pytest.fixture(scope="module")
def fbench():
    with benchmark_module("fidelity.py", "fidelity_bench") as module:
        yield module


def test_blind_test_folders_and_key(fbench, tmp_path):
    sketches = {s: REPO / "demo/sketches" / f"{s}.png" for s in ("hatch", "scribble")}
    # each model's renders carry their own grey level, so a file tells which model drew it
    level = {"hatch": 40, "scribble": 200}
    renders = {s: [torch.full((1, 12, 16), level[s] + i, dtype=torch.uint8) for i in range(n)]
               for s, n in (("hatch", 3), ("scribble", 2))}
    fbench.blind_test(tmp_path / "blind", tmp_path / "key.json", sketches, renders, scale=2)
    key = json.loads((tmp_path / "key.json").read_text())
    assert sorted(key["sketches"]) == ["A", "B"] and sorted(key["sketches"].values()) == ["hatch", "scribble"]
    assert sorted(p.name for p in (tmp_path / "blind").iterdir()) == ["mixed", "single_1", "single_2"]
    assert sorted(key["single"].values()) == ["hatch", "scribble"]
    for name, files in key["renders"].items():
        folder = tmp_path / "blind" / name
        assert sorted(p.name for p in folder.glob("sketch_*.png")) == ["sketch_A.png", "sketch_B.png"]
        assert sorted(p.name for p in folder.glob("render_*.png")) == sorted(f"{f}.png" for f in files)
        seen = []
        for f, letter in files.items():
            px = np.asarray(Image.open(folder / f"{f}.png"))
            assert px.shape == (24, 32)
            sketch = key["sketches"][letter]
            assert level[sketch] <= int(px[0, 0]) < level[sketch] + 3  # the key names the model that drew it
            seen.append(int(px[0, 0]))
        if name == "mixed":
            assert sorted(seen) == [40, 41, 42, 200, 201]
        else:
            assert set(key["renders"][name].values()) == {next(k for k, v in key["sketches"].items()
                                                               if v == key["single"][name])}
    # the key is not in the folders the person looks at
    assert not list((tmp_path / "blind").rglob("*.json"))
