"""The image-transformation network of Johnson et al. (2016).

Strided convolutions down, residual blocks, upsample-then-convolve up, instance norm throughout.
Input and output are RGB images in [0, 1] (N, 3, H, W); any H, W work (the output is cropped to
the input size).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class ConvLayer(nn.Sequential):
    """Reflection-padded convolution (no checkerboard from zero padding)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReflectionPad2d(kernel // 2),
            nn.Conv2d(cin, cout, kernel, stride),
        )


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, 3)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, 3)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.in1(self.conv1(x)))
        return x + self.in2(self.conv2(y))


class UpsampleConv(nn.Module):
    """Nearest-neighbour upsampling then convolution (Odena et al.: avoids checkerboards)."""

    def __init__(self, cin: int, cout: int, kernel: int, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self.conv = ConvLayer(cin, cout, kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=self.scale, mode="nearest"))


class TransformerNet(nn.Module):
    """Johnson's residual transformation network; ``width`` is the first layer's channels (32)."""

    def __init__(self, width: int = 32, n_residual: int = 5) -> None:
        super().__init__()
        w1, w2, w3 = width, 2 * width, 4 * width
        self.width = width
        self.n_residual = n_residual
        self.down = nn.Sequential(
            ConvLayer(3, w1, 9), nn.InstanceNorm2d(w1, affine=True), nn.ReLU(),
            ConvLayer(w1, w2, 3, 2), nn.InstanceNorm2d(w2, affine=True), nn.ReLU(),
            ConvLayer(w2, w3, 3, 2), nn.InstanceNorm2d(w3, affine=True), nn.ReLU(),
        )
        self.res = nn.Sequential(*[ResidualBlock(w3) for _ in range(n_residual)])
        self.up = nn.Sequential(
            UpsampleConv(w3, w2, 3, 2), nn.InstanceNorm2d(w2, affine=True), nn.ReLU(),
            UpsampleConv(w2, w1, 3, 2), nn.InstanceNorm2d(w1, affine=True), nn.ReLU(),
            ConvLayer(w1, 3, 9),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        # Pad to a multiple of 4 so that down- and up-sampling give back the input size.
        ph, pw = (-h) % 4, (-w) % 4
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        y = self.up(self.res(self.down(x)))
        # A sigmoid keeps the output a valid image: paper white and ink black are reachable
        # without the unbounded values that clamping would silently cut.
        return torch.sigmoid(y[..., :h, :w])


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
