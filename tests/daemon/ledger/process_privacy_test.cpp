#include "ledger/process_privacy.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "ledger/ranking.h"
#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

namespace {

ProcVisibility hiding(std::optional<gid_t> exempt = std::nullopt) {
  ProcVisibility visibility;
  visibility.hides_others = true;
  visibility.hidepid = "invisible";
  visibility.exempt_gid = exempt;
  return visibility;
}

LedgerProcess process(pid_t pid, uid_t uid, std::uint64_t pss) {
  LedgerProcess p;
  p.sample.pid = pid;
  p.sample.uid = uid;
  p.sample.cmdline = "/usr/bin/p" + std::to_string(pid) + " --token=secret";
  p.sample.rollup.pss_bytes = pss;
  return p;
}

// Three users' processes, by PID as buildLedger leaves them, and one unit holding all of them.
Ledger ledgerOfThreeUsers() {
  Ledger ledger;
  ledger.processes = {process(100, 0, 300), process(200, 1000, 200), process(300, 1001, 500),
                      process(400, 1000, 100)};
  LedgerUnit unit;
  unit.unit = "shared.service";
  unit.manager = "system";
  unit.pids = {100, 200, 300, 400, 999};
  ledger.units = {unit};
  return ledger;
}

std::vector<pid_t> pidsOf(const std::vector<const LedgerProcess*>& processes) {
  std::vector<pid_t> pids;
  for (const auto* p : processes) pids.push_back(p->sample.pid);
  return pids;
}

}  // namespace

TEST_CASE("root sees every process's details, whatever the mount hides", "[ledger]") {
  CHECK(mayShowDetails(hiding(), Caller{0, false}, 1000));
  CHECK(mayShowDetails(hiding(), Caller{0, false}, 0));
}

TEST_CASE("where /proc hides nothing every caller sees every process", "[ledger]") {
  CHECK(mayShowDetails(ProcVisibility{}, Caller{1000, false}, 1001));
  CHECK(mayShowDetails(ProcVisibility{}, Caller{65534, false}, 0));
}

TEST_CASE("where /proc hides others an unprivileged caller sees only its own processes", "[ledger]") {
  CHECK(mayShowDetails(hiding(), Caller{1000, false}, 1000));
  CHECK_FALSE(mayShowDetails(hiding(), Caller{1000, false}, 1001));
  CHECK_FALSE(mayShowDetails(hiding(), Caller{1000, false}, 0));
}

TEST_CASE("a member of the mount's gid= group sees every process", "[ledger]") {
  CHECK(mayShowDetails(hiding(44), Caller{1000, true}, 0));
  CHECK(mayShowDetails(hiding(44), Caller{1000, true}, 1001));
}

TEST_CASE(
    "membership of the exempt group counts by primary or supplementary group, and only where there is one",
    "[ledger]") {
  const gid_t groups[] = {24, 44, 100};
  const gid_t other_groups[] = {24, 100};
  CHECK(callerInExemptGid(hiding(44), 44, {}));
  CHECK(callerInExemptGid(hiding(44), 1000, groups));
  CHECK_FALSE(callerInExemptGid(hiding(44), 1000, other_groups));
  CHECK_FALSE(callerInExemptGid(hiding(), 44, groups));
}

TEST_CASE("a ranked list keeps only what the caller may see, in rank order, then takes the limit",
          "[ledger]") {
  const Ledger ledger = ledgerOfThreeUsers();
  const auto ranked = topProcesses(ledger, SortKey::kPss, 0);
  REQUIRE(ranked);
  REQUIRE(pidsOf(*ranked) == std::vector<pid_t>{300, 100, 200, 400});
  CHECK(pidsOf(visibleProcesses(*ranked, hiding(), Caller{1000, false})) == std::vector<pid_t>{200, 400});
  CHECK(pidsOf(visibleProcesses(*ranked, hiding(), Caller{1000, false}, 1)) == std::vector<pid_t>{200});
  CHECK(pidsOf(visibleProcesses(*ranked, hiding(), Caller{0, false}, 2)) == std::vector<pid_t>{300, 100});
  CHECK(pidsOf(visibleProcesses(*ranked, ProcVisibility{}, Caller{1000, false})).size() == 4);
  CHECK(visibleProcesses(*ranked, hiding(), Caller{4242, false}).empty());
}

TEST_CASE("a unit's PID list shows the caller only its own processes, and no PID of unknown owner",
          "[ledger]") {
  const Ledger ledger = ledgerOfThreeUsers();
  const LedgerUnit& unit = ledger.units[0];
  CHECK(visiblePids(unit, ledger, hiding(), Caller{1000, false}) == std::vector<pid_t>{200, 400});
  CHECK(visiblePids(unit, ledger, hiding(), Caller{1001, false}) == std::vector<pid_t>{300});
  CHECK(visiblePids(unit, ledger, hiding(44), Caller{1001, true}) == std::vector<pid_t>{100, 200, 300, 400});
  CHECK(visiblePids(unit, ledger, ProcVisibility{}, Caller{1001, false}) ==
        std::vector<pid_t>{100, 200, 300, 400});
}

TEST_CASE("the visibility is read from the roots' proc tree", "[ledger]") {
  FixtureTree tree(
      Files{{"proc/self/mountinfo",
             "22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw,gid=27,hidepid=2\n"}});
  Roots roots;
  roots.proc = tree.path("proc");
  const auto visibility = readProcVisibility(roots);
  REQUIRE(visibility);
  CHECK(visibility->hides_others);
  CHECK(visibility->exempt_gid == std::optional<gid_t>(27));
}
