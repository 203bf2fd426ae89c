// The low-priority workload of the OOM scenario: allocates step by step, touching every page, up
// to a share of MemTotal, holds it briefly, frees it and exits 0. Each step is logged with its
// wall-clock time, so the scenario can tell how far it got and when it was held back.
//
//   batch TARGET_PERMILLE STEP_PAUSE_S HOLD_S
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "scenario_common.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: batch TARGET_PERMILLE STEP_PAUSE_S HOLD_S\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const uint64_t total_bytes = memTotalBytes();
  const size_t steps = (size_t)(total_bytes * strtoull(argv[1], NULL, 10) / 1000 / kStepBytes);
  const double pause_s = strtod(argv[2], NULL);
  const double hold_s = strtod(argv[3], NULL);
  uint64_t seed = 0x9e3779b97f4a7c15u;
  uint8_t** chunks = calloc(steps, sizeof *chunks);
  if (chunks == NULL || steps == 0) die("nothing to allocate");

  printf("batch: start, target %zu MiB in %zu steps t=%.6f\n", (steps * kStepBytes) >> 20, steps,
         realtimeS());
  for (size_t i = 0; i < steps; ++i) {
    chunks[i] = mmap(NULL, kStepBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (chunks[i] == MAP_FAILED) die("mmap");
    fillPages(chunks[i], kStepBytes, &seed);
    printf("batch: step %zu %zu MiB t=%.6f\n", i + 1, ((i + 1) * kStepBytes) >> 20, realtimeS());
    sleepS(pause_s);
  }
  printf("batch: holding %zu MiB t=%.6f\n", (steps * kStepBytes) >> 20, realtimeS());
  sleepS(hold_s);
  for (size_t i = 0; i < steps; ++i) munmap(chunks[i], kStepBytes);
  printf("batch: released, done t=%.6f\n", realtimeS());
  return 0;
}
