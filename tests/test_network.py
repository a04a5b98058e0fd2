import torch

from sketchbook.network import TransformerNet


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_johnson_network_size():
    # Johnson et al.'s network (width 32, 5 residual blocks) has about 1.68 M parameters.
    assert 1.6e6 < count_parameters(TransformerNet()) < 1.7e6


def test_output_shape_and_range_any_size():
    torch.manual_seed(0)
    net = TransformerNet(width=8, n_residual=1).eval()
    for h, w in [(32, 32), (33, 47), (17, 64)]:
        x = torch.rand(2, 3, h, w)
        with torch.no_grad():
            y = net(x)
        assert y.shape == x.shape
        assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0


def test_width_changes_capacity():
    small, wide = TransformerNet(width=8, n_residual=1), TransformerNet(width=16, n_residual=1)
    assert count_parameters(small) < count_parameters(wide)
