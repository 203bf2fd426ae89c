#pragma once

#include <sys/types.h>

#include <vector>

#include "bus/bus_record.h"
#include "gpu/gpu_snapshot.h"

namespace jmem {

// GetGpus: each GPU as the ledger holds it, so that jmemctl writes it with the dump's encoder
// (gpu/gpu_json.h). `processes` lists those of its processes whose PIDs are in `visible` (what the
// caller may see); a figure NVML did not give is absent.
BusRecord encodeGpu(const GpuDevice& device, const std::vector<pid_t>& visible);
GpuDevice decodeGpu(const BusRecord& record);

}  // namespace jmem
