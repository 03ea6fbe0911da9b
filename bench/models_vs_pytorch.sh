#!/usr/bin/env bash
# igo's models against their PyTorch references: same state_dict, same input, logits
# compared in eval and train mode, and the running statistics after the train-mode pass.
#
# Models: kuangliu ResNet-18, ResNet-20 (w16, 1x1 shortcuts), xternalz WRN-16-4,
# torchvision resnet34 (see bench/export_state_dict.py). Installs torch, torchvision and
# safetensors into bench/.venv on first use (bench/pytorch-venv.sh; CPU is enough).
# Usage: bench/models_vs_pytorch.sh [EXPORT_DIR]   (default target/torch-reference)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/torch-reference}
python=$(bench/pytorch-venv.sh torchvision safetensors)
"$python" bench/export_state_dict.py "$dir"
IGO_TORCH_REFERENCE="$(cd "$dir" && pwd)" \
  cargo test -p igo-experiments --test models -- --ignored pytorch_exports --nocapture
