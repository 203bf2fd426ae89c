#include "throttle/rung.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "throttle/controller.h"

using namespace jmem;
using namespace jmem::throttle;

TEST_CASE("the rungs rank throttle below freeze below stop", "[throttle]") {
  CHECK(rankOf(rungOf(policy::WorkloadAction::kThrottle)) < rankOf(rungOf(policy::WorkloadAction::kFreeze)));
  CHECK(rankOf(rungOf(policy::WorkloadAction::kFreeze)) < rankOf(rungOf(policy::WorkloadAction::kStop)));
}

TEST_CASE("each rung is found again by its climb, its release, its policy name and its journal kind",
          "[throttle]") {
  for (const Rung& rung : kRungs) {
    CHECK(&rungOf(rung.climb) == &rung);
    CHECK(&rungOf(rung.release) == &rung);
    CHECK(&rungOf(rung.action) == &rung);
    CHECK(rungOfJournalKind(rung.journal_kind) == &rung);
    CHECK(isEscalation(rung.climb));
    CHECK_FALSE(isEscalation(rung.release));
  }
  CHECK(rungOfJournalKind("thaw") == nullptr);
}

TEST_CASE("every action has a name of its own, as the journal and the metrics show it", "[throttle]") {
  std::set<std::string> names;
  for (const Rung& rung : kRungs) {
    names.emplace(toString(rung.climb));
    names.emplace(toString(rung.release));
  }
  CHECK(names.size() == kActionKinds);
  CHECK(toString(ActionKind::kThrottle) == "throttle");
  CHECK(toString(ActionKind::kFreeze) == "freeze");
  CHECK(toString(ActionKind::kStop) == "stop");
  CHECK(toString(ActionKind::kThaw) == "thaw");
  CHECK(toString(ActionKind::kRestoreMemoryHigh) == "restore_memory_high");
  CHECK(toString(ActionKind::kStart) == "start");
}

TEST_CASE("the journal kinds stay those earlier versions wrote, so their journals still load", "[throttle]") {
  CHECK(rungOf(ActionKind::kThrottle).journal_kind == "memory_high");
  CHECK(rungOf(ActionKind::kFreeze).journal_kind == "freeze");
  CHECK(rungOf(ActionKind::kStop).journal_kind == "stop");
}

TEST_CASE("a rung is held while in effect on a unit and lifted by its release alone", "[throttle]") {
  UnitState unit;
  unit.unit = "batch.service";
  unit.memory_high_bytes = 100 * kMiB;
  unit.frozen = true;
  unit.stopped = true;
  for (const Rung& rung : kRungs) {
    CHECK(rung.held(unit));
    rung.lift(unit);
    CHECK_FALSE(rung.held(unit));
  }
  CHECK_FALSE(unit.anyApplied());
  CHECK_FALSE(unit.prior_memory_high_bytes);
}

TEST_CASE("taking a rung holds it on the unit, and its release names the unit and lifts it", "[throttle]") {
  policy::Workload workload;
  SnapshotUnit figures;
  figures.unit = "batch.service";
  figures.cost_bytes = 1000 * kMiB;
  figures.memory_high = OwnMemoryHigh::read(std::nullopt);
  for (const Rung& rung : kRungs) {
    UnitState unit;
    unit.unit = figures.unit;
    Action climb;
    const std::string reason = rung.take(figures, workload, "batch.service (priority 0)", unit, climb);
    CHECK_THAT(reason, Catch::Contains("batch.service (priority 0)"));
    CHECK(rung.held(unit));
    CHECK(climb.memory_high_bytes.has_value() == rung.reads_memory_high);
    Action release;
    CHECK_THAT(rung.describe_release(unit, release), Catch::Contains("batch.service"));
    rung.lift(unit);
    CHECK_FALSE(unit.anyApplied());
  }
}

TEST_CASE("a rung the device lacks says why, and only stop waits on the policy", "[throttle]") {
  const policy::Policy policy;
  for (const Rung& rung : kRungs) {
    CHECK(rung.lacking(Capabilities{}).empty());
    CHECK(rung.allowed(policy) == (rung.climb != ActionKind::kStop));
  }
  CHECK(rungOf(ActionKind::kThrottle).lacking(Capabilities{false, true}) == "memory.high needs cgroup v2");
  CHECK_FALSE(rungOf(ActionKind::kFreeze).lacking(Capabilities{true, false}).empty());
  CHECK(rungOf(ActionKind::kStop).kept_at_shutdown);
  CHECK(rungOf(ActionKind::kStop).ends == policy::WorkloadAction::kFreeze);
}

TEST_CASE("every workload action of the policy is a rung, by the same name and in the same order",
          "[throttle]") {
  std::string names;
  for (const Rung& rung : kRungs) {
    CHECK(policy::toString(rung.action) == rung.climb_name);
    CHECK(policy::workloadActionFromString(rung.climb_name) == rung.action);
    names += (names.empty() ? "" : ", ") + std::string(rung.climb_name);
  }
  CHECK(policy::workloadActionNames() == names);
}
