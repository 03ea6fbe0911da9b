#!/usr/bin/env bash
# One training epoch of a CIFAR network on a GPU, igo's CUDA build against PyTorch, on
# the same synthetic CIFAR-100-format data (random images and labels, seeded; nothing is
# downloaded): the speed check of the CUDA path, not an accuracy measurement.
#
# Usage: scripts/gpu-epoch.sh IGO_DIST_DIR [MODEL (resnet18)] [BATCH (128)] [N_TRAIN (50000)]
#   IGO_DIST_DIR: the folder scripts/build-cuda.sh packaged (igo + run-igo-cuda.sh).
# Writes $OUT (default ./gpu-epoch-out)/{igo.log,torch.log,summary.txt}.
set -euo pipefail
DIST="${1:?usage: gpu-epoch.sh IGO_DIST_DIR [MODEL] [BATCH] [N_TRAIN]}"
MODEL="${2:-resnet18}"
BATCH="${3:-128}"
N="${4:-50000}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$PWD/gpu-epoch-out}"
DATA="$(mktemp -d)/cifar-100-binary"
mkdir -p "$OUT" "$DATA"
python3 - "$DATA" "$N" <<'PY'
import sys, numpy as np
d, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
for name, count in (("train.bin", n), ("test.bin", 10000)):
    rec = np.empty((count, 3074), dtype=np.uint8)
    rec[:, 0] = rng.integers(0, 20, count)
    rec[:, 1] = rng.integers(0, 100, count)
    rec[:, 2:] = rng.integers(0, 256, (count, 3072))
    rec.tofile(f"{d}/{name}")
PY
"$DIST/run-igo-cuda.sh" --check > "$OUT/ldd.txt"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$OUT/gpu.txt"
start=$(date +%s%N)
(while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader >> "$OUT/memory.txt"; sleep 2; done) &
MON=$!
set +e
"$DIST/run-igo-cuda.sh" train --model "$MODEL" --data "cifar100:$DATA" --device cuda \
    --epochs 1 --lr 0.1 --batch "$BATCH" --seed 0 --out "$OUT/run" ${IGO_FLAGS:-} > "$OUT/igo.log" 2>&1
status=$?
set -e
igo_s=$(( ($(date +%s%N) - start) / 1000000 ))
kill "$MON" 2>/dev/null || true
python3 - "$DATA" "$N" "$MODEL" "$BATCH" "$ROOT/bench" > "$OUT/torch.log" 2>&1 <<'PY'
import sys, time, numpy as np, torch
data, n, model_name, batch, bench = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
sys.path.insert(0, bench)
import torch_models
torch.manual_seed(0)
raw = np.fromfile(f"{data}/train.bin", dtype=np.uint8).reshape(n, 3074)
x = torch.tensor(raw[:, 2:].reshape(n, 3, 32, 32), dtype=torch.float32).div_(255).cuda()
y = torch.tensor(raw[:, 1].astype(np.int64)).cuda()
model = torch_models.build(model_name, classes=100).cuda()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
model.train()
def epoch():
    perm = torch.randperm(n, device="cuda")
    for i in range(0, n, batch):
        idx = perm[i:i + batch]
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    torch.cuda.synchronize()
t = time.time(); epoch(); first = time.time() - t
t = time.time(); epoch(); second = time.time() - t
print(f"torch {torch.__version__} {model_name} batch {batch}: first epoch {first:.2f} s, second epoch {second:.2f} s, {n/second:.0f} img/s")
PY
{
  echo "gpu: $(cat "$OUT/gpu.txt")"
  echo "igo train (exit $status; 1 epoch incl. start-up, data load, test evaluation, C² and checkpoint): ${igo_s} ms; peak memory.used $(sort -n "$OUT/memory.txt" | tail -n 1) MiB"
  tail -n 5 "$OUT/igo.log"
  cat "$OUT/torch.log"
} > "$OUT/summary.txt"
cat "$OUT/summary.txt"
