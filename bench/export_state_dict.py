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

The models (bench/torch_models.py, written out inline from the files igo follows) need
only torch (and torchvision for `resnet34-imagenet`, skipped if it is missing):

  resnet18            kuangliu/pytorch-cifar models/resnet.py ResNet18(), 10 classes
  resnet20-w16        the same ResNet class with widths 16/32/64 and [3,3,3] blocks
                      (He et al.'s CIFAR ResNet-20 with 1x1-conv shortcuts)
  wrn-16-4            xternalz/WideResNet-pytorch wideresnet.py WideResNet(16, 10, 4)
  resnet34-imagenet   torchvision.models.resnet34(num_classes=1000), 224x224

The igo side is the ignored test `pytorch_exports_give_the_same_logits` in
experiments/tests/models.rs:

  bench/pytorch-venv.sh torchvision safetensors
  bench/.venv/bin/python bench/export_state_dict.py target/torch-reference
  IGO_TORCH_REFERENCE=target/torch-reference \
      cargo test -p igo-experiments --test models -- --ignored pytorch_exports --nocapture
"""
import json
import os
import sys

import torch
import torch.nn as nn
from safetensors.torch import save_file


from torch_models import ResNet, WideResNet  # bench/ is on sys.path


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
