#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace jmem {

// ---- What NVML answered, call by call (filled by NvmlLibrary::read, or by a test) ----

// A call that did not succeed: its name, nvmlReturn_t and nvmlErrorString's words.
struct NvmlFailure {
  std::string call;  // "nvmlDeviceGetMemoryInfo_v2"
  int code = 0;
  std::string text;  // "Not Supported"
  bool operator==(const NvmlFailure&) const = default;
};

template <typename T>
using NvmlAnswer = std::variant<T, NvmlFailure>;

// One entry of a process list, as NVML gives it: used_bytes may be NVML_VALUE_NOT_AVAILABLE.
struct NvmlProcessRow {
  std::uint32_t pid = 0;
  std::uint64_t used_bytes = 0;
};

struct NvmlMemoryRow {
  std::uint64_t total_bytes = 0;
  std::uint64_t reserved_bytes = 0;  // the driver's own, not part of used
  std::uint64_t used_bytes = 0;
};

struct NvmlDeviceReading {
  std::uint32_t index = 0;
  std::optional<NvmlFailure> handle_failure;  // no handle: nothing else was asked
  NvmlAnswer<std::string> name;
  NvmlAnswer<std::string> uuid;
  NvmlAnswer<NvmlMemoryRow> memory;
  NvmlAnswer<std::vector<NvmlProcessRow>> compute;
  NvmlAnswer<std::vector<NvmlProcessRow>> graphics;
};

// ---- The GPUs as the ledger sees them ----

struct GpuProcess {
  pid_t pid = 0;
  std::optional<std::uint64_t> bytes;  // nullopt: NVML cannot attribute this process's memory
  bool compute = false;                // named by the compute list, the graphics list or both
  bool graphics = false;
};

struct GpuDevice {
  std::uint32_t index = 0;
  std::string name;
  std::string uuid;
  // Its memory is system DRAM (Thor, GB10): NVML reports no memory of the device's own for it
  // (nvmlDeviceGetMemoryInfo_v2 answers NOT_SUPPORTED), and what its processes hold counts in the
  // system's budget. A discrete GPU reports its own memory.
  bool integrated = false;
  std::optional<std::uint64_t> total_bytes;     // nullopt: NVML reports none (integrated, or the call failed)
  std::optional<std::uint64_t> reserved_bytes;  // set aside by the driver; not part of used
  std::optional<std::uint64_t> used_bytes;      // held by allocations, as nvidia-smi's memory.used
  bool processes_complete = false;              // both process lists were read
  std::vector<GpuProcess> processes;            // by PID; a PID in both lists is one process
  std::uint64_t attributed_bytes = 0;           // the known bytes of `processes`
  // used - attributed: the driver's own allocations, contexts of processes NVML cannot attribute.
  // nullopt unless used is known and the lists are complete; 0 when the processes hold more.
  std::optional<std::uint64_t> unattributed_bytes;
  std::vector<std::string> problems;  // each call that failed, as a sentence
};

// GPU memory from NVML. Unavailable (no library, no driver, init failed) is not zero: `available` says
// which, `reason` why.
struct GpuSnapshot {
  bool available = false;
  std::string reason;
  std::vector<GpuDevice> devices;
};

// "nvmlDeviceGetMemoryInfo_v2 failed: Not Supported (3)"
std::string describe(const NvmlFailure& failure);

// Pure: one device from its answers. A process in both lists is counted once, with the larger figure
// (NVML reports a process's whole use in each list that names it).
GpuDevice gpuDeviceOf(const NvmlDeviceReading& reading);

// The memory to compare with a ceiling: NVML's used figure, or for an integrated GPU, which has none,
// the sum of its processes once both lists were read and each process's bytes are known. nullopt
// when neither is known.
std::optional<std::uint64_t> gpuUsedBytes(const GpuDevice& device);

}  // namespace jmem
