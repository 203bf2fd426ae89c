#pragma once

#include <filesystem>

#include "core/result.h"
#include "ledger/ledger.h"

namespace jmem {

// Where the kernel's files are: the real ones, or a captured tree for an operator or a test.
struct Roots {
  std::filesystem::path proc = "/proc";
  std::filesystem::path debugfs = "/sys/kernel/debug";
  std::filesystem::path cgroup = "/sys/fs/cgroup";  // where the throttle finds what the device can do
};

// meminfo (required), memory pressure and NvMap (each may be unavailable).
Result<SystemFigures> readSystemFigures(const Roots& roots);

}  // namespace jmem
