#!/usr/bin/env bash
# The real-GPU test of jmem's NVML source, on a machine with an NVIDIA GPU and its driver. Run it from the
# folder tests/gpu/stage.sh made (jmemd, gpu_bench, alloc, compare_gpu.py, lib/), as root:
#
#   ./run_on_gpu.sh [SMALL_MIB] [BIG_MIB]      (defaults 1024 and 2048)
#
# 1. Two allocators hold SMALL_MIB and BIG_MIB of GPU memory; `jmemd --dump` must report each one's
#    processes[].gpu_bytes as nvidia-smi --query-compute-apps reports its used_memory (within 1 MiB), and
#    each GPU's total, reserved and used memory as nvidia-smi --query-gpu does (within 1 MiB).
# 2. gpu_bench measures a GPU sample's cost with the real libnvidia-ml.so.1, the allocators running.
# 3. The small one frees its memory and its CUDA context (SIGUSR1), the big one exits (SIGTERM): the
#    next dump must show neither on the GPU, like nvidia-smi.
# The tables go to stdout and, when OUT is set, to $OUT/gpu_results.txt. Exit status 0 when every check
# holds, 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
small_mib=${1:-1024}
big_mib=${2:-2048}
ready_timeout_s=60
work=$(mktemp -d)
results=$work/results.txt
allocators=()
small=""  # the allocators' PIDs, set by start_allocator
big=""
status=0

die() {
  echo "run_on_gpu.sh: $*" >&2
  exit 1
}

# shellcheck disable=SC2317  # run by the trap
cleanup() {
  local pid
  for pid in "${allocators[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${allocators[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n ${OUT:-} && -f $results ]]; then cp "$results" "$OUT/gpu_results.txt"; fi
  rm -rf "$work"
}
trap cleanup EXIT

# jmem's binaries with the libraries staged beside them; nvidia-smi and the allocator with the machine's own.
staged() { LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" timeout 120 "$@"; }
say() { echo "$*" | tee -a "$results"; }

for file in jmemd gpu_bench alloc compare_gpu.py; do
  [[ -e $here/$file ]] || die "$here/$file is missing: stage the folder with tests/gpu/stage.sh"
done
command -v nvidia-smi >/dev/null || die "nvidia-smi not found: this test needs an NVIDIA GPU and its driver"
command -v python3 >/dev/null || die "python3 not found: compare_gpu.py needs it"
timeout 60 nvidia-smi -L >/dev/null || die "nvidia-smi cannot reach the GPU"
staged "$here/jmemd" --version >/dev/null || die "jmemd does not start: ldd $here/jmemd with LD_LIBRARY_PATH=$here/lib"
[[ -z $(timeout 60 nvidia-smi --query-compute-apps=pid --format=csv,noheader) ]] ||
  echo "run_on_gpu.sh: other processes use the GPU; they are compared too" >&2

# Starts an allocator and waits for its "ready" line; its PID goes to the variable named $2.
start_allocator() {
  local mib=$1 name=$2 pid deadline
  "$here/alloc" "$mib" 600 >"$work/$name.out" 2>"$work/$name.err" &
  pid=$!
  allocators+=("$pid")
  deadline=$((SECONDS + ready_timeout_s))
  until grep -q '^ready' "$work/$name.out"; do
    kill -0 "$pid" 2>/dev/null || die "$name ($mib MiB) exited before it was ready: $(cat "$work/$name.err")"
    ((SECONDS < deadline)) || die "$name ($mib MiB) was not ready within ${ready_timeout_s} s"
    sleep 0.1
  done
  printf -v "$name" '%s' "$pid"
}

# Waits for a line in an allocator's output, or for its exit.
wait_for_line() {
  local name=$1 line=$2 deadline=$((SECONDS + ready_timeout_s))
  until grep -q "^$line" "$work/$name.out"; do
    ((SECONDS < deadline)) || die "$name did not print \"$line\" within ${ready_timeout_s} s"
    sleep 0.1
  done
}

snapshot() {
  staged "$here/jmemd" --dump --log-level warning >"$work/$1.json" || die "jmemd --dump failed"
  timeout 60 nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits >"$work/$1.apps.csv"
  timeout 60 nvidia-smi --query-gpu=index,uuid,memory.total,memory.reserved,memory.used \
    --format=csv,noheader,nounits >"$work/$1.gpus.csv"
}

compare() {
  if python3 "$here/compare_gpu.py" "$@" | tee -a "$results"; then return 0; fi
  status=1
}

say "jmem real-GPU test: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | paste -sd ';'), $(uname -r)"
start_allocator "$small_mib" small
start_allocator "$big_mib" big
snapshot held
say ""
say "1. Two allocators hold GPU memory (small: $small_mib MiB, big: $big_mib MiB)"
compare held "$work/held.json" "$work/held.apps.csv" "$work/held.gpus.csv" \
  "small:$small:$small_mib" "big:$big:$big_mib"

say ""
say "2. What a GPU sample costs with this machine's libnvidia-ml.so.1, the two allocators running (gpu_bench)"
if ! staged "$here/gpu_bench" --samples 2000 | tee -a "$results"; then status=1; fi

kill -USR1 "$small"
wait_for_line small freed
kill -TERM "$big"
big_status=0
wait "$big" || big_status=$?
[[ $big_status -eq 0 ]] || die "the big allocator exited with status $big_status: $(cat "$work/big.err")"
# The driver lets go of an exited process's context a moment later: wait until nvidia-smi agrees.
deadline=$((SECONDS + 10))
while timeout 60 nvidia-smi --query-compute-apps=pid --format=csv,noheader | grep -qxE "$small|$big" &&
  ((SECONDS < deadline)); do
  sleep 0.2
done
snapshot gone
say ""
say "3. small freed its memory and context (SIGUSR1), big exited (SIGTERM)"
compare gone "$work/gone.json" "$work/gone.apps.csv" "small:$small:freed" "big:$big:exited"


say ""
say "$([[ $status -eq 0 ]] && echo "PASS: every check holds" || echo "FAIL: see the rows marked FAIL")"
exit "$status"
