// A model loader for the make-room scenario: it reads its "weights" into memory it touches page by
// page (WEIGHTS_PERMILLE of MemTotal), beside a copy buffer of COPY_PERMILLE that a real loader uses to
// stage them (into CUDA memory, say) and frees once loaded. Then it is ready: it writes the time to
// READY_FILE and serves, touching its weights every 0.2 s, until stopped.
//
//   loader WEIGHTS_PERMILLE COPY_PERMILLE READY_FILE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "scenario_common.h"

static uint8_t* fill(size_t bytes, uint64_t* seed) {
  uint8_t* set = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (set == MAP_FAILED) die("mmap");
  for (size_t offset = 0; offset < bytes; offset += kStepBytes) {
    fillPages(set + offset, bytes - offset < kStepBytes ? bytes - offset : kStepBytes, seed);
  }
  return set;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: loader WEIGHTS_PERMILLE COPY_PERMILLE READY_FILE\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const uint64_t total = memTotalBytes();
  const size_t weights = pageAligned(total * strtoull(argv[1], NULL, 10) / 1000);
  const size_t copy = pageAligned(total * strtoull(argv[2], NULL, 10) / 1000);
  uint64_t seed = 0x2545f4914f6cdd1du;
  const double started = monotonicS();
  printf("loader: loading %zu MiB with a %zu MiB copy buffer t=%.6f\n", weights >> 20, copy >> 20,
         realtimeS());
  uint8_t* buffer = fill(copy, &seed);
  volatile uint8_t* set = fill(weights, &seed);
  munmap(buffer, copy);
  FILE* ready = fopen(argv[3], "w");
  if (ready == NULL) die("ready file");
  fprintf(ready, "%.6f %.3f\n", realtimeS(), monotonicS() - started);
  fclose(ready);
  printf("loader: ready after %.3f s t=%.6f\n", monotonicS() - started, realtimeS());
  for (uint8_t round = 1;; ++round) {
    for (size_t offset = 0; offset < weights; offset += kPageBytes) set[offset] = round;
    sleepS(0.2);
  }
}
