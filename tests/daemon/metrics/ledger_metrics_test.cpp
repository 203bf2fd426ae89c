#include "metrics/ledger_metrics.h"

#include <catch2/catch.hpp>

#include "jetson_ledger.h"

using namespace jmem;
using namespace jmem::metrics;

namespace {

LedgerUnit unit(std::string name, std::string manager, std::uint64_t pss_bytes,
                std::uint64_t nvmap_bytes = 0) {
  LedgerUnit u;
  u.unit = std::move(name);
  u.manager = std::move(manager);
  u.memory.pss_bytes = pss_bytes;
  u.memory.nvmap_bytes = nvmap_bytes;
  return u;
}

}  // namespace

TEST_CASE("system metrics take NvMap and PSI only when the kernel offers them", "[metrics]") {
  const Ledger with = test::jetsonLedger(2);
  const SystemMetrics a = systemMetricsOf(with, 77);
  CHECK(a.sample_usec == 77);
  REQUIRE(a.nvmap_bytes);
  CHECK(*a.nvmap_bytes == with.system.nvmap.total_bytes);
  REQUIRE(a.pressure_some_avg10_permyriad);
  CHECK(*a.pressure_some_avg10_permyriad == with.system.pressure.some.avg10_permyriad);
  CHECK(a.pss_bytes == with.totals.memory.pss_bytes);
  CHECK(a.swap_free_bytes == with.system.meminfo.swap_free_bytes);

  const SystemMetrics b = systemMetricsOf(test::jetsonLedger(2, false, false), 77);
  CHECK_FALSE(b.nvmap_bytes);
  CHECK_FALSE(b.pressure_some_avg10_permyriad);
  CHECK_FALSE(b.pressure_full_avg10_permyriad);
}

TEST_CASE("the costliest units are chosen by PSS plus NvMap, whatever the ledger's order", "[metrics]") {
  Ledger ledger;
  ledger.units = {unit("small.service", "system", 10), unit("gpu.service", "system", 5, 100),
                  unit("big.service", "system", 50), unit("tiny.service", "system", 1)};
  const UnitMetrics m = unitMetricsOf(ledger, 2);
  REQUIRE(m.top.size() == 2);
  CHECK(m.top[0].unit == "gpu.service");
  CHECK(m.top[0].cost_bytes == 105);
  CHECK(m.top[1].unit == "big.service");
  CHECK(m.other_cost_bytes == 11);
  CHECK(m.unit_count == 4);
}

TEST_CASE("equal costs are ordered by manager and name so the published set does not flap", "[metrics]") {
  Ledger ledger;
  ledger.units = {unit("b.service", "user@1000.service", 8), unit("b.service", "system", 8),
                  unit("a.service", "user@1000.service", 8)};
  const UnitMetrics m = unitMetricsOf(ledger, 2);
  REQUIRE(m.top.size() == 2);
  CHECK(m.top[0].manager == "system");
  CHECK(m.top[1].unit == "a.service");
  CHECK(m.other_cost_bytes == 8);
}

TEST_CASE("the number of units published is bounded whatever is asked", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(kMaxTopUnits + 10);
  const UnitMetrics m = unitMetricsOf(ledger, 100000);
  CHECK(m.top.size() == kMaxTopUnits);
  std::uint64_t rest = 0;
  for (std::size_t i = kMaxTopUnits; i < ledger.units.size(); ++i) rest += ledger.units[i].memory.costBytes();
  CHECK(m.other_cost_bytes == rest);
  CHECK(rest > 0);
  CHECK(unitMetricsOf(ledger, 0).top.empty());
}

TEST_CASE("an empty ledger has no units and nothing in other", "[metrics]") {
  const UnitMetrics m = unitMetricsOf(Ledger{});
  CHECK(m.top.empty());
  CHECK(m.other_cost_bytes == 0);
  CHECK(m.unit_count == 0);
}

TEST_CASE("GPU metrics take what NVML gives each GPU, an integrated GPU's use from its processes",
          "[metrics]") {
  Ledger ledger = test::jetsonLedger(2);
  CHECK(systemMetricsOf(ledger, 1).gpus.empty());
  CHECK_FALSE(unitMetricsOf(ledger).gpu_available);

  GpuDevice h100;
  h100.index = 0;
  h100.uuid = "GPU-1111";
  h100.total_bytes = 80ull << 30;
  h100.used_bytes = 3ull << 30;
  GpuDevice thor;
  thor.index = 1;
  thor.uuid = "GPU-2222";
  thor.integrated = true;
  thor.processes_complete = true;
  thor.attributed_bytes = 5ull << 30;
  ledger.system.gpus.available = true;
  ledger.system.gpus.devices = {h100, thor};
  const SystemMetrics m = systemMetricsOf(ledger, 1);
  REQUIRE(m.gpus.size() == 2);
  CHECK(m.gpus[0].uuid == "GPU-1111");
  CHECK(m.gpus[0].total_bytes == 80ull << 30);
  CHECK(m.gpus[0].used_bytes == 3ull << 30);
  CHECK(m.gpus[1].index == 1);
  CHECK_FALSE(m.gpus[1].total_bytes);
  CHECK(m.gpus[1].used_bytes == 5ull << 30);
}

TEST_CASE("units carry their GPU bytes, the rest summed beside the cost", "[metrics]") {
  Ledger ledger;
  ledger.system.gpus.available = true;
  ledger.units = {unit("a.service", "system", 300), unit("b.service", "system", 200),
                  unit("c.service", "system", 100)};
  ledger.units[0].memory.gpu_bytes = 7;
  ledger.units[1].memory.gpu_bytes = 11;
  ledger.units[2].memory.gpu_bytes = 13;
  const UnitMetrics m = unitMetricsOf(ledger, 1);
  CHECK(m.gpu_available);
  REQUIRE(m.top.size() == 1);
  CHECK(m.top[0].gpu_bytes == 7);
  CHECK(m.other_gpu_bytes == 24);
}
