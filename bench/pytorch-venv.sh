#!/usr/bin/env bash
# Creates bench/.venv with PyTorch from PyPI (CPU is enough) on first use, plus any extra
# packages named as arguments, and prints the path of its python. Re-running is cheap: it
# installs only what `import` cannot find. Used by bench/models_vs_pytorch.sh and by
# `igo bench train` (bench/train_step.py).
#
# Usage: bench/pytorch-venv.sh [PACKAGE ...]     e.g. bench/pytorch-venv.sh torchvision safetensors
# Needs python3 with the venv module (Debian: apt-get install python3-venv) and access to PyPI.
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
venv="$bench/.venv"
python="$venv/bin/python"
packages=(torch numpy "$@")
modules=()
for p in "${packages[@]}"; do
  modules+=("${p//-/_}")
done
imports=$(IFS=,; echo "${modules[*]}")
if [ -x "$python" ] && "$python" -c "import $imports" 2>/dev/null; then
  echo "$python"
  exit 0
fi
if [ ! -x "$python" ]; then
  python3 -m venv "$venv" >&2 || {
    echo "error: cannot create $venv (python3 -m venv failed; on Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi
"$python" -m pip install --quiet --disable-pip-version-check "${packages[@]}" >&2 || {
  echo "error: pip could not install ${packages[*]} into $venv" >&2
  exit 1
}
echo "$python"
