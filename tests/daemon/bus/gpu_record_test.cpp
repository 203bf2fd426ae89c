#include "bus/gpu_record.h"

#include <catch2/catch.hpp>

#include "gpu/gpu_json.h"

using namespace jmem;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

GpuDevice h100() {
  GpuDevice d;
  d.index = 3;
  d.name = "NVIDIA H100 80GB HBM3";
  d.uuid = "GPU-1111";
  d.total_bytes = 81559 * kMiB;
  d.reserved_bytes = 480 * kMiB;
  d.used_bytes = 4123 * kMiB;
  d.processes_complete = true;
  d.processes = {GpuProcess{10, 4000 * kMiB, true, false}, GpuProcess{11, std::nullopt, true, true}};
  d.attributed_bytes = 4000 * kMiB;
  d.unattributed_bytes = 123 * kMiB;
  d.problems = {"nvmlDeviceGetComputeRunningProcesses_v3 failed: Unknown Error (999)"};
  return d;
}

}  // namespace

TEST_CASE("a GPU record survives the bus with every field", "[bus]") {
  const GpuDevice sent = h100();
  const GpuDevice read = decodeGpu(encodeGpu(sent, {10, 11}));
  // The dump's encoder writes every field of the record: equal JSON is an equal record.
  CHECK(gpuToJson(read) == gpuToJson(sent));
  CHECK(read.used_bytes == 4123 * kMiB);
  REQUIRE(read.processes.size() == 2);
  CHECK_FALSE(read.processes[1].bytes);
  CHECK(read.processes[1].graphics);
}

TEST_CASE("an integrated GPU's memory figures are absent on the bus and read back unknown, not 0", "[bus]") {
  GpuDevice sent = h100();
  sent.integrated = true;
  sent.total_bytes.reset();
  sent.reserved_bytes.reset();
  sent.used_bytes.reset();
  sent.unattributed_bytes.reset();
  const BusRecord record = encodeGpu(sent, {10, 11});
  CHECK_FALSE(record.contains("total_bytes"));
  CHECK_FALSE(record.contains("unattributed_bytes"));
  const GpuDevice read = decodeGpu(record);
  CHECK_FALSE(read.total_bytes);
  CHECK_FALSE(read.used_bytes);
  CHECK(gpuToJson(read)["used_bytes"].is_null());
  CHECK(read.attributed_bytes == sent.attributed_bytes);
}

TEST_CASE("a GPU record lists only the processes the caller may see", "[bus]") {
  const GpuDevice read = decodeGpu(encodeGpu(h100(), {11}));
  REQUIRE(read.processes.size() == 1);
  CHECK(read.processes[0].pid == 11);
  CHECK(decodeGpu(encodeGpu(h100(), {})).processes.empty());
}
