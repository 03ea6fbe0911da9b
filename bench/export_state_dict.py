#!/usr/bin/env python3
"""Reference PyTorch models for igo's `experiments::models`, exported as safetensors.

For each model below this script builds the PyTorch reference, gives its batch norms
non-trivial statistics (a few train-mode passes on random data, then random affine
parameters), and writes into OUT_DIR:

  {name}.safetensors     the state_dict (with `num_batches_tracked`, which igo ignores)
  {name}.io.safetensors  `input` (2, C, H, W) float32, `logits_eval` (eval mode),
                         `logits_train` (train mode, batch statistics) and, for every
                         batch norm, `after_train.{bn}.running_mean/var` (the running
                         statistics after that train-mode pass)
  manifest.json          name -> igo model name, input shape, classes

The models are written out inline from the files igo follows, so the script needs only
torch (and torchvision for `resnet34-imagenet`, skipped if it is missing):

  resnet18            kuangliu/pytorch-cifar models/resnet.py ResNet18(), 10 classes
  resnet20-w16        the same ResNet class with widths 16/32/64 and [3,3,3] blocks
                      (He et al.'s CIFAR ResNet-20 with 1x1-conv shortcuts)
  wrn-16-4            xternalz/WideResNet-pytorch wideresnet.py WideResNet(16, 10, 4)
  resnet34-imagenet   torchvision.models.resnet34(num_classes=1000), 224x224

The igo side is the ignored test `pytorch_exports_give_the_same_logits` in
experiments/tests/models.rs:

  python3 -m venv bench/.venv && bench/.venv/bin/pip install torch torchvision safetensors
  bench/.venv/bin/python bench/export_state_dict.py target/torch-reference
  IGO_TORCH_REFERENCE=target/torch-reference \
      cargo test -p igo-experiments --test models -- --ignored pytorch_exports --nocapture
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file


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


def models():
    yield "resnet18", "resnet18", (3, 32, 32), 10, lambda: ResNet([2, 2, 2, 2])
    yield "resnet20-w16", "resnet20-w16", (3, 32, 32), 10, lambda: ResNet([3, 3, 3], (16, 32, 64))
    yield "wrn-16-4", "wrn-16-4", (3, 32, 32), 10, lambda: WideResNet(16, 10, 4)
    try:
        import torchvision
    except ImportError:
        print("torchvision missing: skipping resnet34-imagenet", file=sys.stderr)
        return
    yield ("resnet34-imagenet", "resnet34-imagenet", (3, 224, 224), 1000,
           lambda: torchvision.models.resnet34(num_classes=1000))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "target/torch-reference"
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    manifest = {}
    for file_name, igo_name, shape, classes, make in models():
        model = make().float()
        # non-trivial batch-norm statistics and affine parameters
        model.train()
        with torch.no_grad():
            for _ in range(3):
                model(torch.randn(4, *shape) * 2.0 + 0.5)
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
        x = torch.randn(2, *shape)
        model.eval()
        with torch.no_grad():
            logits_eval = model(x)
        state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
        model.train()
        with torch.no_grad():
            logits_train = model(x)
        io = {"input": x, "logits_eval": logits_eval, "logits_train": logits_train}
        for k, v in model.state_dict().items():
            if k.endswith("running_mean") or k.endswith("running_var"):
                io[f"after_train.{k}"] = v.detach().clone().contiguous()
        save_file(state, os.path.join(out_dir, f"{file_name}.safetensors"))
        save_file(io, os.path.join(out_dir, f"{file_name}.io.safetensors"))
        n_params = sum(p.numel() for p in model.parameters())
        manifest[file_name] = {"model": igo_name, "input": list(shape), "classes": classes,
                               "parameters": n_params, "torch": torch.__version__}
        print(f"{file_name}: {n_params} parameters, {len(state)} state_dict tensors")
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
