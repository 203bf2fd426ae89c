#include <catch2/catch.hpp>

#include "ledger/ledger.h"
#include "ledger/ledger_json.h"

using namespace jmem;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

ProcessSample sample(pid_t pid, std::string unit, std::uint64_t pss_bytes) {
  ProcessSample s;
  s.pid = pid;
  s.comm = "p" + std::to_string(pid);
  s.placement = {std::move(unit), "system.slice", "system"};
  s.rollup.has_memory = true;
  s.rollup.rss_bytes = pss_bytes;
  s.rollup.pss_bytes = pss_bytes;
  s.rollup.pss_anon_bytes = pss_bytes;
  s.rollup.pss_file_bytes = 0;
  s.rollup.pss_shmem_bytes = 0;
  return s;
}

SystemFigures figures(std::uint64_t total, std::uint64_t available) {
  SystemFigures system;
  system.meminfo.mem_total_bytes = total;
  system.meminfo.mem_free_bytes = available / 2;
  system.meminfo.mem_available_bytes = available;
  return system;
}

GpuDevice gpu(bool integrated, std::vector<std::pair<pid_t, std::optional<std::uint64_t>>> processes) {
  GpuDevice device;
  device.name = integrated ? "NVIDIA Thor" : "NVIDIA H100 80GB HBM3";
  device.uuid = integrated ? "GPU-thor" : "GPU-h100";
  device.integrated = integrated;
  if (!integrated) {
    device.total_bytes = 80 * 1024 * kMiB;
    device.used_bytes = 0;
  }
  device.processes_complete = true;
  for (auto [pid, bytes] : processes) {
    device.processes.push_back(GpuProcess{pid, bytes, true, false});
    device.attributed_bytes += bytes.value_or(0);
    if (device.used_bytes) *device.used_bytes += bytes.value_or(0);
  }
  if (device.used_bytes) device.unattributed_bytes = 0;
  return device;
}

}  // namespace

TEST_CASE("a process's GPU memory is its NVML rows over every GPU, matched by PID", "[ledger]") {
  SystemFigures system = figures(64 * 1024 * kMiB, 32 * 1024 * kMiB);
  system.gpus.available = true;
  system.gpus.devices = {gpu(false, {{10, 1024 * kMiB}, {11, 2048 * kMiB}}), gpu(false, {{10, 512 * kMiB}})};
  const Ledger ledger = buildLedger(
      system, {sample(10, "train.service", 300 * kMiB), sample(11, "train.service", 100 * kMiB)}, {});
  REQUIRE(ledger.processes.size() == 2);
  CHECK(ledger.processes[0].gpu_bytes == 1536 * kMiB);
  CHECK(ledger.processes[1].gpu_bytes == 2048 * kMiB);
  REQUIRE(ledger.units.size() == 1);
  CHECK(ledger.units[0].memory.gpu_bytes == 3584 * kMiB);
  CHECK(ledger.totals.memory.gpu_bytes == 3584 * kMiB);
  CHECK(ledger.totals.gpu_unmatched_bytes == 0);
}

TEST_CASE("a discrete GPU's memory is not system memory: no part of the cost or of what is unaccounted",
          "[ledger]") {
  SystemFigures system = figures(64 * 1024 * kMiB, 60 * 1024 * kMiB);
  system.gpus.available = true;
  system.gpus.devices = {gpu(false, {{10, 2048 * kMiB}})};
  const Ledger with_gpu = buildLedger(system, {sample(10, "train.service", 300 * kMiB)}, {});
  system.gpus = GpuSnapshot{};
  const Ledger without = buildLedger(system, {sample(10, "train.service", 300 * kMiB)}, {});
  CHECK(with_gpu.processes[0].gpu_shared_bytes == 0);
  CHECK(with_gpu.processes[0].costBytes() == without.processes[0].costBytes());
  CHECK(with_gpu.totals.unaccounted_bytes == without.totals.unaccounted_bytes);
}

TEST_CASE(
    "an integrated GPU's memory counts in the cost where NvMap is unavailable, and not twice where it is",
    "[ledger]") {
  SystemFigures system = figures(64 * 1024 * kMiB, 40 * 1024 * kMiB);
  system.gpus.available = true;
  system.gpus.devices = {gpu(true, {{10, 4096 * kMiB}, {99, 256 * kMiB}})};
  const Ledger thor = buildLedger(system, {sample(10, "vlm.service", 1024 * kMiB)}, {});
  const LedgerProcess& vlm = thor.processes[0];
  CHECK(vlm.gpu_bytes == 4096 * kMiB);
  CHECK(vlm.gpu_shared_bytes == 4096 * kMiB);
  CHECK(vlm.costBytes() == 5120 * kMiB);
  CHECK(thor.units[0].memory.costBytes() == 5120 * kMiB);
  // used 24 GiB = 1 GiB of PSS + 4.25 GiB on the GPU (PID 99 too, which left) + the rest.
  CHECK(thor.totals.unaccounted_bytes == static_cast<std::int64_t>((24 * 1024 - 1024 - 4096 - 256) * kMiB));
  CHECK(thor.totals.gpu_unmatched_bytes == 256 * kMiB);

  // On a Jetson where NvMap sees the same buffers, NvMap counts them and NVML's figure is shown only.
  system.nvmap.available = true;
  system.nvmap.total_bytes = 4096 * kMiB;
  NvmapHeap heap;
  heap.name = "iovmm";
  heap.total_bytes = 4096 * kMiB;
  heap.clients.push_back({"iovmm", "user", "vlm", 10, 4096 * kMiB});
  system.nvmap.heaps = {heap};
  const Ledger orin = buildLedger(system, {sample(10, "vlm.service", 1024 * kMiB)}, {});
  CHECK(orin.processes[0].gpu_bytes == 4096 * kMiB);
  CHECK(orin.processes[0].gpu_shared_bytes == 0);
  CHECK(orin.processes[0].costBytes() == 5120 * kMiB);
  CHECK(orin.totals.unaccounted_bytes == static_cast<std::int64_t>((24 * 1024 - 1024 - 4096) * kMiB));
}

