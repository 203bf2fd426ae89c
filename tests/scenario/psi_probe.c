// The PSI latency benchmark's side inside the VM: the kernel's view of when memory stall crossed a
// threshold and of when the governor's freeze took effect.
//
//   psi_probe load FILE
//       Reads FILE from start to end through a mapping, over and over: in a unit whose MemoryMax is
//       below the file's size every pass reads back what the last one evicted, and the reclaim that
//       makes room is memory stall (PSI). It never sleeps long, so a freeze lands at once.
//   psi_probe calm SOME_PERMYRIAD FULL_PERMYRIAD TIMEOUT_S
//       Waits until memory PSI some and full avg10 are at most these (1/100 %); 1 on timeout.
//   psi_probe episode STALL_US WINDOW_US CGROUP_DIR TIMEOUT_S FILE...
//       Registers its own PSI trigger "some STALL_US WINDOW_US" on /proc/pressure/memory, starts one
//       loader (as above) per FILE inside CGROUP_DIR, and waits for the trigger (T0) and for CGROUP_DIR's
//       cgroup.events to say "frozen 1" (T1), both stamped with CLOCK_MONOTONIC as poll(2) returns.
//       Then it kills the loaders (a fatal signal gets through the freezer) and prints one line:
//         episode t0_s=... t1_s=... t0_realtime_s=... latency_ms=...
//       with t1_s=- and latency_ms=- when nothing froze the cgroup within TIMEOUT_S. Exit 0, or 1
//       when the probe itself failed.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenario_common.h"

static int load(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  struct stat info;
  if (fstat(fd, &info) != 0 || info.st_size < kPageBytes) die("the load file is empty");
  const size_t bytes = (size_t)info.st_size;
  const volatile uint8_t* map = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) die("mmap");
  unsigned sum = 0;
  for (;;) {
    for (size_t offset = 0; offset < bytes; offset += kPageBytes) sum += map[offset];
  }
  return (int)sum;
}

// "some avg10=1.23 ..." and "full avg10=..." of /proc/pressure/memory, in 1/100 %.
static int readAvg10(unsigned* some, unsigned* full) {
  FILE* file = fopen("/proc/pressure/memory", "r");
  if (file == NULL) return -1;
  char kind[8];
  unsigned whole = 0, fraction = 0;
  int found = 0;
  while (fscanf(file, "%7s avg10=%u.%u %*[^\n]", kind, &whole, &fraction) == 3) {
    if (strcmp(kind, "some") == 0) *some = whole * 100 + fraction, found |= 1;
    if (strcmp(kind, "full") == 0) *full = whole * 100 + fraction, found |= 2;
  }
  fclose(file);
  return found == 3 ? 0 : -1;
}

static int calm(unsigned some_max, unsigned full_max, double timeout_s) {
  const double deadline = monotonicS() + timeout_s;
  unsigned some = 0, full = 0;
  for (;;) {
    if (readAvg10(&some, &full) != 0) die("/proc/pressure/memory");
    if (some <= some_max && full <= full_max) return 0;
    if (monotonicS() >= deadline) {
      fprintf(stderr, "psi_probe: still some %u.%02u%% full %u.%02u%% after %.0fs\n", some / 100, some % 100,
              full / 100, full % 100, timeout_s);
      return 1;
    }
    sleepS(0.2);
  }
}

// Whether cgroup.events (read afresh from the start) says "frozen 1".
static int frozen(int events_fd) {
  char text[256];
  const ssize_t n = pread(events_fd, text, sizeof text - 1, 0);
  if (n < 0) die("cgroup.events");
  text[n] = '\0';
  return strstr(text, "frozen 1") != NULL;
}

enum { kMaxLoaders = 8 };

static int episode(const char* stall_us, const char* window_us, const char* cgroup_dir, double timeout_s,
                   char** files, int file_count) {
  char path[4096];
  snprintf(path, sizeof path, "%s/cgroup.events", cgroup_dir);
  const int events_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (events_fd < 0) die(path);
  if (frozen(events_fd)) {
    fprintf(stderr, "psi_probe: %s is frozen before the episode\n", cgroup_dir);
    return 1;
  }
  const int trigger_fd = open("/proc/pressure/memory", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (trigger_fd < 0) die("/proc/pressure/memory");
  char line[64];
  const int length = snprintf(line, sizeof line, "some %s %s", stall_us, window_us);
  if (write(trigger_fd, line, (size_t)length + 1) < 0) die("register the PSI trigger");

  snprintf(path, sizeof path, "%s/cgroup.procs", cgroup_dir);
  pid_t loaders[kMaxLoaders];
  for (int i = 0; i < file_count; ++i) {
    loaders[i] = fork();
    if (loaders[i] < 0) die("fork");
    if (loaders[i] == 0) {
      // Into the unit's cgroup first, so that every page it reads is charged there.
      const int procs = open(path, O_WRONLY | O_CLOEXEC);
      if (procs < 0 || write(procs, "0", 1) != 1) die(path);
      close(procs);
      return load(files[i]);
    }
  }

  double t0 = -1, t0_realtime = -1, t1 = -1;
  const double deadline = monotonicS() + timeout_s;
  while (t1 < 0) {
    const double left_s = deadline - monotonicS();
    if (left_s <= 0) break;
    struct pollfd fds[2] = {{.fd = trigger_fd, .events = POLLPRI}, {.fd = events_fd, .events = POLLPRI}};
    const int ready = poll(fds, 2, (int)(left_s * 1000) + 1);
    const double now = monotonicS();
    if (ready < 0 && errno != EINTR) die("poll");
    if (ready <= 0) continue;
    if (fds[0].revents & POLLERR) die("the PSI trigger was closed");
    if ((fds[0].revents & POLLPRI) && t0 < 0) {
      t0 = now;
      t0_realtime = realtimeS();
    }
    if ((fds[1].revents & (POLLPRI | POLLERR)) && frozen(events_fd)) t1 = now;
  }
  for (int i = 0; i < file_count; ++i) kill(loaders[i], SIGKILL);
  for (int i = 0; i < file_count; ++i) {
    while (waitpid(loaders[i], NULL, 0) < 0 && errno == EINTR) {
    }
  }
  if (t0 < 0) {
    printf("episode t0_s=- t1_s=%s t0_realtime_s=- latency_ms=-\n", t1 < 0 ? "-" : "seen");
  } else if (t1 < 0) {
    printf("episode t0_s=%.6f t1_s=- t0_realtime_s=%.6f latency_ms=-\n", t0, t0_realtime);
  } else {
    printf("episode t0_s=%.6f t1_s=%.6f t0_realtime_s=%.6f latency_ms=%.1f\n", t0, t1, t0_realtime,
           (t1 - t0) * 1000);
  }
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 3 && strcmp(argv[1], "load") == 0) return load(argv[2]);
  if (argc == 5 && strcmp(argv[1], "calm") == 0) {
    return calm((unsigned)strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10), strtod(argv[4], NULL));
  }
  if (argc >= 7 && argc - 6 <= kMaxLoaders && strcmp(argv[1], "episode") == 0) {
    return episode(argv[2], argv[3], argv[4], strtod(argv[5], NULL), argv + 6, argc - 6);
  }
  fprintf(stderr,
          "usage: psi_probe load FILE | calm SOME_PERMYRIAD FULL_PERMYRIAD TIMEOUT_S |"
          " episode STALL_US WINDOW_US CGROUP_DIR TIMEOUT_S FILE...\n");
  return 2;
}
