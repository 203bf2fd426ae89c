#pragma once

#include <filesystem>
#include <memory>

#include "core/result.h"
#include "gpu/gpu_sampler.h"
#include "ledger/ledger.h"

namespace jmem {

// Where the kernel's files are: the real ones, or a captured tree for an operator or a test.
struct Roots {
  std::filesystem::path proc = "/proc";
  std::filesystem::path debugfs = "/sys/kernel/debug";
  std::filesystem::path cgroup = "/sys/fs/cgroup";  // where the throttle finds what the device can do
  // GPU memory from NVML, shared by every copy of these roots so that the library is loaded once and
  // kept; none: no GPU figures (the snapshot says so).
  std::shared_ptr<GpuSampler> gpu;
};

// meminfo (required), memory pressure, NvMap and NVML (each may be unavailable).
Result<SystemFigures> readSystemFigures(const Roots& roots);

}  // namespace jmem
