#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ledger/ledger.h"
#include "sources/cgroup_unit.h"
#include "throttle/headroom.h"

// What the throttling controller sees of the device when it decides: the ledger's units, memory,
// pressure, NvMap and GPUs, observed before the decision (controller.h).
namespace jmem::throttle {

// A unit's own MemoryHigh as systemd reported it before the decision. Unknown (not read, or
// unreadable) is not "no limit": a throttle taken on it would put infinity back over an operator's
// limit at its release, so none is taken.
struct OwnMemoryHigh {
  bool known = false;
  std::optional<std::uint64_t> bytes;  // when known: the limit; nullopt for infinity
  std::string error;                   // when not known: why it could not be read; empty if not read

  static OwnMemoryHigh read(std::optional<std::uint64_t> bytes) { return {true, bytes, {}}; }
  static OwnMemoryHigh unreadable(std::string error) { return {false, std::nullopt, std::move(error)}; }
};

// One unit of the ledger as the controller needs it.
struct SnapshotUnit {
  std::string unit;
  std::string manager{kSystemManager};  // or "user@UID.service"
  std::uint64_t cost_bytes = 0;         // PSS plus NvMap share
  // The PSS a squeeze can move: file pages to their files, anonymous and shmem ones only to swap. A
  // split the kernel does not give (before 5.8) counts all of PSS as anonymous.
  std::uint64_t file_bytes = 0;
  std::uint64_t anon_bytes = 0;
  // Recorded as the value a throttle replaces. The ledger does not know it: the caller reads it for
  // the units memoryHighWanted names, before deciding.
  OwnMemoryHigh memory_high;
};

// One GPU's memory use as a ceiling sees it.
struct GpuUse {
  std::string gpu;  // "GPU 0 (NVIDIA Thor)"
  std::uint64_t bytes = 0;
  // The bytes of an integrated GPU's processes that NVML could measure, when one it could not: a
  // ceiling they pass is passed, one they do not pass may be too.
  bool at_least = false;

  bool operator==(const GpuUse&) const = default;
};

struct Snapshot {
  Clock::time_point now{};
  std::uint64_t mem_available_bytes = 0;
  std::optional<std::uint64_t> swap_free_bytes;  // unknown on a kernel without the line
  ZramTotals zram;                               // devices 0: no zram
  bool pressure_available = false;
  std::uint32_t psi_some_avg10_permyriad = 0;
  std::uint32_t psi_full_avg10_permyriad = 0;
  bool nvmap_available = false;
  std::uint64_t nvmap_total_bytes = 0;
  // Each GPU whose use NVML gives (gpuUsedBytes), or a lower bound of it.
  std::vector<GpuUse> gpu_uses;
  // The kernel's PSI trigger on /proc/pressure/memory fired since the last decision: stalls crossed
  // the policy's threshold within one window, before avg10 can show it.
  std::optional<std::string> psi_trigger;
  std::vector<SnapshotUnit> units;  // the ledger's order: largest cost first
  std::string self_unit;            // the unit jmemd runs in, if any
};

// The snapshot of a ledger; every unit's MemoryHigh is left unknown (not read).
Snapshot snapshotOf(const Ledger& ledger, Clock::time_point now);
// The system's side of a snapshot (memory, pressure, NvMap, GPUs) from `system`, read after the ledger.
void setSystemFigures(Snapshot& snapshot, const SystemFigures& system);

}  // namespace jmem::throttle
