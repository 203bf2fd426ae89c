#include "bus/gpu_record.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace jmem {
namespace {

BusRecord encodeGpuProcess(const GpuProcess& process) {
  BusRecord out{
      {"pid", sdbus::Variant(static_cast<std::uint32_t>(process.pid))},
      {"compute", sdbus::Variant(process.compute)},
      {"graphics", sdbus::Variant(process.graphics)},
  };
  putKnown(out, "bytes", process.bytes);
  return out;
}

GpuProcess decodeGpuProcess(const BusRecord& record) {
  GpuProcess process;
  std::uint32_t pid = 0;
  readField<std::uint32_t>(record, "pid", pid);
  process.pid = static_cast<pid_t>(pid);
  readField<std::uint64_t>(record, "bytes", process.bytes);
  readField<bool>(record, "compute", process.compute);
  readField<bool>(record, "graphics", process.graphics);
  return process;
}

}  // namespace

BusRecord encodeGpu(const GpuDevice& device, const std::vector<pid_t>& visible) {
  std::vector<BusRecord> processes;
  for (const GpuProcess& process : device.processes) {
    if (std::find(visible.begin(), visible.end(), process.pid) != visible.end())
      processes.push_back(encodeGpuProcess(process));
  }
  BusRecord out{
      {"index", sdbus::Variant(device.index)},
      {"name", sdbus::Variant(device.name)},
      {"uuid", sdbus::Variant(device.uuid)},
      {"integrated", sdbus::Variant(device.integrated)},
      {"processes_complete", sdbus::Variant(device.processes_complete)},
      {"attributed_bytes", sdbus::Variant(device.attributed_bytes)},
      {"processes", sdbus::Variant(processes)},
      {"problems", sdbus::Variant(device.problems)},
  };
  putKnown(out, "total_bytes", device.total_bytes);
  putKnown(out, "reserved_bytes", device.reserved_bytes);
  putKnown(out, "used_bytes", device.used_bytes);
  putKnown(out, "unattributed_bytes", device.unattributed_bytes);
  return out;
}

GpuDevice decodeGpu(const BusRecord& record) {
  GpuDevice device;
  readField<std::uint32_t>(record, "index", device.index);
  readField<std::string>(record, "name", device.name);
  readField<std::string>(record, "uuid", device.uuid);
  readField<bool>(record, "integrated", device.integrated);
  readField<std::uint64_t>(record, "total_bytes", device.total_bytes);
  readField<std::uint64_t>(record, "reserved_bytes", device.reserved_bytes);
  readField<std::uint64_t>(record, "used_bytes", device.used_bytes);
  readField<bool>(record, "processes_complete", device.processes_complete);
  readField<std::uint64_t>(record, "attributed_bytes", device.attributed_bytes);
  readField<std::uint64_t>(record, "unattributed_bytes", device.unattributed_bytes);
  std::vector<BusRecord> processes;
  readField<std::vector<BusRecord>>(record, "processes", processes);
  for (const BusRecord& process : processes) device.processes.push_back(decodeGpuProcess(process));
  readField<std::vector<std::string>>(record, "problems", device.problems);
  return device;
}

}  // namespace jmem
