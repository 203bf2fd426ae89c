#include "ledger/ledger.h"

#include <catch2/catch.hpp>

#include "ledger/ledger_json.h"

using namespace jmem;

namespace {

ProcessSample sample(pid_t pid, std::string unit, std::uint64_t pss_bytes, std::uint64_t anon_bytes,
                     std::string manager = "system") {
  ProcessSample s;
  s.pid = pid;
  s.comm = "p" + std::to_string(pid);
  s.placement = {std::move(unit), "system.slice", std::move(manager)};
  s.rollup.has_memory = true;
  s.rollup.rss_bytes = pss_bytes;
  s.rollup.pss_bytes = pss_bytes;
  s.rollup.pss_anon_bytes = anon_bytes;
  s.rollup.pss_file_bytes = pss_bytes - anon_bytes;
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

NvmapHeap heap(std::string name, std::uint64_t total, std::vector<std::pair<pid_t, std::uint64_t>> rows) {
  NvmapHeap h;
  h.name = std::move(name);
  h.total_bytes = total;
  for (auto [pid, bytes] : rows) h.clients.push_back({h.name, "user", "proc", pid, bytes});
  return h;
}

constexpr std::uint64_t kMiB = 1024 * 1024;

}  // namespace

TEST_CASE("a process's NvMap share is the sum of its rows over every heap, matched by PID", "[ledger]") {
  SystemFigures system = figures(8000 * kMiB, 6000 * kMiB);
  system.nvmap.available = true;
  system.nvmap.heaps = {heap("iovmm", 150 * kMiB, {{10, 100 * kMiB}, {11, 20 * kMiB}, {0, 5 * kMiB}}),
                        heap("generic-0", 8 * kMiB, {{10, 8 * kMiB}})};
  system.nvmap.total_bytes = 158 * kMiB;

  const Ledger ledger = buildLedger(
      system,
      {sample(10, "gem.service", 50 * kMiB, 40 * kMiB), sample(12, "other.service", 1 * kMiB, 1 * kMiB)}, {});
  REQUIRE(ledger.processes.size() == 2);
  CHECK(ledger.processes[0].nvmap_bytes == 108 * kMiB);
  CHECK(ledger.processes[0].costBytes() == 158 * kMiB);
  CHECK(ledger.processes[1].nvmap_bytes == 0);
  // pid 11 is no process of the ledger and pid 0 is the kernel: both unattributed.
  CHECK(ledger.totals.nvmap_unattributed_bytes == 25 * kMiB);
  CHECK(ledger.totals.memory.nvmap_bytes == 108 * kMiB);
}

TEST_CASE("units sum their processes and are ordered by cost, user units apart from system ones",
          "[ledger]") {
  const Ledger ledger =
      buildLedger(figures(8000 * kMiB, 6000 * kMiB),
                  {sample(1, "a.service", 10 * kMiB, 5 * kMiB), sample(2, "a.service", 30 * kMiB, 5 * kMiB),
                   sample(3, "b.service", 25 * kMiB, 5 * kMiB),
                   sample(4, "a.service", 1 * kMiB, 1 * kMiB, "user@1000.service")},
                  {});
  REQUIRE(ledger.units.size() == 3);
  CHECK(ledger.units[0].unit == "a.service");
  CHECK(ledger.units[0].manager == "system");
  CHECK(ledger.units[0].memory.pss_bytes == 40 * kMiB);
  CHECK(ledger.units[0].pids == std::vector<pid_t>{1, 2});
  CHECK(ledger.units[1].unit == "b.service");
  CHECK(ledger.units[2].manager == "user@1000.service");
  CHECK(ledger.totals.memory.pss_bytes == 66 * kMiB);
}

TEST_CASE("unaccounted memory is what is used beyond unreclaimable PSS and NvMap", "[ledger]") {
  SystemFigures system = figures(8000 * kMiB, 6000 * kMiB);
  system.nvmap.available = true;
  system.nvmap.total_bytes = 300 * kMiB;
  const Ledger ledger = buildLedger(system, {sample(1, "a.service", 500 * kMiB, 400 * kMiB)}, {});
  CHECK(ledger.totals.used_bytes == 2000 * kMiB);
  // 2000 used - 400 anonymous - 300 NvMap; the 100 file-backed are reclaimable, so not subtracted.
  CHECK(ledger.totals.unaccounted_bytes == static_cast<std::int64_t>(1300 * kMiB));
}

TEST_CASE("zram's memory is accounted: unaccounted memory falls by what zram takes, not what it holds",
          "[ledger]") {
  SystemFigures system = figures(8000 * kMiB, 6000 * kMiB);
  const std::vector<ProcessSample> processes{sample(1, "a.service", 500 * kMiB, 400 * kMiB)};
  const std::int64_t without = buildLedger(system, processes, {}).totals.unaccounted_bytes;
  system.zram.available = true;
  system.zram.devices = {{"zram0", 4000 * kMiB, 900 * kMiB, 200 * kMiB, 230 * kMiB, 0, 0, 0}};
  system.zram.totals = {1, 4000 * kMiB, 900 * kMiB, 200 * kMiB, 230 * kMiB};
  const Ledger ledger = buildLedger(system, processes, {});
  CHECK(ledger.totals.unaccounted_bytes == without - static_cast<std::int64_t>(230 * kMiB));
  const auto json = ledgerToJson(ledger);
  CHECK(json["zram"]["available"] == true);
  CHECK(json["zram"]["devices"][0]["name"] == "zram0");
  CHECK(json["zram"]["totals"]["mem_used_bytes"] == 230 * kMiB);
  CHECK(ledgerToJson(buildLedger(figures(8000 * kMiB, 6000 * kMiB), processes, {}))["zram"]["totals"]
            .is_null());
}

TEST_CASE("without the PSS split all of PSS counts as unreclaimable", "[ledger]") {
  ProcessSample old_kernel = sample(1, "a.service", 500 * kMiB, 0);
  old_kernel.rollup.pss_anon_bytes.reset();
  old_kernel.rollup.pss_file_bytes.reset();
  old_kernel.rollup.pss_shmem_bytes.reset();
  const Ledger ledger = buildLedger(figures(8000 * kMiB, 6000 * kMiB), {old_kernel}, {});
  CHECK(ledger.totals.unaccounted_bytes == static_cast<std::int64_t>(1500 * kMiB));
}

TEST_CASE("a unit's PSS part is unknown, and null in the dump, once one of its processes' is unknown",
          "[ledger]") {
  ProcessSample old_kernel = sample(2, "a.service", 500 * kMiB, 0);
  old_kernel.rollup.pss_anon_bytes.reset();
  const Ledger ledger = buildLedger(figures(8000 * kMiB, 6000 * kMiB),
                                    {sample(1, "a.service", 300 * kMiB, 200 * kMiB), old_kernel}, {});
  REQUIRE(ledger.units.size() == 1);
  const PssParts& unit = ledger.units[0].memory;
  CHECK(unit.pss_bytes == 800 * kMiB);
  CHECK_FALSE(unit.pss_anon_bytes);
  CHECK(unit.pss_file_bytes == 600 * kMiB);
  CHECK_FALSE(ledger.totals.memory.pss_anon_bytes);
  const auto json = ledgerToJson(ledger);
  CHECK(json["units"][0]["pss_anon_bytes"].is_null());
  CHECK(json["units"][0]["pss_file_bytes"] == 600 * kMiB);
  CHECK(json["totals"]["pss_anon_bytes"].is_null());
}

TEST_CASE("the JSON dump carries the documented schema with sizes as integer bytes", "[ledger]") {
  SystemFigures system = figures(8000 * kMiB, 6000 * kMiB);
  system.pressure.available = true;
  system.pressure.some.avg10_permyriad = 123;
  system.nvmap.available = true;
  system.nvmap.heaps = {heap("iovmm", 10 * kMiB, {{7, 4 * kMiB}})};
  system.nvmap.total_bytes = 10 * kMiB;
  const auto json = ledgerToJson(buildLedger(system, {sample(7, "cam.service", 3 * kMiB, 2 * kMiB)}, {}));

  for (const char* key : {"meminfo", "pressure", "nvmap", "processes", "units", "totals"}) {
    CHECK(json.contains(key));
  }
  CHECK(json["meminfo"]["mem_total_bytes"] == 8000 * kMiB);
  CHECK(json["meminfo"]["cma_total_bytes"].is_null());
  CHECK(json["pressure"]["some"]["avg10_permyriad"] == 123);
  CHECK(json["nvmap"]["available"] == true);
  CHECK(json["nvmap"]["total_bytes"] == 10 * kMiB);
  const auto& client = json["nvmap"]["clients"][0];
  for (const char* key : {"heap", "client", "process", "pid", "bytes"}) CHECK(client.contains(key));
  const auto& process = json["processes"][0];
  for (const char* key : {"pid", "comm", "uid", "unit", "pss_bytes", "pss_anon_bytes", "pss_file_bytes",
                          "pss_shmem_bytes", "swap_pss_bytes", "nvmap_bytes"}) {
    CHECK(process.contains(key));
  }
  CHECK(process["nvmap_bytes"] == 4 * kMiB);
  CHECK(process["cost_bytes"] == 7 * kMiB);
  const auto& unit = json["units"][0];
  CHECK(unit["unit"] == "cam.service");
  CHECK(unit["processes"] == nlohmann::ordered_json::array({7}));
  CHECK(json["totals"]["pss_bytes"].is_number_unsigned());
}

TEST_CASE("unavailable NvMap and pressure are null with a reason, never zero", "[ledger]") {
  SystemFigures system = figures(8000 * kMiB, 6000 * kMiB);
  system.nvmap.reason = "Failed to open /sys/kernel/debug/nvmap: No such file or directory";
  const auto json = ledgerToJson(buildLedger(system, std::vector<ProcessSample>{}, {}));
  CHECK(json["nvmap"]["available"] == false);
  CHECK(json["nvmap"]["total_bytes"].is_null());
  CHECK(json["nvmap"]["reason"] == system.nvmap.reason);
  CHECK(json["pressure"]["available"] == false);
  CHECK(json["pressure"]["some"].is_null());
}
