"""The seed project's network, for speed comparisons only: a classic U-Net (3-channel input,
features 64-128-256-512, max-pooling down, transposed convolutions up, one sigmoid output)."""

from __future__ import annotations

import torch
from torch import nn


def _double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class SeedUNet(nn.Module):
    def __init__(self, in_channels: int = 3, features: tuple[int, ...] = (64, 128, 256, 512)) -> None:
        super().__init__()
        self.downs = nn.ModuleList()
        self.ups = nn.ModuleList()
        channels = in_channels
        for feature in features:
            self.downs.append(_double_conv(channels, feature))
            channels = feature
        self.bottleneck = _double_conv(features[-1], features[-1] * 2)
        for feature in reversed(features):
            self.ups.append(nn.ConvTranspose2d(feature * 2, feature, 2, stride=2))
            self.ups.append(_double_conv(feature * 2, feature))
        self.head = nn.Conv2d(features[0], 1, 1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for i in range(0, len(self.ups), 2):
            x = self.ups[i](x)
            x = self.ups[i + 1](torch.cat([skips.pop(), x], dim=1))
        return self.head(x)
