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


def test_blur_keeps_flat_pictures_and_folds_into_the_convolution():
    """The anti-aliasing blur leaves a flat picture as it is (its weights sum to 1), and blur then
    3x3 stride-2 convolution is the folded 5x5 one to the last border pixel (reflection padding
    commutes with the symmetric blur)."""
    from torch.nn import functional as F

    from sketchbook.network import ConvLayer, blur

    flat = torch.full((1, 4, 9, 10), 0.37)
    assert torch.allclose(blur(flat), flat)
    torch.manual_seed(1)
    layer = ConvLayer(4, 6, 3, 2, antialias=True)
    conv = layer.equivalent_conv()
    assert conv.kernel_size == (5, 5) and conv.stride == (2, 2)
    for h, w in [(9, 10), (16, 16), (7, 13)]:
        x = torch.rand(2, 4, h, w)
        with torch.no_grad():
            want = layer(x)
            got = conv(F.pad(x, (2, 2, 2, 2), mode="reflect"))
        assert got.shape == want.shape
        assert torch.allclose(got, want, atol=1e-5)
    # Without antialias the layer is its own convolution; a stride-1 layer never blurs.
    plain = ConvLayer(4, 6, 3, 2)
    assert plain.equivalent_conv() is plain.conv and not ConvLayer(4, 6, 3, 1, antialias=True).antialias


def test_antialias_network_same_parameters_and_the_fused_paths_draw_it():
    """antialias adds no parameter (the same state dict), changes what the network draws, and the
    fused inference (which runs the folded convolutions) draws what its forward draws."""
    from sketchbook.network import FastTransformerNet

    torch.manual_seed(0)
    plain = TransformerNet(width=8, n_residual=1).eval()
    aa = TransformerNet(width=8, n_residual=1, antialias=True).eval()
    aa.load_state_dict(plain.state_dict())
    assert list(aa.state_dict()) == list(plain.state_dict())
    assert aa.conv2.antialias and aa.conv3.antialias and not aa.conv1.antialias
    x = torch.rand(1, 3, 37, 50)
    with torch.no_grad():
        want = aa(x)
        assert not torch.allclose(want, plain(x), atol=1e-3)
    assert torch.allclose(FastTransformerNet(aa, torch.float32)(x), want, atol=1e-5)
    assert torch.allclose(FastTransformerNet(aa, torch.float32, channels_last=False)(x), want, atol=1e-5)
