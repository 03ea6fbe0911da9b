#!/usr/bin/env bash
# Builds the igo binary with the `cuda` (or `cudnn`) feature on a Linux x86-64 machine
# WITHOUT a system CUDA, and packages it with a launcher for a GPU machine.
#
# Recipe (docs: shared notes "cuda-and-data.md"):
#   1. pip-download the CUDA 13.0.x wheels (nvcc, nvvm, crt, runtime, cccl, nvrtc, curand,
#      cublas [+ cudnn]) into .cuda-build/wheels/ (git-ignored; reused on re-runs);
#      CUDA 13.0 because the GPU machines run driver 580 (= CUDA 13.0): PTX from
#      nvcc >= 13.1 would not load there.
#   2. unzip them into one prefix .cuda-build/site/nvidia/cu13/{bin,include,lib,nvvm}
#      (= CUDA_ROOT) and add the unversioned lib*.so symlinks the linker needs (the wheels
#      ship only SONAME files);
#   3. generate a link-time stub libcuda.so from cudarc's driver bindings (candle forces
#      cudarc's dynamic linking and no wheel ships libcuda; the real one comes from the
#      GPU driver at run time);
#   4. cargo build --release --features cuda|cudnn --target-dir target-cuda;
#   5. package the binary (debug info stripped) and run-igo-cuda.sh into
#      .cuda-build/dist/igo-cuda-smXX[-cudnn]/ and a .tar.xz next to it.
#
# Usage: scripts/build-cuda.sh [--compute-cap 90|80] [--cudnn] [--jobs N]
#   --compute-cap 90  sm_90a code for H100/H200 only (default);
#   --compute-cap 80  sm_80 PTX, portable to every GPU from A100 on (JIT-compiled);
#   --cudnn           also link cuDNN 9 (feature `cudnn`);
#   --jobs N          cargo build jobs (default: cargo's).
# Needs: python3 with pip, unzip, gcc, cargo, network access to the package index for
# the first run. Environment: IGO_CUDA_CACHE overrides the cache folder.
set -euo pipefail

# The header comment above, as help text.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

COMPUTE_CAP=90
CUDNN=0
JOBS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --compute-cap) COMPUTE_CAP="${2:-}"; shift 2 || { usage >&2; exit 2; } ;;
        --compute-cap=*) COMPUTE_CAP="${1#*=}"; shift ;;
        --cudnn) CUDNN=1; shift ;;
        --jobs) JOBS=(--jobs "${2:-}"); shift 2 || { usage >&2; exit 2; } ;;
        --jobs=*) JOBS=(--jobs "${1#*=}"); shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "build-cuda.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
case "$COMPUTE_CAP" in
    90|80) ;;
    *) echo "build-cuda.sh: --compute-cap must be 90 (H100/H200) or 80 (portable), got '$COMPUTE_CAP'" >&2; exit 2 ;;
