#!/usr/bin/env bash
# Monte-Carlo smoothing throughput, igo vs NumPy, side by side in one run.
#
# Workload: f̂_δ(x) for Rastrigin d = 1000, GISO kernel, δ = 0.5 (see bench/mc_smoothing.py
# and benches/mc_throughput.rs). Installs NumPy into bench/.venv on first use.
# Usage: bench/mc_vs_numpy.sh [SAMPLES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-20000}
rounds=${2:-3}
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet numpy
fi
cargo build --release --bench mc_throughput --quiet 2>/dev/null || cargo bench --no-run --bench mc_throughput
igo_bin=$(ls -t target/release/deps/mc_throughput-* | grep -v '\.d$' | head -n 1)
echo "round  igo samples/s (threads)   numpy samples/s   ratio igo/numpy"
for r in $(seq 1 "$rounds"); do
  ours=$("$igo_bin" --samples "$samples" --json)
  theirs=$(bench/.venv/bin/python bench/mc_smoothing.py --samples "$samples" --seed "$r")
  python3 - "$ours" "$theirs" "$r" <<'PY'
import json, sys
a, b, r = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
print(f"{r:>5}  {a['samples_per_s']:>12.0f} ({a['threads']})  {a['samples_per_s_1thread']:>12.0f} (1)  "
      f"{b['samples_per_s']:>12.0f}   {a['samples_per_s']/b['samples_per_s']:.2f} "
      f"(1 thread: {a['samples_per_s_1thread']/b['samples_per_s']:.2f})   "
      f"z_igo={a['z']:.2f} z_numpy={b['z']:.2f}")
PY
done
