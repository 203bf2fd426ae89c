#include "gpu/gpu_snapshot.h"

#include <catch2/catch.hpp>

#include "gpu/nvml_abi.h"

using namespace jmem;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

NvmlFailure failed(const char* call, int code, const char* text) {
  return NvmlFailure{call, code, text};
}

// A discrete GPU that answers every call.
NvmlDeviceReading discrete(std::uint64_t total, std::uint64_t used, std::vector<NvmlProcessRow> compute,
                           std::vector<NvmlProcessRow> graphics = {}) {
  NvmlDeviceReading reading;
  reading.index = 0;
  reading.name = std::string("NVIDIA H100 80GB HBM3");
  reading.uuid = std::string("GPU-5f0c3a9e-1b2d-4c3e-8f70-0a1b2c3d4e5f");
  reading.memory = NvmlMemoryRow{total, 480 * kMiB, used};
  reading.compute = std::move(compute);
  reading.graphics = std::move(graphics);
  return reading;
}

}  // namespace

TEST_CASE("a discrete GPU's unattributed memory is what it uses beyond its processes", "[gpu]") {
  const GpuDevice device =
      gpuDeviceOf(discrete(80 * 1024 * kMiB, 3500 * kMiB, {{4242, 1500 * kMiB}, {4343, 1200 * kMiB}}));
  CHECK(device.name == "NVIDIA H100 80GB HBM3");
  CHECK(device.uuid == "GPU-5f0c3a9e-1b2d-4c3e-8f70-0a1b2c3d4e5f");
  CHECK_FALSE(device.integrated);
  CHECK(device.total_bytes == 80 * 1024 * kMiB);
  CHECK(device.reserved_bytes == 480 * kMiB);
  CHECK(device.used_bytes == 3500 * kMiB);
  CHECK(device.processes_complete);
  REQUIRE(device.processes.size() == 2);
  CHECK(device.processes[0].pid == 4242);
  CHECK(device.processes[0].bytes == 1500 * kMiB);
  CHECK(device.processes[0].compute);
  CHECK_FALSE(device.processes[0].graphics);
  CHECK(device.attributed_bytes == 2700 * kMiB);
  CHECK(device.unattributed_bytes == 800 * kMiB);
  CHECK(device.problems.empty());
  CHECK(gpuUsedBytes(device) == 3500 * kMiB);
}

TEST_CASE("a GPU that has no memory figures of its own is integrated, which is no problem", "[gpu]") {
  NvmlDeviceReading reading = discrete(0, 0, {{700, 300 * kMiB}}, {{701, 40 * kMiB}});
  reading.name = std::string("NVIDIA Thor");
  reading.memory = failed("nvmlDeviceGetMemoryInfo_v2", nvml::kErrorNotSupported, "Not Supported");
  const GpuDevice device = gpuDeviceOf(reading);
  CHECK(device.integrated);
  CHECK_FALSE(device.total_bytes);
  CHECK_FALSE(device.reserved_bytes);
  CHECK_FALSE(device.used_bytes);
  CHECK_FALSE(device.unattributed_bytes);
  CHECK(device.problems.empty());
  // What its processes hold is the best figure of its use.
  CHECK(gpuUsedBytes(device) == 340 * kMiB);
}

TEST_CASE("a memory call that fails otherwise is a problem, and the GPU is not taken for integrated",
          "[gpu]") {
  NvmlDeviceReading reading = discrete(0, 0, {});
  reading.memory = failed("nvmlDeviceGetMemoryInfo_v2", nvml::kErrorGpuIsLost, "GPU is lost");
  const GpuDevice device = gpuDeviceOf(reading);
  CHECK_FALSE(device.integrated);
  CHECK_FALSE(device.used_bytes);
  CHECK_FALSE(gpuUsedBytes(device));
  REQUIRE(device.problems.size() == 1);
  CHECK(device.problems[0] == "nvmlDeviceGetMemoryInfo_v2 failed: GPU is lost (15)");
}

TEST_CASE("a process in both lists is one process, counted with the larger figure", "[gpu]") {
  const GpuDevice device = gpuDeviceOf(
      discrete(16 * 1024 * kMiB, 900 * kMiB, {{50, 600 * kMiB}}, {{50, 650 * kMiB}, {51, 100 * kMiB}}));
  REQUIRE(device.processes.size() == 2);
  CHECK(device.processes[0].pid == 50);
  CHECK(device.processes[0].compute);
  CHECK(device.processes[0].graphics);
  CHECK(device.processes[0].bytes == 650 * kMiB);
  CHECK(device.attributed_bytes == 750 * kMiB);
  CHECK(device.unattributed_bytes == 150 * kMiB);
}

