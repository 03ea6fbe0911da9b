"""PyTorch reference models for igo's `experiments::models`, shared by the bench scripts.

Written out inline from the files igo follows, so they need only torch:

  ResNet      kuangliu/pytorch-cifar models/resnet.py (BasicBlock, ResNet), stage widths
              generalised: ResNet18() is ResNet([2, 2, 2, 2]) with widths 64/128/256/512,
              He et al.'s CIFAR ResNet-(6n+2) is ResNet([n, n, n], (w, 2w, 4w))
  WideResNet  xternalz/WideResNet-pytorch wideresnet.py

`build(name)` takes igo's architecture names (`experiments::models::Architecture`):
resnet18, resnet34, resnet18-wW, resnet34-wW (kuangliu at base width W: widths W, 2W,
4W, 8W), resnet{6n+2}[-wW] (width 16 if omitted), wrn-{6n+4}-{k}.
`kuangliu_parameters(depth, w)` is the closed-form parameter count that igo's test
`cifar_resnet_at_base_width_w_has_the_closed_form_parameter_count` also checks.
"""
import math
import re

import torch
import torch.nn as nn
import torch.nn.functional as F


# --- kuangliu/pytorch-cifar models/resnet.py (BasicBlock, ResNet), widths generalised ---
class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, num_blocks, widths=(64, 128, 256, 512), num_classes=10, in_channels=3):
        super().__init__()
        self.in_planes = widths[0]
        self.conv1 = nn.Conv2d(in_channels, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        for i, (w, n) in enumerate(zip(widths, num_blocks)):
            setattr(self, f"layer{i + 1}", self._make_layer(w, n, 1 if i == 0 else 2))
        self.n_layers = len(widths)
        self.linear = nn.Linear(widths[-1], num_classes)

    def _make_layer(self, planes, num_blocks, stride):
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        for i in range(self.n_layers):
            out = getattr(self, f"layer{i + 1}")(out)
        # kuangliu: F.avg_pool2d(out, 4) on the 4x4 map of a 32x32 input = global mean
        out = F.adaptive_avg_pool2d(out, 1)
        return self.linear(out.view(out.size(0), -1))


# --- xternalz/WideResNet-pytorch wideresnet.py ---
class WideBasicBlock(nn.Module):
    def __init__(self, in_planes, out_planes, stride, dropRate=0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_planes, out_planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.droprate = dropRate
        self.equalInOut = in_planes == out_planes
        self.convShortcut = (not self.equalInOut) and nn.Conv2d(
            in_planes, out_planes, kernel_size=1, stride=stride, padding=0, bias=False) or None

    def forward(self, x):
        if not self.equalInOut:
            x = self.relu1(self.bn1(x))
        else:
            out = self.relu1(self.bn1(x))
        # the file's `self.equalInOut and out or x` idiom, written as an if (current torch
        # refuses the truth value of a tensor)
        out = self.conv1(out if self.equalInOut else x)
        if self.droprate > 0:
            out = F.dropout(out, p=self.droprate, training=self.training)
        out = self.conv2(self.relu2(self.bn2(out)))
        return torch.add(x if self.equalInOut else self.convShortcut(x), out)


class NetworkBlock(nn.Module):
    def __init__(self, nb_layers, in_planes, out_planes, block, stride, dropRate=0.0):
        super().__init__()
        self.layer = nn.Sequential(*[
            block(i == 0 and in_planes or out_planes, out_planes, i == 0 and stride or 1, dropRate)
            for i in range(int(nb_layers))])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth, num_classes, width=1, dropRate=0.0):
        super().__init__()
        nChannels = [16, 16 * width, 32 * width, 64 * width]
        assert (depth - 4) % 6 == 0
        n = (depth - 4) / 6
        self.conv1 = nn.Conv2d(3, nChannels[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.block1 = NetworkBlock(n, nChannels[0], nChannels[1], WideBasicBlock, 1, dropRate)
        self.block2 = NetworkBlock(n, nChannels[1], nChannels[2], WideBasicBlock, 2, dropRate)
        self.block3 = NetworkBlock(n, nChannels[2], nChannels[3], WideBasicBlock, 2, dropRate)
        self.bn1 = nn.BatchNorm2d(nChannels[3])
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(nChannels[3], num_classes)
        self.nChannels = nChannels[3]
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                k = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(0, math.sqrt(2.0 / k))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()
            elif isinstance(m, nn.Linear):
                m.bias.data.zero_()

    def forward(self, x):
        out = self.conv1(x)
        out = self.block3(self.block2(self.block1(out)))
        out = self.relu(self.bn1(out))
        out = F.avg_pool2d(out, 8)
        return self.fc(out.view(-1, self.nChannels))


def kuangliu_parameters(depth, w, classes=10, in_channels=3):
    """Trainable parameters of kuangliu's ResNet-18/34 at base width w (3 channels, 10
    classes): 2724w^2 + 257w + 10 and 5190w^2 + 373w + 10 (11,173,962 and 21,282,122
    at w = 64)."""
    if (in_channels, classes) != (3, 10):
        raise ValueError("the closed form is for 3-channel input and 10 classes")
    return {18: 2724 * w * w + 257 * w + 10, 34: 5190 * w * w + 373 * w + 10}[depth]


def build(name, in_channels=3, classes=10):
    """The PyTorch model for igo's architecture `name` (ValueError if unknown)."""
    m = re.fullmatch(r"resnet(\d+)(?:-w(\d+))?", name)
    if m:
        depth = int(m.group(1))
        width = int(m.group(2)) if m.group(2) else None
        if width == 0:
            raise ValueError(f"{name}: width must be positive")
        if depth in (18, 34):
            w = width or 64
            blocks = [2, 2, 2, 2] if depth == 18 else [3, 4, 6, 3]
            return ResNet(blocks, (w, 2 * w, 4 * w, 8 * w), classes, in_channels)
        if depth >= 8 and (depth - 2) % 6 == 0:
            w = width or 16
            n = (depth - 2) // 6
            return ResNet([n, n, n], (w, 2 * w, 4 * w), classes, in_channels)
        raise ValueError(f"{name}: ResNet depth must be 18, 34 or 6n+2")
    m = re.fullmatch(r"wrn-(\d+)-(\d+)", name)
    if m and in_channels == 3:
        return WideResNet(int(m.group(1)), classes, int(m.group(2)))
    raise ValueError(f"unknown model '{name}' (resnet18, resnet34, resnet18-wW, "
                     "resnet34-wW, resnet{6n+2}[-wW], wrn-{6n+4}-{k} on 3 channels)")


def parameter_count(model):
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


if __name__ == "__main__":
    # Self-check: the closed form against the built models.
    for depth in (18, 34):
        for w in (1, 4, 16, 64):
            got = parameter_count(build(f"resnet{depth}-w{w}"))
            assert got == kuangliu_parameters(depth, w), (depth, w, got)
    print("torch_models: parameter counts match the closed form")
