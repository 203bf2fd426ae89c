// The protected workload of the OOM scenario: a large working set that it keeps touching, with a
// peak that passes. It sizes the set from MemTotal, holds the peak for a while, then drops to a
// smaller set and touches that until it is stopped.
//
//   inference PEAK_PERMILLE LOW_PERMILLE PEAK_HOLD_S MARKER_DIR
//
// It creates MARKER_DIR/inference-peak once the peak is resident and MARKER_DIR/inference-low once
// the peak has passed, so the scenario can start the batch at the right moment. Each pass over the
// peak is a round of its work: MARKER_DIR/inference-rounds.txt gets the time each one ended (kept in
// memory until the peak passes, so the measurement adds no I/O to the ramp).
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "scenario_common.h"

// Writes one byte in each page, so the whole set stays resident and recently used.
static void touch(volatile uint8_t* set, size_t bytes, uint8_t value) {
  for (size_t offset = 0; offset < bytes; offset += kPageBytes) set[offset] = value;
}

static void writeRounds(const char* dir, const double* ends, size_t count) {
  char path[4096];
  snprintf(path, sizeof path, "%s/inference-rounds.txt", dir);
  FILE* out = fopen(path, "w");
  if (out == NULL) die("cannot create the rounds file");
  for (size_t i = 0; i < count; ++i) fprintf(out, "%.6f\n", ends[i]);
  if (fclose(out) != 0) die("cannot write the rounds file");
}

static void mark(const char* dir, const char* name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("cannot create marker");
  close(fd);
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: inference PEAK_PERMILLE LOW_PERMILLE PEAK_HOLD_S MARKER_DIR\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const uint64_t total_bytes = memTotalBytes();
  const size_t peak_bytes = pageAligned(total_bytes * strtoull(argv[1], NULL, 10) / 1000);
  const size_t low_bytes = pageAligned(total_bytes * strtoull(argv[2], NULL, 10) / 1000);
  const double hold_s = strtod(argv[3], NULL);
  if (low_bytes == 0 || low_bytes >= peak_bytes) die("LOW_PERMILLE must be above 0 and below PEAK_PERMILLE");

  uint64_t seed = 0x2545f4914f6cdd1du;
  uint8_t* set = mmap(NULL, peak_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (set == MAP_FAILED) die("mmap");
  printf("inference: allocating %zu MiB of MemTotal %llu MiB t=%.6f\n", peak_bytes >> 20,
         (unsigned long long)(total_bytes >> 20), realtimeS());
  for (size_t done = 0; done < peak_bytes; done += kStepBytes) {
    size_t len = peak_bytes - done < kStepBytes ? peak_bytes - done : kStepBytes;
    fillPages(set + done, len, &seed);
  }
  printf("inference: peak of %zu MiB resident t=%.6f\n", peak_bytes >> 20, realtimeS());
  mark(argv[4], "inference-peak");

  // A round takes at least the 0.1 s pause: room for every one of them.
  const size_t max_rounds = (size_t)(hold_s * 10) + 16;
  double* round_ends = calloc(max_rounds, sizeof *round_ends);
  if (round_ends == NULL) die("calloc");
  const double peak_end_s = monotonicS() + hold_s;
  unsigned pass = 0;
  while (monotonicS() < peak_end_s && pass < max_rounds) {
    touch(set, peak_bytes, (uint8_t)++pass);
    round_ends[pass - 1] = realtimeS();
    sleepS(0.1);
  }
  // The peak passes: the pages above the smaller set go back to the kernel.
  if (munmap(set + low_bytes, peak_bytes - low_bytes) != 0) die("munmap");
  printf("inference: peak passed after %u passes, working set now %zu MiB t=%.6f\n", pass, low_bytes >> 20,
         realtimeS());
  writeRounds(argv[4], round_ends, pass);
  free(round_ends);
  mark(argv[4], "inference-low");

  double next_report_s = monotonicS() + 5;
  for (;;) {
    touch(set, low_bytes, (uint8_t)++pass);
    if (monotonicS() >= next_report_s) {
      printf("inference: alive, pass %u, %zu MiB t=%.6f\n", pass, low_bytes >> 20, realtimeS());
      next_report_s += 5;
    }
    sleepS(0.1);
  }
}
