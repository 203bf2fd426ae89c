#include "gpu/gpu_snapshot.h"

#include <algorithm>
#include <limits>
#include <map>

#include "core/text.h"
#include "gpu/nvml_abi.h"

namespace jmem {
namespace {

// Merges one list into the processes by PID; returns false when the list could not be read.
bool mergeList(const NvmlAnswer<std::vector<NvmlProcessRow>>& answer, bool is_compute,
               std::map<pid_t, GpuProcess>& by_pid, GpuDevice& device) {
  if (const auto* failure = std::get_if<NvmlFailure>(&answer)) {
    device.problems.push_back(describe(*failure));
    return false;
  }
  for (const NvmlProcessRow& row : std::get<std::vector<NvmlProcessRow>>(answer)) {
    if (row.pid > static_cast<std::uint32_t>(std::numeric_limits<pid_t>::max())) {
      device.problems.push_back("NVML listed an impossible PID " + std::to_string(row.pid));
      continue;
    }
    const auto pid = static_cast<pid_t>(row.pid);
    auto [at, added] = by_pid.try_emplace(pid, GpuProcess{pid, std::nullopt, false, false});
    GpuProcess& process = at->second;
    (is_compute ? process.compute : process.graphics) = true;
    if (row.used_bytes == nvml::kValueNotAvailable || row.used_bytes > kMaxPlausibleBytes) continue;
    process.bytes = std::max(process.bytes.value_or(0), row.used_bytes);
  }
  return true;
}

}  // namespace

std::string describe(const NvmlFailure& failure) {
  return failure.call + " failed: " + (failure.text.empty() ? std::string("unknown error") : failure.text) +
         " (" + std::to_string(failure.code) + ")";
}

GpuDevice gpuDeviceOf(const NvmlDeviceReading& reading) {
  GpuDevice device;
  device.index = reading.index;
  if (reading.handle_failure) {
    device.problems.push_back(describe(*reading.handle_failure));
    return device;
  }
  if (const auto* name = std::get_if<std::string>(&reading.name)) {
    device.name = sanitizeName(*name);
  } else {
    device.problems.push_back(describe(std::get<NvmlFailure>(reading.name)));
  }
  if (const auto* uuid = std::get_if<std::string>(&reading.uuid)) {
    device.uuid = sanitizeName(*uuid);
  } else {
    device.problems.push_back(describe(std::get<NvmlFailure>(reading.uuid)));
  }
  if (const auto* memory = std::get_if<NvmlMemoryRow>(&reading.memory)) {
    device.total_bytes = memory->total_bytes;
    device.reserved_bytes = memory->reserved_bytes;
    device.used_bytes = memory->used_bytes;
  } else if (const auto& failure = std::get<NvmlFailure>(reading.memory);
             failure.code == nvml::kErrorNotSupported) {
    device.integrated = true;  // not a problem: the device has no memory of its own to report
  } else {
    device.problems.push_back(describe(failure));
  }

  std::map<pid_t, GpuProcess> by_pid;
  const bool compute_read = mergeList(reading.compute, true, by_pid, device);
  const bool graphics_read = mergeList(reading.graphics, false, by_pid, device);
  device.processes_complete = compute_read && graphics_read;
  device.processes.reserve(by_pid.size());
  for (auto& [pid, process] : by_pid) {
    device.attributed_bytes = addSaturating(device.attributed_bytes, process.bytes.value_or(0));
    device.processes.push_back(process);
  }
  if (device.used_bytes && device.processes_complete) {
    device.unattributed_bytes =
        *device.used_bytes > device.attributed_bytes ? *device.used_bytes - device.attributed_bytes : 0;
  }
  return device;
}

std::optional<std::uint64_t> gpuUsedBytes(const GpuDevice& device) {
  if (device.used_bytes) return device.used_bytes;
  // A process whose bytes NVML could not give would make the sum an undercount, not a figure.
  const bool all_known = std::all_of(device.processes.begin(), device.processes.end(),
                                     [](const GpuProcess& p) { return p.bytes.has_value(); });
  if (device.integrated && device.processes_complete && all_known) return device.attributed_bytes;
  return std::nullopt;
}

}  // namespace jmem
