// What reading GPU memory from NVML costs a tick, beside what the ledger's own tick costs on this
// machine:
//
//   gpu_bench [--library FILE] [--samples N]
//
// FILE is the NVML library (default libnvidia-ml.so.1: the real one on a GPU machine; ctest runs it
// against the scripted stand-in). Prints the load (dlopen and nvmlInit_v2, once per jmemd), then wall and
// CPU time of each sample after it, and of the ledger's steady tick over /proc. Fails when NVML is not
// available, or, with --strict, when a sample's mean CPU time is above kSampleBudgetMs: timings are
// noisy on shared machines.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "core/text.h"
#include "gpu/gpu_sampler.h"
#include "sources/process_sampler.h"

using namespace jmem;

namespace {

constexpr double kSampleBudgetMs = 1.0;

double threadCpuMs() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

double wallMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Series {
  std::vector<double> wall_ms;
  std::vector<double> cpu_ms;
};

double mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / std::max<double>(1, static_cast<double>(v.size()));
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

void printRow(const char* what, const std::vector<double>& v) {
  std::printf("  %-28s mean %8.3f  median %8.3f  p95 %8.3f  max %8.3f ms\n", what, mean(v), percentile(v, 50),
              percentile(v, 95), percentile(v, 100));
}

template <typename F>
void measure(Series& series, F&& step) {
  const double wall = wallMs();
  const double cpu = threadCpuMs();
  step();
  series.cpu_ms.push_back(threadCpuMs() - cpu);
  series.wall_ms.push_back(wallMs() - wall);
}

}  // namespace

int main(int argc, char** argv) {
  GpuSamplerOptions options;
  std::size_t samples = 1000;
  bool strict = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--library" && i + 1 < argc) {
      options.library = argv[++i];
    } else if (arg == "--samples" && i + 1 < argc) {
      const auto n = parseUnsigned(argv[++i]);
      if (!n || *n == 0) {
        std::fprintf(stderr, "gpu_bench: --samples needs a positive number\n");
        return 2;
      }
      samples = static_cast<std::size_t>(*n);
    } else if (arg == "--strict") {
      strict = true;
    } else {
      std::fprintf(stderr, "usage: gpu_bench [--library FILE] [--samples N] [--strict]\n");
      return 2;
    }
  }

  GpuSampler sampler(options);
  Series load;
  GpuSnapshot first;
  measure(load, [&] { first = sampler.sample(); });
  if (!first.available) {
    std::fprintf(stderr, "gpu_bench: NVML is not available: %s\n", first.reason.c_str());
    return 1;
  }
  std::size_t processes = 0;
  for (const GpuDevice& device : first.devices) processes += device.processes.size();
  std::printf("NVML from %s: %zu GPUs, %zu GPU processes\n", options.library.c_str(), first.devices.size(),
              processes);
  for (const GpuDevice& device : first.devices) {
    std::printf("  GPU %u %s: %s used, %zu processes, %s\n", device.index, device.name.c_str(),
                device.used_bytes ? formatIec(*device.used_bytes).c_str() : "unknown",
                device.processes.size(),
                device.problems.empty() ? "no problem" : device.problems.front().c_str());
  }

  Series gpu;
  for (std::size_t i = 0; i < samples; ++i) measure(gpu, [&] { sampler.sample(); });

  Series ledger;
  SamplerOptions ledger_options;
  auto processes_sampler = ProcessSampler::open("/proc", ledger_options);
  if (processes_sampler) {
    auto now = std::chrono::steady_clock::now();
    (*processes_sampler)->tick(now);
    for (int i = 0; i < 20; ++i) {
      now += std::chrono::seconds(1);
      measure(ledger, [&] { (*processes_sampler)->tick(now); });
    }
  }

  std::printf("Cost (wall and CPU of this thread):\n");
  std::printf("  %-28s %8.3f ms wall, %8.3f ms CPU\n", "load and init, once", load.wall_ms[0],
              load.cpu_ms[0]);
  printRow("GPU sample, wall", gpu.wall_ms);
  printRow("GPU sample, CPU", gpu.cpu_ms);
  if (!ledger.cpu_ms.empty()) {
    printRow("ledger steady tick, CPU", ledger.cpu_ms);
    std::printf("  GPU sample CPU is %.1f%% of the ledger's steady tick CPU here\n",
                100.0 * mean(gpu.cpu_ms) / std::max(mean(ledger.cpu_ms), 1e-6));
  }
  const bool within = mean(gpu.cpu_ms) <= kSampleBudgetMs;
  std::printf("Budget: GPU sample CPU mean %.3f ms %s %.1f ms\n", mean(gpu.cpu_ms), within ? "<=" : ">",
              kSampleBudgetMs);
  return strict && !within ? 1 : 0;
}
