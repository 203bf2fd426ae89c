// What the scenario's two workloads share: MemTotal, clocks, sizes.
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kPageBytes = 4096 };
static const size_t kStepBytes = (size_t)16 << 20;  // one batch step; also the inference's fill step

static inline void die(const char* what) {
  perror(what);
  exit(1);
}

static inline uint64_t memTotalBytes(void) {
  FILE* meminfo = fopen("/proc/meminfo", "r");
  if (meminfo == NULL) die("/proc/meminfo");
  unsigned long long kib = 0;
  if (fscanf(meminfo, "MemTotal: %llu kB", &kib) != 1 || kib == 0) die("MemTotal");
  fclose(meminfo);
  return (uint64_t)kib * 1024;
}

static inline size_t pageAligned(uint64_t bytes) {
  return (size_t)(bytes / kPageBytes * kPageBytes);
}

static inline double clockS(clockid_t clock) {
  struct timespec now;
  clock_gettime(clock, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}
static inline double realtimeS(void) {
  return clockS(CLOCK_REALTIME);
}
static inline double monotonicS(void) {
  return clockS(CLOCK_MONOTONIC);
}

// Fills whole pages as a model's or a heap's data compresses: half of each page pseudo-random, half
// zero, about 2:1 in zram. Pages of one repeated byte would cost zram nothing (same-filled pages)
// and hide what swapping to it costs.
static inline void fillPages(uint8_t* pages, size_t bytes, uint64_t* seed) {
  for (size_t page = 0; page + kPageBytes <= bytes; page += kPageBytes) {
    uint64_t* words = (uint64_t*)(pages + page);
    for (size_t i = 0; i < kPageBytes / 2 / sizeof *words; ++i) {
      *seed ^= *seed << 13;
      *seed ^= *seed >> 7;
      *seed ^= *seed << 17;
      words[i] = *seed;
    }
    memset(pages + page + kPageBytes / 2, 0, kPageBytes / 2);
  }
}

static inline void sleepS(double seconds) {
  struct timespec span = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
  while (nanosleep(&span, &span) != 0 && errno == EINTR) {
  }
}
