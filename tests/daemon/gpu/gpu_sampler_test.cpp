#include "gpu/gpu_sampler.h"

#include <catch2/catch.hpp>
#include <utility>
#include <vector>

#include "standin_script.h"

using namespace jmem;
using jmem::test::standinCalls;
using jmem::test::StandinScript;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

// Every notice the sampler logs, in order.
struct Notices {
  std::vector<std::pair<GpuNotice, std::string>> seen;
  GpuLog sink() {
    return [this](GpuNotice notice, const std::string& message) { seen.emplace_back(notice, message); };
  }
};

GpuSamplerOptions standin(unsigned int retry_after_samples = 60) {
  GpuSamplerOptions options;
  options.library = JMEM_NVML_STANDIN;
  options.retry_after_samples = retry_after_samples;
  return options;
}

const std::string kTwoProcesses =
    "device\n"
    "name NVIDIA H100 80GB HBM3\n"
    "uuid GPU-1111\n"
    "memory 0 85520809984 3758096384\n"
    "compute 0 4242:1073741824 4343:2147483648\n"
    "graphics 0\n";

}  // namespace

TEST_CASE("the library is loaded at the first sample and kept for the next ones", "[gpu]") {
  StandinScript script(kTwoProcesses);
  GpuSampler sampler(standin());
  CHECK_FALSE(sampler.loaded());
  for (int i = 0; i < 3; ++i) {
    const GpuSnapshot snapshot = sampler.sample();
    REQUIRE(snapshot.available);
    REQUIRE(snapshot.devices.size() == 1);
    CHECK(snapshot.devices[0].processes.size() == 2);
  }
  CHECK(sampler.loaded());
  CHECK(sampler.loadAttempts() == 1);
  CHECK(standinCalls(JMEM_NVML_STANDIN, "nvmlInit_v2") == 1);
  CHECK(standinCalls(JMEM_NVML_STANDIN, "nvmlDeviceGetCount_v2") == 3);
}

TEST_CASE("a machine without the library has no GPU figures, says why, and logs it once as no source",
          "[gpu]") {
  GpuSamplerOptions options;
  options.library = "/nonexistent/libnvidia-ml.so.1";
  options.retry_after_samples = 2;
  Notices notices;
  GpuSampler sampler(options, notices.sink());
  for (int i = 0; i < 5; ++i) {
    const GpuSnapshot snapshot = sampler.sample();
    CHECK_FALSE(snapshot.available);
    CHECK(snapshot.devices.empty());
    CHECK(snapshot.reason.find("/nonexistent/libnvidia-ml.so.1") != std::string::npos);
  }
  REQUIRE(notices.seen.size() == 1);
  CHECK(notices.seen[0].first == GpuNotice::kNoSource);
  // Tried at the first sample, then every second sample after it.
  CHECK(sampler.loadAttempts() == 3);
}

TEST_CASE("an empty library name turns GPU figures off without trying to load anything", "[gpu]") {
  GpuSamplerOptions options;
  options.library.clear();
  GpuSampler sampler(options);
  const GpuSnapshot snapshot = sampler.sample();
  CHECK_FALSE(snapshot.available);
  CHECK(snapshot.reason == "no NVML library configured");
  CHECK(sampler.loadAttempts() == 0);
}

TEST_CASE("a driver that loads after jmemd started is picked up at the next try", "[gpu]") {
  StandinScript script("init 9\n");
  Notices notices;
  GpuSampler sampler(standin(3), notices.sink());
  CHECK_FALSE(sampler.sample().available);
  REQUIRE(notices.seen.size() == 1);
  CHECK(notices.seen[0].first == GpuNotice::kFailure);
  CHECK(notices.seen[0].second == "nvmlInit_v2 failed: Driver Not Loaded (9)");

  script.write(kTwoProcesses);
  CHECK_FALSE(sampler.sample().available);  // not yet: one sample since the try
  CHECK_FALSE(sampler.sample().available);
  const GpuSnapshot snapshot = sampler.sample();
  CHECK(snapshot.available);
  CHECK(sampler.loadAttempts() == 2);
  CHECK(notices.seen.size() == 1);
}

