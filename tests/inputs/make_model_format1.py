"""How model_format1.pt and model_format1_output.pt were made: a tiny model file in the first
format (layers indexed, ``down.0.1.weight``) and its network's output on a fixed input.

It ran once with the code of commit 2d826b6 (before the layers had names, when training saved the
file), ``python tests/inputs/make_model_format1.py tests/inputs``; today's code cannot make the
first format. tests/test_modelfile.py loads the file and checks the output.
"""
import sys
from pathlib import Path

import torch


def main(out: Path) -> None:
    from sketchbook.network import TransformerNet
    from sketchbook.train import MODEL_FORMAT, save_model  # as they were at 2d826b6

    assert MODEL_FORMAT == "sketchbook-style-model/1"
    torch.manual_seed(0)
    net = TransformerNet(width=4, n_residual=2)
    with torch.no_grad():
        for p in net.parameters():  # every norm different too: a layer read under the wrong name shows
            p.add_(torch.randn_like(p) * 0.1)
    save_model(net, out / "model_format1.pt", {"settings": {"seed": 0}, "precision": "fp32", "levels": [0.25, 0.75]})
    torch.manual_seed(1)
    x = torch.rand(1, 3, 20, 28)
    with torch.no_grad():
        y = net.eval()(x)
    torch.save({"input_seed": 1, "shape": [1, 3, 20, 28], "output": y}, out / "model_format1_output.pt")
    print(list(net.state_dict())[:8], y.mean())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