esac
for tool in python3 unzip gcc cargo; do
    command -v "$tool" >/dev/null || { echo "build-cuda.sh: '$tool' is required" >&2; exit 1; }
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${IGO_CUDA_CACHE:-$ROOT/.cuda-build}"
WHEELS="$CACHE/wheels"
SITE="$CACHE/site"
PREFIX="$SITE/nvidia/cu13"
CUDNN_ROOT="$SITE/nvidia/cudnn"
STUBS="$PREFIX/lib/stubs"
DIST="$CACHE/dist"
TARGET_DIR="$ROOT/target-cuda"
log() { printf '[build-cuda %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# --- 1. wheels -------------------------------------------------------------------------
WHEEL_SPECS=(
    nvidia-cuda-nvcc==13.0.88
    nvidia-nvvm==13.0.88
    nvidia-cuda-crt==13.0.88
    nvidia-cuda-runtime==13.0.96
    nvidia-cuda-cccl==13.0.85
    nvidia-cuda-nvrtc==13.0.88
    nvidia-curand==10.4.0.35
    nvidia-cublas==13.0.2.14
)
if [[ $CUDNN == 1 ]]; then
    WHEEL_SPECS+=(nvidia-cudnn-cu13==9.21.1.3)
fi

# The cached wheel of NAME==VERSION, if any (wheel file names use '_' for '-').
cached_wheel() {
    local name="${1%%==*}" version="${1##*==}"
    compgen -G "$WHEELS/${name//-/_}-${version}-*.whl" | head -n 1 || true
}

mkdir -p "$WHEELS" "$SITE"
MISSING=()
for spec in "${WHEEL_SPECS[@]}"; do
    [[ -n "$(cached_wheel "$spec")" ]] || MISSING+=("$spec")
done
if [[ ${#MISSING[@]} -gt 0 ]]; then
    log "downloading ${#MISSING[@]} wheel(s): ${MISSING[*]}"
    # pip takes --platform tags literally (no "or older" expansion): list the manylinux
    # tags the NVIDIA wheels use (2_17/2014 for nvcc, 2_27 for curand, 2_28 for others).
    PLATFORMS=()
    for tag in manylinux_2_28 manylinux_2_27 manylinux_2_26 manylinux_2_24 manylinux_2_17 manylinux2014; do
        PLATFORMS+=(--platform "${tag}_x86_64")
    done
    python3 -m pip download --quiet --no-deps --only-binary=:all: "${PLATFORMS[@]}" \
        --dest "$WHEELS" "${MISSING[@]}"
else
    log "all ${#WHEEL_SPECS[@]} wheels cached in $WHEELS"
fi

# --- 2. one prefix -----------------------------------------------------------------------
for spec in "${WHEEL_SPECS[@]}"; do
    wheel="$(cached_wheel "$spec")"
    [[ -n "$wheel" ]] || { echo "build-cuda.sh: no wheel for $spec in $WHEELS after download" >&2; exit 1; }
    stamp="$SITE/.unzipped-$(basename "$wheel")"
    if [[ ! -e "$stamp" ]]; then
        log "unpacking $(basename "$wheel")"
        unzip -q -o "$wheel" -d "$SITE"
        touch "$stamp"
    fi
done
for required in bin/nvcc bin/ptxas nvvm/bin/cicc include/cuda_runtime.h include/nv/target lib/libcudart.so.13; do
    [[ -e "$PREFIX/$required" ]] || { echo "build-cuda.sh: $PREFIX/$required missing after unpacking" >&2; exit 1; }
done
chmod +x "$PREFIX"/bin/* "$PREFIX"/nvvm/bin/* 2>/dev/null || true

# Unversioned names for the linker: libfoo.so -> libfoo.so.N (the SONAME file).
link_sonames() {
    local dir="$1" f base
    [[ -d "$dir" ]] || return 0
    for f in "$dir"/lib*.so.*; do
        [[ -e "$f" ]] || continue
        base="${f%%.so.*}.so"
        [[ -e "$base" || -L "$base" ]] || ln -s "$(basename "$f")" "$base"
    done
}
link_sonames "$PREFIX/lib"
if [[ $CUDNN == 1 ]]; then
    link_sonames "$CUDNN_ROOT/lib"
    [[ -e "$CUDNN_ROOT/lib/libcudnn.so" ]] || { echo "build-cuda.sh: no libcudnn.so.9 in $CUDNN_ROOT/lib" >&2; exit 1; }
fi

# --- 3. libcuda.so stub ------------------------------------------------------------------
CUDARC_VERSION="$(awk '/^name = "cudarc"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
[[ -n "$CUDARC_VERSION" ]] || { echo "build-cuda.sh: no cudarc in Cargo.lock" >&2; exit 1; }
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
find_cudarc() { compgen -G "$CARGO_HOME_DIR/registry/src/*/cudarc-$CUDARC_VERSION/src/driver/sys/mod.rs" | head -n 1 || true; }
BINDINGS="$(find_cudarc)"
if [[ -z "$BINDINGS" ]]; then
    log "fetching crate sources (cudarc $CUDARC_VERSION)"
    (cd "$ROOT" && cargo fetch --quiet)
    BINDINGS="$(find_cudarc)"
    [[ -n "$BINDINGS" ]] || { echo "build-cuda.sh: cudarc-$CUDARC_VERSION/src/driver/sys/mod.rs not found under $CARGO_HOME_DIR/registry/src" >&2; exit 1; }
fi
STUB_STAMP="$STUBS/.cudarc-$CUDARC_VERSION"
if [[ ! -e "$STUB_STAMP" || ! -e "$STUBS/libcuda.so" ]]; then
    log "generating the libcuda.so link stub from cudarc $CUDARC_VERSION"
    mkdir -p "$STUBS"
    rm -f "$STUBS"/.cudarc-*
    grep -o 'pub unsafe fn cu[A-Za-z0-9_]*' "$BINDINGS" | awk '{ print $4 }' | sort -u \
        | awk '{ printf "int %s(void) { return 100; }\n", $1 }' > "$STUBS/libcuda-stub.c"
    count="$(wc -l < "$STUBS/libcuda-stub.c")"
    [[ "$count" -gt 100 ]] || { echo "build-cuda.sh: only $count driver functions found in $BINDINGS" >&2; exit 1; }
    gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$STUBS/libcuda.so" "$STUBS/libcuda-stub.c"
    touch "$STUB_STAMP"
    log "stub exports $count functions (each returns CUDA_ERROR_NO_DEVICE; link time only)"
fi

# --- 4. build ---------------------------------------------------------------------------
export CUDA_ROOT="$PREFIX" CUDA_HOME="$PREFIX" NVCC="$PREFIX/bin/nvcc" CUDA_COMPUTE_CAP="$COMPUTE_CAP"
export PATH="$PREFIX/bin:$PATH"
# nvcc's helpers (cicc, ptxas) and the build scripts that run them find the toolkit's
# own libraries here; the stub is never on this path.
export LD_LIBRARY_PATH="$PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
FEATURE=cuda
SUFFIX=""
if [[ $CUDNN == 1 ]]; then
    FEATURE=cudnn
    SUFFIX="-cudnn"
    export CUDNN_LIB="$CUDNN_ROOT"
fi
NVCC_VERSION="$("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
[[ "$NVCC_VERSION" == 13.0 ]] || { echo "build-cuda.sh: nvcc reports release '$NVCC_VERSION', expected 13.0" >&2; exit 1; }
log "cargo build --release --features $FEATURE (nvcc $NVCC_VERSION, CUDA_COMPUTE_CAP=$COMPUTE_CAP, target dir $TARGET_DIR)"
START=$(date +%s)
(cd "$ROOT" && cargo build --release --locked --features "$FEATURE" --target-dir "$TARGET_DIR" \
    -p igo --bin igo "${JOBS[@]}")
log "build finished in $(( $(date +%s) - START )) s"

# --- 5. package ------------------------------------------------------------------------
NAME="igo-cuda-sm${COMPUTE_CAP}${SUFFIX}"
OUT="$DIST/$NAME"
rm -rf "$OUT"
mkdir -p "$OUT"
if command -v objcopy >/dev/null; then
    objcopy --strip-debug "$TARGET_DIR/release/igo" "$OUT/igo"
else
    cp "$TARGET_DIR/release/igo" "$OUT/igo"
fi
NEEDED="$(readelf -d "$OUT/igo" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ' || true)"
cat > "$OUT/run-igo-cuda.sh" <<'LAUNCHER'
#!/usr/bin/env bash
# Runs the CUDA build of igo next to this script with the CUDA libraries of a pip-installed
# PyTorch (CUDA 13: site-packages/nvidia/cu13/lib, and nvidia/cudnn/lib for a cuDNN
# build); libcuda.so.1 comes from the GPU driver. Checks with ldd that every library is
# found before starting igo.
#
# Usage: run-igo-cuda.sh [--check] [IGO ARGUMENTS...]
#   --check   only resolve the libraries, print `ldd`, and exit.
# Environment: PYTHON (default python3) locates the site-packages; IGO_CUDA_LIBS (a
# colon-separated list of folders) replaces that search.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="$HERE/igo"
if [[ -n "${IGO_CUDA_LIBS:-}" ]]; then
    LIBS="$IGO_CUDA_LIBS"
else
    # Every folder of the `nvidia` namespace package (PyTorch's CUDA wheels), without
    # importing torch.
    LIBS="$("${PYTHON:-python3}" - <<'PY' 2>/dev/null || true
import importlib.util, os
spec = importlib.util.find_spec("nvidia")
dirs = []
for root in (spec.submodule_search_locations if spec else []):
    for sub in ("cu13/lib", "cudnn/lib"):
        d = os.path.join(root, sub)
        if os.path.isdir(d):
            dirs.append(d)
print(":".join(dirs))
PY
)"
fi
if [[ -z "$LIBS" ]]; then
    echo "run-igo-cuda.sh: no site-packages/nvidia/cu13/lib found with ${PYTHON:-python3};" \
         "install PyTorch for CUDA 13 (pip) or set IGO_CUDA_LIBS" >&2
    exit 1
fi
export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
MISSING="$(ldd "$BIN" | grep 'not found' || true)"
if [[ -n "$MISSING" ]]; then
    echo "run-igo-cuda.sh: libraries not found (LD_LIBRARY_PATH=$LD_LIBRARY_PATH):" >&2
    echo "$MISSING" >&2
    echo "libcuda.so.1 comes from the NVIDIA driver; the others from PyTorch's CUDA 13 wheels." >&2
    exit 1
fi
if [[ "${1:-}" == "--check" ]]; then
    ldd "$BIN"
    exit 0
fi
exec "$BIN" "$@"
LAUNCHER
chmod +x "$OUT/run-igo-cuda.sh"
cat > "$OUT/README.txt" <<EOF
igo $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo unknown), built $(date -u +%Y-%m-%dT%H:%MZ) by scripts/build-cuda.sh
feature: $FEATURE; CUDA 13.0 (nvcc $NVCC_VERSION); CUDA_COMPUTE_CAP=$COMPUTE_CAP
needs (NEEDED entries): $NEEDED
Run on the GPU machine: ./run-igo-cuda.sh --check   then   ./run-igo-cuda.sh train --device cuda ...
EOF
tar -C "$DIST" -cJf "$DIST/$NAME.tar.xz" "$NAME"
log "packaged $OUT ($(du -h "$OUT/igo" | cut -f1) binary; unstripped $(du -h "$TARGET_DIR/release/igo" | cut -f1)) and $DIST/$NAME.tar.xz ($(du -h "$DIST/$NAME.tar.xz" | cut -f1))"
log "needs: $NEEDED"
if [[ " $NEEDED " != *" libcuda.so.1 "* ]]; then
    log "note: the binary links no CUDA library: nothing in the igo command line reaches candle's CUDA device yet"
fi