TEST_CASE("a read that fails whole starts NVML afresh at the next try, and is logged once", "[gpu]") {
  StandinScript script(kTwoProcesses);
  Notices notices;
  GpuSampler sampler(standin(2), notices.sink());
  REQUIRE(sampler.sample().available);
  script.write("count 9\n");  // the driver went away under a loaded library
  const GpuSnapshot failed = sampler.sample();
  CHECK_FALSE(failed.available);
  CHECK(failed.reason == "nvmlDeviceGetCount_v2 failed: Driver Not Loaded (9)");
  CHECK_FALSE(sampler.loaded());
  script.write(kTwoProcesses);              // and came back
  CHECK_FALSE(sampler.sample().available);  // not yet: one sample since the failure
  const GpuSnapshot again = sampler.sample();
  CHECK(again.available);
  CHECK(again.devices.size() == 1);
  CHECK(sampler.loadAttempts() == 2);
  REQUIRE(notices.seen.size() == 1);
  CHECK(notices.seen[0].first == GpuNotice::kFailure);
  CHECK(notices.seen[0].second == failed.reason);
}

TEST_CASE("a failing call is logged once, not every tick, and again only after it went away and came back",
          "[gpu]") {
  const std::string failing = "device\nname NVIDIA A2\nmemory 0 100 50\ncompute 3\ngraphics 0\n";
  StandinScript script(failing);
  Notices notices;
  GpuSampler sampler(standin(), notices.sink());
  for (int i = 0; i < 4; ++i) {
    const GpuSnapshot snapshot = sampler.sample();
    REQUIRE(snapshot.available);
    CHECK_FALSE(snapshot.devices[0].processes_complete);
  }
  REQUIRE(notices.seen.size() == 1);
  CHECK(notices.seen[0].first == GpuNotice::kFailure);
  CHECK(notices.seen[0].second ==
        "GPU 0 (NVIDIA A2): nvmlDeviceGetComputeRunningProcesses_v3 failed: Not Supported (3)");

  script.write("device\nname NVIDIA A2\nmemory 0 100 50\ncompute 0\ngraphics 0\n");
  CHECK(sampler.sample().devices[0].processes_complete);
  script.write(failing);
  sampler.sample();
  CHECK(notices.seen.size() == 2);
}

TEST_CASE("a process that frees its memory or exits is gone from the next sample", "[gpu]") {
  StandinScript script(kTwoProcesses);
  GpuSampler sampler(standin());
  REQUIRE(sampler.sample().devices[0].processes.size() == 2);
  script.write(
      "device\nname NVIDIA H100 80GB HBM3\nuuid GPU-1111\nmemory 0 85520809984 1610612736\n"
      "compute 0 4343:1073741824\ngraphics 0\n");
  const GpuSnapshot snapshot = sampler.sample();
  const GpuDevice& device = snapshot.devices[0];
  REQUIRE(device.processes.size() == 1);
  CHECK(device.processes[0].pid == 4343);
  CHECK(device.processes[0].bytes == 1024 * kMiB);
  CHECK(device.used_bytes == 1536 * kMiB);
  CHECK(device.unattributed_bytes == 512 * kMiB);
}

TEST_CASE("two devices, one integrated, make one snapshot", "[gpu]") {
  StandinScript script(kTwoProcesses +
                       "device\nname NVIDIA Thor\nuuid GPU-2222\nmemory 3 0 0\n"
                       "compute 0 5000:536870912\ngraphics 0 5000:268435456 5001:na\n");
  Notices notices;
  GpuSampler sampler(standin(), notices.sink());
  const GpuSnapshot snapshot = sampler.sample();
  REQUIRE(snapshot.available);
  REQUIRE(snapshot.devices.size() == 2);
  CHECK_FALSE(snapshot.devices[0].integrated);
  const GpuDevice& thor = snapshot.devices[1];
  CHECK(thor.integrated);
  CHECK(thor.name == "NVIDIA Thor");
  REQUIRE(thor.processes.size() == 2);
  CHECK(thor.processes[0].bytes == 512 * kMiB);
  CHECK_FALSE(thor.processes[1].bytes);
  CHECK_FALSE(gpuUsedBytes(thor));  // 5001's bytes are unknown: 512 MiB would be an undercount
  CHECK(thor.attributed_bytes == 512 * kMiB);
  CHECK(notices.seen.empty());
}
