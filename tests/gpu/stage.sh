#!/usr/bin/env bash
# Assembles the folder the real-GPU test runs from, for a machine with an NVIDIA GPU and its driver but
# neither a package registry nor jmem's build dependencies:
#
#   tests/gpu/stage.sh [BUILD_DIR] [DEST]     (defaults: build-gpu and gpu-stage in the checkout)
#
# DEST gets jmemd and gpu_bench from BUILD_DIR (debug information stripped), the allocator built here
# with nvcc (CUDA's runtime linked statically: the other machine needs only the driver), run_on_gpu.sh,
# compare_gpu.py, and in DEST/lib every shared library jmemd and gpu_bench need except the C library's
# own, for LD_LIBRARY_PATH. Build first: ninja -C BUILD_DIR jmemd gpu_bench
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(realpath -m "${1:-$root/build-gpu}")
dest=$(realpath -m "${2:-$root/gpu-stage}")

die() {
  echo "stage.sh: $*" >&2
  exit 1
}

for binary in daemon/jmemd tests/bench/gpu_bench; do
  [[ -x $build/$binary ]] || die "$build/$binary is missing: build it first (ninja -C $build jmemd gpu_bench)"
done
nvcc=$(command -v nvcc || true)
[[ -n $nvcc ]] || nvcc=/usr/local/cuda/bin/nvcc
[[ -x $nvcc ]] || die "nvcc not found (on PATH or in /usr/local/cuda/bin): it builds the allocator"

rm -rf "$dest"
mkdir -p "$dest/lib"
strip --strip-debug -o "$dest/jmemd" "$build/daemon/jmemd"
strip --strip-debug -o "$dest/gpu_bench" "$build/tests/bench/gpu_bench"
cp "$here/run_on_gpu.sh" "$here/compare_gpu.py" "$dest/"

# sm_90 code for the H100 and H200, and PTX that newer GPUs compile at load time.
"$nvcc" -O2 -std=c++17 -cudart static \
  -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90 \
  -o "$dest/alloc" "$here/alloc.cu"

# Every library the dynamic linker resolves for them, but the C library's, which must be the machine's own.
ldd "$dest/jmemd" "$dest/gpu_bench" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
  while read -r library; do
    case $(basename "$library") in
      libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*) ;;
      *) cp -L "$library" "$dest/lib/" ;;
    esac
  done
for needed in libsdbus-c++.so.1 libspdlog.so.1.10 libfmt.so.9 libtomlplusplus.so.3 libsystemd.so.0; do
  [[ -e $dest/lib/$needed ]] || die "ldd did not resolve $needed for jmemd"
done

echo "Staged in $dest ($(du -sh "$dest" | cut -f1)); on the GPU machine run: $dest/run_on_gpu.sh"
