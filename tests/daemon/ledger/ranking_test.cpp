#include "ledger/ranking.h"

#include <catch2/catch.hpp>

using namespace jmem;

namespace {

LedgerProcess process(pid_t pid, std::uint64_t pss, std::uint64_t nvmap) {
  LedgerProcess p;
  p.sample.pid = pid;
  p.sample.rollup.pss_bytes = pss;
  p.nvmap_bytes = nvmap;
  return p;
}

std::vector<pid_t> pids(const std::vector<const LedgerProcess*>& ranked) {
  std::vector<pid_t> out;
  for (const auto* p : ranked) out.push_back(p->sample.pid);
  return out;
}

}  // namespace

TEST_CASE("sort keys are pss, nvmap, gpu and cost, and anything else is named in the error", "[ledger]") {
  CHECK(*parseSortKey("pss") == SortKey::kPss);
  CHECK(*parseSortKey("nvmap") == SortKey::kNvmap);
  CHECK(*parseSortKey("gpu") == SortKey::kGpu);
  CHECK(toString(SortKey::kGpu) == "gpu");
  CHECK(*parseSortKey("cost") == SortKey::kCost);
  const auto bad = parseSortKey("size");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "Unknown sort key \"size\": expected pss, nvmap, gpu, cost or name");
}

TEST_CASE("processes rank largest first by the chosen key, ties in PID order", "[ledger]") {
  Ledger ledger;
  ledger.processes = {process(1, 10, 100), process(2, 30, 0), process(3, 20, 50), process(4, 30, 0)};
  CHECK(pids(*topProcesses(ledger, SortKey::kPss, 0)) == std::vector<pid_t>{2, 4, 3, 1});
  CHECK(pids(*topProcesses(ledger, SortKey::kNvmap, 0)) == std::vector<pid_t>{1, 3, 2, 4});
  CHECK(pids(*topProcesses(ledger, SortKey::kCost, 0)) == std::vector<pid_t>{1, 3, 2, 4});
}

TEST_CASE("by name, processes go A to Z by comm and units by unit, the costlier first on a tie", "[ledger]") {
  CHECK(*parseSortKey("name") == SortKey::kName);
  Ledger ledger;
  ledger.processes = {process(1, 10, 0), process(2, 30, 0), process(3, 20, 0)};
  ledger.processes[0].sample.comm = "zeta";
  ledger.processes[1].sample.comm = "alpha";
  ledger.processes[2].sample.comm = "zeta";
  CHECK(pids(*topProcesses(ledger, SortKey::kName, 0)) == std::vector<pid_t>{2, 3, 1});
  ledger.units.resize(2);
  ledger.units[0].unit = "b.service";
  ledger.units[1].unit = "a.service";
  CHECK((*topUnits(ledger, SortKey::kName, 0))[0]->unit == "a.service");
}

TEST_CASE("a limit cuts the list, zero means all, and an absurd limit is refused", "[ledger]") {
  Ledger ledger;
  ledger.processes = {process(1, 10, 0), process(2, 30, 0), process(3, 20, 0)};
  CHECK(topProcesses(ledger, SortKey::kPss, 2)->size() == 2);
  CHECK(topProcesses(ledger, SortKey::kPss, 0)->size() == 3);
  CHECK(topProcesses(ledger, SortKey::kPss, kMaxListLimit)->size() == 3);
  const auto refused = topProcesses(ledger, SortKey::kPss, kMaxListLimit + 1);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find(std::to_string(kMaxListLimit + 1)) != std::string::npos);
  CHECK_FALSE(topUnits(ledger, SortKey::kPss, 4000000000u).ok());
}

TEST_CASE("units rank by their summed memory", "[ledger]") {
  Ledger ledger;
  ledger.units.resize(2);
  ledger.units[0].unit = "small.service";
  ledger.units[0].memory.pss_bytes = 5;
  ledger.units[1].unit = "big.service";
  ledger.units[1].memory.pss_bytes = 50;
  const auto ranked = *topUnits(ledger, SortKey::kCost, 1);
  REQUIRE(ranked.size() == 1);
  CHECK(ranked[0]->unit == "big.service");
}

TEST_CASE("processes rank by their GPU memory with the gpu key, which a discrete GPU keeps out of the cost",
          "[ledger]") {
  Ledger ledger;
  ledger.processes = {process(1, 10, 0), process(2, 30, 0), process(3, 20, 0)};
  ledger.processes[0].gpu_bytes = 2048;
  ledger.processes[2].gpu_bytes = 1024;
  CHECK(pids(*topProcesses(ledger, SortKey::kGpu, 0)) == std::vector<pid_t>{1, 3, 2});
  CHECK(pids(*topProcesses(ledger, SortKey::kCost, 0)) == std::vector<pid_t>{2, 3, 1});
}

TEST_CASE("units of equal size rank by manager, then name, whatever order the ledger holds them in",
          "[ledger]") {
  Ledger ledger;
  const std::vector<std::pair<std::string, std::string>> held = {
      {"user@1000.service", "a.service"}, {"system", "b.service"}, {"system", "a.service"}};
  for (const auto& [manager, name] : held) {
    LedgerUnit unit;
    unit.manager = manager;
    unit.unit = name;
    unit.memory.pss_bytes = 7;
    ledger.units.push_back(unit);
  }
  for (const SortKey key : {SortKey::kPss, SortKey::kNvmap, SortKey::kGpu, SortKey::kCost}) {
    const auto ranked = *topUnits(ledger, key, 0);
    REQUIRE(ranked.size() == 3);
    CHECK(ranked[0] == &ledger.units[2]);
    CHECK(ranked[1] == &ledger.units[1]);
    CHECK(ranked[2] == &ledger.units[0]);
    CHECK(rankedBefore(*ranked[0], *ranked[1], key));
    CHECK_FALSE(rankedBefore(*ranked[1], *ranked[0], key));
  }
}
