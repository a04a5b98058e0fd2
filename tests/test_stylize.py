import torch

from sketchbook.images import read_frame, write_frame
from sketchbook.network import TransformerNet
from sketchbook.plan import make_plan
from sketchbook.stylize import stylize_frames
from sketchbook.train import save_model


def test_stylize_follows_the_plan(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(1, 8):
        write_frame(torch.randint(0, 255, (3, 20, 30), dtype=torch.uint8), frames / f"{i:06d}.png")
    torch.manual_seed(0)
    save_model(TransformerNet(8, 1), tmp_path / "a.pt")
    torch.manual_seed(1)
    save_model(TransformerNet(8, 1), tmp_path / "b.pt")
    plan = make_plan("c", 7, "s", ["a", "b"], seed=0)
    n = stylize_frames(plan, frames, tmp_path / "out", {"a": tmp_path / "a.pt", "b": tmp_path / "b.pt"},
                       torch.device("cpu"), "fp32", grayscale=True, batch_size=3)
    assert n == 7
    outs = sorted((tmp_path / "out").glob("*.png"))
    assert [p.name for p in outs] == [f"{i:06d}.png" for i in range(1, 8)]
    assert not (tmp_path / "out.tmp").exists()
    img = read_frame(outs[0])
    assert img.shape == (3, 20, 30)
    assert torch.equal(img[0], img[1]) and torch.equal(img[1], img[2])  # grayscale
    # Same plan, fp32: the output is reproducible byte for byte.
    stylize_frames(plan, frames, tmp_path / "out2", {"a": tmp_path / "a.pt", "b": tmp_path / "b.pt"},
                   torch.device("cpu"), "fp32", grayscale=True, batch_size=2)
    assert all(torch.equal(read_frame(p), read_frame(tmp_path / "out2" / p.name)) for p in outs)


def test_levels_stretch_ink_and_paper_in_grayscale():
    from sketchbook.stylize import stylize_batch

    class Flat(torch.nn.Module):
        levels = (0.2, 0.8)

        def forward(self, x):
            return x * 0.6 + 0.2  # ink at 0.2, paper at 0.8

    frames = torch.tensor([0, 255], dtype=torch.uint8).view(1, 1, 1, 2).expand(1, 3, 1, 2).contiguous()
    plain = stylize_batch(Flat(), frames, torch.device("cpu"), "fp32", grayscale=True)
    stretched = stylize_batch(Flat(), frames, torch.device("cpu"), "fp32", grayscale=True, levels=True)
    assert plain[0, 0, 0].tolist() == [51, 204]
    assert stretched[0, 0, 0].tolist() == [0, 255]
    colour = stylize_batch(Flat(), frames, torch.device("cpu"), "fp32", grayscale=False, levels=True)
    assert colour[0, 0, 0].tolist() == [51, 204]  # levels apply to grayscale only