TEST_CASE("a GPU process that exited before the ledger read it is unmatched, not lost", "[ledger]") {
  SystemFigures system = figures(64 * 1024 * kMiB, 32 * 1024 * kMiB);
  system.gpus.available = true;
  system.gpus.devices = {gpu(false, {{10, 1024 * kMiB}, {4242, 3072 * kMiB}, {0, 8 * kMiB}})};
  const Ledger ledger = buildLedger(system, {sample(10, "a.service", kMiB)}, {});
  REQUIRE(ledger.processes.size() == 1);
  CHECK(ledger.processes[0].gpu_bytes == 1024 * kMiB);
  CHECK(ledger.totals.gpu_unmatched_bytes == 3080 * kMiB);
}

TEST_CASE("a GPU process whose memory NVML cannot attribute adds nothing to its process", "[ledger]") {
  SystemFigures system = figures(64 * 1024 * kMiB, 32 * 1024 * kMiB);
  system.gpus.available = true;
  system.gpus.devices = {gpu(false, {{10, std::nullopt}})};
  const Ledger ledger = buildLedger(system, {sample(10, "a.service", kMiB)}, {});
  CHECK(ledger.processes[0].gpu_bytes == 0);
  const auto json = ledgerToJson(ledger);
  CHECK(json["gpus"][0]["processes"][0]["bytes"].is_null());
}

TEST_CASE("the JSON dump carries gpu_bytes per process and unit, the GPUs and NVML's availability",
          "[ledger]") {
  SystemFigures system = figures(64 * 1024 * kMiB, 32 * 1024 * kMiB);
  system.gpus.available = true;
  GpuDevice h100 = gpu(false, {{10, 1024 * kMiB}});
  h100.processes[0].graphics = true;
  h100.reserved_bytes = 480 * kMiB;
  h100.used_bytes = 1500 * kMiB;
  h100.unattributed_bytes = 476 * kMiB;
  system.gpus.devices = {h100, gpu(true, {{10, 64 * kMiB}})};
  const auto json = ledgerToJson(buildLedger(system, {sample(10, "a.service", 10 * kMiB)}, {}));

  CHECK(json["nvml"] == nlohmann::ordered_json{{"available", true}});
  REQUIRE(json["gpus"].size() == 2);
  const auto& first = json["gpus"][0];
  CHECK(first["name"] == "NVIDIA H100 80GB HBM3");
  CHECK(first["uuid"] == "GPU-h100");
  CHECK(first["integrated"] == false);
  CHECK(first["total_bytes"] == 80 * 1024 * kMiB);
  CHECK(first["reserved_bytes"] == 480 * kMiB);
  CHECK(first["used_bytes"] == 1500 * kMiB);
  CHECK(first["attributed_bytes"] == 1024 * kMiB);
  CHECK(first["unattributed_bytes"] == 476 * kMiB);
  CHECK(first["processes"][0] ==
        nlohmann::ordered_json{{"pid", 10}, {"bytes", 1024 * kMiB}, {"type", "C+G"}});
  CHECK(first["problems"].empty());
  const auto& second = json["gpus"][1];
  CHECK(second["integrated"] == true);
  CHECK(second["total_bytes"].is_null());
  CHECK(second["reserved_bytes"].is_null());
  CHECK(second["used_bytes"].is_null());
  CHECK(second["unattributed_bytes"].is_null());

  const auto& process = json["processes"][0];
  CHECK(process["gpu_bytes"] == 1088 * kMiB);
  CHECK(process["gpu_shared_bytes"] == 64 * kMiB);
  CHECK(process["cost_bytes"] == 74 * kMiB);
  CHECK(json["units"][0]["gpu_bytes"] == 1088 * kMiB);
  CHECK(json["totals"]["gpu_bytes"] == 1088 * kMiB);
  CHECK(json["totals"]["gpu_unmatched_bytes"] == 0);
}

TEST_CASE("without NVML the GPUs are an empty list and the reason says why, never zeros", "[ledger]") {
  SystemFigures system = figures(8000 * kMiB, 6000 * kMiB);
  system.gpus.reason = "Failed to load NVML: libnvidia-ml.so.1: cannot open shared object file";
  const auto json = ledgerToJson(buildLedger(system, std::vector<ProcessSample>{}, {}));
  CHECK(json["nvml"]["available"] == false);
  CHECK(json["nvml"]["reason"] == system.gpus.reason);
  CHECK(json["gpus"].empty());
}