TEST_CASE("a process NVML cannot attribute has unknown bytes, and its memory stays unattributed", "[gpu]") {
  const GpuDevice device = gpuDeviceOf(
      discrete(16 * 1024 * kMiB, 1000 * kMiB, {{60, nvml::kValueNotAvailable}, {61, 400 * kMiB}}));
  REQUIRE(device.processes.size() == 2);
  CHECK_FALSE(device.processes[0].bytes);
  CHECK(device.processes[1].bytes == 400 * kMiB);
  CHECK(device.attributed_bytes == 400 * kMiB);
  CHECK(device.unattributed_bytes == 600 * kMiB);
}

TEST_CASE("processes holding more than NVML's used figure leave nothing unattributed, never a wrapped figure",
          "[gpu]") {
  const GpuDevice device = gpuDeviceOf(discrete(16 * 1024 * kMiB, 100 * kMiB, {{70, 300 * kMiB}}));
  CHECK(device.unattributed_bytes == 0);
}

TEST_CASE("a process list NVML does not support leaves the processes incomplete and names the call",
          "[gpu]") {
  NvmlDeviceReading reading = discrete(16 * 1024 * kMiB, 500 * kMiB, {{80, 200 * kMiB}});
  reading.graphics =
      failed("nvmlDeviceGetGraphicsRunningProcesses_v3", nvml::kErrorNotSupported, "Not Supported");
  const GpuDevice device = gpuDeviceOf(reading);
  CHECK_FALSE(device.processes_complete);
  REQUIRE(device.processes.size() == 1);  // the compute list still counts
  CHECK(device.attributed_bytes == 200 * kMiB);
  CHECK_FALSE(device.unattributed_bytes);
  REQUIRE(device.problems.size() == 1);
  CHECK(device.problems[0] == "nvmlDeviceGetGraphicsRunningProcesses_v3 failed: Not Supported (3)");
}

TEST_CASE("an integrated GPU whose lists failed has no used figure at all", "[gpu]") {
  NvmlDeviceReading reading = discrete(0, 0, {});
  reading.memory = failed("nvmlDeviceGetMemoryInfo_v2", nvml::kErrorNotSupported, "Not Supported");
  reading.compute =
      failed("nvmlDeviceGetComputeRunningProcesses_v3", nvml::kErrorNoPermission, "Insufficient Permissions");
  const GpuDevice device = gpuDeviceOf(reading);
  CHECK(device.integrated);
  CHECK_FALSE(gpuUsedBytes(device));
}

TEST_CASE("an integrated GPU with a process NVML cannot attribute has no used figure, not an undercount",
          "[gpu]") {
  NvmlDeviceReading reading = discrete(0, 0, {{90, 300 * kMiB}, {91, nvml::kValueNotAvailable}});
  reading.memory = failed("nvmlDeviceGetMemoryInfo_v2", nvml::kErrorNotSupported, "Not Supported");
  const GpuDevice device = gpuDeviceOf(reading);
  CHECK(device.integrated);
  CHECK(device.processes_complete);
  CHECK(device.attributed_bytes == 300 * kMiB);
  CHECK_FALSE(gpuUsedBytes(device));
}

TEST_CASE("a device without a handle is listed by its index with the failure alone", "[gpu]") {
  NvmlDeviceReading reading;
  reading.index = 3;
  reading.handle_failure = failed("nvmlDeviceGetHandleByIndex_v2", nvml::kErrorNoPermission, "");
  const GpuDevice device = gpuDeviceOf(reading);
  CHECK(device.index == 3);
  CHECK(device.name.empty());
  CHECK_FALSE(device.processes_complete);
  REQUIRE(device.problems.size() == 1);
  CHECK(device.problems[0] == "nvmlDeviceGetHandleByIndex_v2 failed: unknown error (4)");
}

TEST_CASE("a failed name or UUID is a problem, and control characters in names are replaced", "[gpu]") {
  NvmlDeviceReading reading = discrete(kMiB, 0, {});
  reading.name = std::string("GPU\nforged line");
  reading.uuid = failed("nvmlDeviceGetUUID", nvml::kErrorNotSupported, "Not Supported");
  const GpuDevice device = gpuDeviceOf(reading);
  CHECK(device.name == "GPU?forged line");
  CHECK(device.uuid.empty());
  REQUIRE(device.problems.size() == 1);
  CHECK(device.problems[0] == "nvmlDeviceGetUUID failed: Not Supported (3)");
}

TEST_CASE("a PID beyond what the kernel can give is a problem, not a process", "[gpu]") {
  const GpuDevice device = gpuDeviceOf(discrete(kMiB, 0, {{0xFFFFFFF0u, kMiB}, {90, kMiB}}));
  REQUIRE(device.processes.size() == 1);
  CHECK(device.processes[0].pid == 90);
  REQUIRE(device.problems.size() == 1);
  CHECK(device.problems[0].find("4294967280") != std::string::npos);
}
