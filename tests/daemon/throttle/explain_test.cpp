#include "throttle/explain.h"

#include <catch2/catch.hpp>

#include "support/policy_text.h"

using namespace jmem;
using namespace jmem::throttle;

namespace {

const char* kPolicy = R"(keep = ["ssh.service"]

[classes.gui]
action = "mask"
units = ["gdm3.service", "batch*.service"]

[pressure]
allow_stop = true

[[workloads]]
unit = "batch*.service"
priority = 10
actions = ["throttle", "freeze", "stop"]

[[workloads]]
unit = "batch-main.service"
priority = 5
actions = ["freeze"]

[[workloads]]
unit = "camera.service"
priority = 20
actions = ["throttle", "freeze"]
throttle_memory_high_mib = 100
)";

SnapshotUnit unit(const std::string& name, std::uint64_t cost_mib) {
  SnapshotUnit figures;
  figures.unit = name;
  figures.cost_bytes = cost_mib * kMiB;
  figures.file_bytes = figures.cost_bytes;  // all of it page cache: a throttle can move it
  return figures;
}

Snapshot snapshot() {
  Snapshot s;
  s.mem_available_bytes = 4000 * kMiB;
  s.units = {unit("batch-main.service", 800), unit("batch-aux.service", 400), unit("camera.service", 300),
             unit("ssh.service", 10)};
  return s;
}

}  // namespace

TEST_CASE("explain names every rule that matches a unit, where it is written, and which workload governs it",
          "[throttle]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const Explanation e = explainUnit("batch-main.service", snapshot(), {}, policy, {});
  CHECK(e.in_ledger);
  CHECK(e.cost_bytes == 800 * kMiB);
  REQUIRE(e.matches.size() == 3);
  CHECK(e.matches[0].kind == "class");
  CHECK(e.matches[0].name == "gui");
  CHECK(e.matches[0].pattern == "batch*.service");
  CHECK(e.matches[0].where.starts_with("test.toml:5:"));
  CHECK(e.matches[1].kind == "workload");
  CHECK(e.matches[1].detail.find("does not govern it") != std::string::npos);
  CHECK_FALSE(e.matches[1].governs);
  // The exact name wins over the glob written before it.
  CHECK(e.matches[2].pattern == "batch-main.service");
  CHECK(e.matches[2].detail == "priority 5, freeze; governs it");
  CHECK(e.matches[2].governs);
  CHECK(e.matches[2].where.starts_with("test.toml:"));
}

TEST_CASE("explain gives the next rung and the whole sequence the throttle would take, with what each gives",
          "[throttle]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const Explanation e = explainUnit("batch-aux.service", snapshot(), {}, policy, {});
  CHECK_FALSE(e.never_acted_on);
  CHECK(e.rung_now == "none");
  REQUIRE(e.next);
  CHECK(e.next->rung == "throttle");
  CHECK(e.next->bytes == 40 * kMiB);  // 10% below its 400 MiB cost, all page cache
  // Lowest priority first: batch-main's freeze, then batch-aux throttle, freeze, stop, then camera.
  const std::vector<LadderStep> expected{
      {"batch-main.service", "freeze", 0},        {"batch-aux.service", "throttle", 40 * kMiB},
      {"batch-aux.service", "freeze", 0},         {"batch-aux.service", "stop", 360 * kMiB},
      {"camera.service", "throttle", 200 * kMiB}, {"camera.service", "freeze", 0}};
  CHECK(e.sequence == expected);
}

TEST_CASE("explain says why the throttle never acts on a kept or essential unit, and what is in effect",
          "[throttle]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const Explanation kept = explainUnit("ssh.service", snapshot(), {}, policy, {});
  CHECK(kept.kept);
  REQUIRE(kept.never_acted_on);
  CHECK(kept.never_acted_on->find("keep list") != std::string::npos);
  CHECK_FALSE(kept.next);
  const Explanation essential = explainUnit("dbus.service", snapshot(), {}, policy, {});
  CHECK(essential.essential);
  CHECK_FALSE(essential.in_ledger);
  ControllerState state;
  state.entryFor("camera.service").memory_high_bytes = 100 * kMiB;
  const Explanation throttled = explainUnit("camera.service", snapshot(), state, policy, {});
  CHECK(throttled.rung_now == "throttle");
  REQUIRE(throttled.next);
  CHECK(throttled.next->rung == "freeze");
  CHECK(throttled.next->bytes == 0);
}

TEST_CASE("where the throttle is off, explain says so and lists no step, and still knows the unit's cost",
          "[throttle]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const Explanation e =
      explainUnit("batch-aux.service", snapshot(), {}, policy, {}, "the throttle is off here: no journal");
  CHECK(e.in_ledger);
  CHECK(e.cost_bytes == 400 * kMiB);
  CHECK(e.never_acted_on == "the throttle is off here: no journal");
  CHECK(e.sequence.empty());
  CHECK_FALSE(e.next);
}
