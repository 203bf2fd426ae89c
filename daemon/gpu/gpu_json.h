#pragma once

#include <nlohmann/json.hpp>

#include "gpu/gpu_snapshot.h"

namespace jmem {

// One GPU as `jmemd --dump` writes it, and `jmemctl status --json` too: a figure NVML did not give is
// null. Its "processes" are those the reader may see: every one in the dump, the caller's on the bus.
nlohmann::ordered_json gpuToJson(const GpuDevice& device);
// Whether NVML is there, and why not.
nlohmann::ordered_json nvmlToJson(const GpuSnapshot& gpus);

}  // namespace jmem
