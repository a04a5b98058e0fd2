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


def test_layers_are_named_and_the_fused_steps_follow_them():
    from sketchbook.network import fused_steps

    net = TransformerNet(width=8, n_residual=2)
    assert [n for n, _ in net.named_children()] == [
        "conv1", "in1", "conv2", "in2", "conv3", "in3", "res1", "res2", "deconv1", "in4", "deconv2", "in5", "deconv3"]
    steps = fused_steps(net, torch.float32, torch.channels_last)
    assert [s.name for s in steps] == ["conv1", "conv2", "conv3", "res1.conv1", "res1.conv2", "res2.conv1",
                                       "res2.conv2", "deconv1", "deconv2", "deconv3"]
    # The residual sums: each block's second convolution adds the output kept before its first.
    assert [s.name for s in steps if s.keeps_output] == ["conv3", "res1.conv2"]
    assert [s.name for s in steps if s.adds_block_input] == ["res1.conv2", "res2.conv2"]
    assert [s.name for s in steps if s.conv.upsample] == ["deconv1", "deconv2"]
    assert steps[-1].norm is None and steps[-1].conv.block == 2
    assert [s.name for s in steps if s.norm is not None and not s.norm.relu] == ["res1.conv2", "res2.conv2"]
    assert torch.equal(steps[5].norm.weight, net.res2.in1.weight)
