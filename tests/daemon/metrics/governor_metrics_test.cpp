#include "metrics/governor_metrics.h"

#include <catch2/catch.hpp>

#include "metrics/action_counters.h"

using namespace jmem;
using namespace jmem::metrics;

namespace {

compliance::CheckItem item(compliance::ItemKind kind, compliance::ItemState state, std::uint64_t cost_bytes) {
  compliance::CheckItem i;
  i.kind = kind;
  i.subject = "gdm3.service";
  i.state = state;
  i.cost_bytes = cost_bytes;
  return i;
}

}  // namespace

TEST_CASE("compliance metrics count drift and unknown items and price the drift as the check does",
          "[metrics]") {
  using compliance::ItemKind;
  using compliance::ItemState;
  compliance::CheckReport report;
  report.items = {
      item(ItemKind::kUnitFile, ItemState::kDrift, 300), item(ItemKind::kUnitActive, ItemState::kDrift, 300),
      item(ItemKind::kDefaultTarget, ItemState::kOk, 0), item(ItemKind::kBootNow, ItemState::kUnknown, 0),
      item(ItemKind::kUserUnitMask, ItemState::kNotApplicable, 0)};
  const ComplianceMetrics m = complianceMetricsOf(report, 1234);
  CHECK(m.checked_usec == 1234);
  CHECK_FALSE(m.compliant);
  CHECK(m.drift_items == 2);
  CHECK(m.unknown_items == 1);
  CHECK(m.drift_cost_bytes == report.driftCostBytes());

  report.items.resize(3);
  report.items[0].state = report.items[1].state = ItemState::kOk;
  const ComplianceMetrics clean = complianceMetricsOf(report, 1);
  CHECK(clean.compliant);
  CHECK(clean.drift_items == 0);
  CHECK(clean.drift_cost_bytes == 0);
}

TEST_CASE("compliance metrics carry the check's verdict and count the items waiting for a reboot",
          "[metrics]") {
  using compliance::ItemKind;
  using compliance::ItemState;
  compliance::CheckReport report;
  report.items = {item(ItemKind::kBootNow, ItemState::kRebootPending, 0),
                  item(ItemKind::kBootNext, ItemState::kOk, 0)};
  ComplianceMetrics m = complianceMetricsOf(report, 1);
  CHECK(m.verdict == "reboot-pending");
  CHECK_FALSE(m.compliant);
  CHECK(m.reboot_pending_items == 1);

  report.items.push_back(item(ItemKind::kUnitActive, ItemState::kUnknown, 0));
  m = complianceMetricsOf(report, 1);
  CHECK(m.verdict == "unknown");
  CHECK_FALSE(m.compliant);

  report.items.push_back(item(ItemKind::kUnitActive, ItemState::kDrift, 0));
  CHECK(complianceMetricsOf(report, 1).verdict == "drift");
}

TEST_CASE("a check that could not run is published as unknown, never compliant", "[metrics]") {
  const ComplianceMetrics m = uncheckedComplianceMetrics(77);
  CHECK(m.checked_usec == 77);
  CHECK(m.verdict == "unknown");
  CHECK_FALSE(m.compliant);
}

TEST_CASE("throttle metrics take the phase and count the units with something applied", "[metrics]") {
  throttle::Decision decision;
  decision.phase = throttle::Phase::kReleasing;
  throttle::UnitState throttled;
  throttled.unit = "a.service";
  throttled.memory_high_bytes = 64 << 20;
  throttle::UnitState frozen;
  frozen.unit = "b.service";
  frozen.frozen = true;
  throttle::UnitState released;
  released.unit = "c.service";
  decision.state.units = {throttled, frozen, released};
  const ThrottleMetrics m = throttleMetricsOf(decision);
  CHECK(m.phase == throttle::Phase::kReleasing);
  CHECK(m.units_acted_on == 2);
}

TEST_CASE("self metrics are the governor's own statistics", "[metrics]") {
  SelfStats stats;
  for (int i = 1; i <= 200; ++i)
    stats.record(std::chrono::microseconds(i * 10), std::chrono::microseconds(i), 7);
  const SelfMetrics m = selfMetricsOf(stats);
  CHECK(m.ticks == stats.ticks());
  CHECK(m.tick_lateness_p99_usec == stats.latenessPercentileUsec(99));
  CHECK(m.tick_lateness_max_usec == stats.latenessMaxUsec());
  CHECK(m.tick_cpu_mean_usec == stats.cpuMeanUsec());
  CHECK(m.rollup_reads == 7);
}

TEST_CASE("action counters start with every known action at zero", "[metrics]") {
  const auto counts = ActionCounters().counts();
  CHECK(counts.size() == 12);
  for (const auto& c : counts) {
    INFO(c.source << " " << c.action);
    CHECK((c.source == "throttle" || c.source == "policy"));
    CHECK(c.taken == 0);
    CHECK(c.failed == 0);
  }
}

TEST_CASE("action counters add up what was taken and what failed, per source and action", "[metrics]") {
  ActionCounters counters;
  counters.recordThrottle(throttle::ActionKind::kFreeze, true);
  counters.recordThrottle(throttle::ActionKind::kFreeze, true);
  counters.recordThrottle(throttle::ActionKind::kStop, false);
  counters.recordPolicyChange(compliance::PlannedChange::Kind::kStopUnit, true);
  const auto counts = counters.counts();
  CHECK(counts.size() == 12);
  const auto find = [&](std::string_view source, std::string_view action) {
    for (const auto& c : counts) {
      if (c.source == source && c.action == action) return c;
    }
    FAIL("missing " << source << " " << action);
    return ActionCount{};
  };
  CHECK(find("throttle", "freeze").taken == 2);
  CHECK(find("throttle", "freeze").failed == 0);
  CHECK(find("throttle", "stop").taken == 1);
  CHECK(find("throttle", "stop").failed == 1);
  CHECK(find("policy", "stop").taken == 1);
  CHECK(find("policy", "mask").taken == 0);
}
