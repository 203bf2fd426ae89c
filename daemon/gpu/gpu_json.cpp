#include "gpu/gpu_json.h"

namespace jmem {
namespace {

using Json = nlohmann::ordered_json;

Json optionalBytes(const std::optional<std::uint64_t>& value) {
  return value ? Json(*value) : Json(nullptr);
}

const char* gpuProcessType(const GpuProcess& process) {
  if (process.compute && process.graphics) return "C+G";
  return process.compute ? "C" : "G";
}

}  // namespace

Json nvmlToJson(const GpuSnapshot& gpus) {
  Json out{{"available", gpus.available}};
  if (!gpus.available) out["reason"] = gpus.reason;
  return out;
}

Json gpuToJson(const GpuDevice& device) {
  Json processes = Json::array();
  for (const GpuProcess& p : device.processes) {
    processes.push_back(Json{{"pid", p.pid}, {"bytes", optionalBytes(p.bytes)}, {"type", gpuProcessType(p)}});
  }
  return Json{
      {"index", device.index},
      {"name", device.name},
      {"uuid", device.uuid},
      {"integrated", device.integrated},
      {"total_bytes", optionalBytes(device.total_bytes)},
      {"reserved_bytes", optionalBytes(device.reserved_bytes)},
      {"used_bytes", optionalBytes(device.used_bytes)},
      {"processes_complete", device.processes_complete},
      {"attributed_bytes", device.attributed_bytes},
      {"unattributed_bytes", optionalBytes(device.unattributed_bytes)},
      {"processes", std::move(processes)},
      {"problems", device.problems},
  };
}

}  // namespace jmem
