#pragma once

#include <filesystem>
#include <memory>

#include "core/result.h"
#include "gpu/gpu_sampler.h"
#include "gpu/gpu_snapshot.h"
#include "sources/meminfo.h"
#include "sources/nvmap.h"
#include "sources/pressure.h"
#include "sources/zram.h"

namespace jmem {

// Where the kernel's files are: the real ones, or a captured tree for an operator or a test.
struct Roots {
  std::filesystem::path proc = "/proc";
  std::filesystem::path debugfs = "/sys/kernel/debug";
  std::filesystem::path sys = "/sys";               // zram's devices
  std::filesystem::path cgroup = "/sys/fs/cgroup";  // where the throttle finds what the device can do
  // GPU memory from NVML, shared by every copy of these roots so that the library is loaded once and
  // kept; none: no GPU figures (the snapshot says so).
  std::shared_ptr<GpuSampler> gpu;
};

// The machine's figures of one sample, beside its processes.
struct SystemFigures {
  Meminfo meminfo;
  Pressure pressure;
  NvmapSnapshot nvmap;
  ZramSnapshot zram;
  GpuSnapshot gpus;  // from NVML; filled by the caller's GpuSampler, unavailable when it has none
};

// meminfo (required), memory pressure, NvMap, zram and NVML (each may be unavailable).
Result<SystemFigures> readSystemFigures(const Roots& roots);

}  // namespace jmem
