#include "metrics/governor_metrics.h"

#include <algorithm>

namespace jmem::metrics {

ComplianceMetrics complianceMetricsOf(const compliance::CheckReport& report, std::uint64_t checked_usec) {
  ComplianceMetrics m;
  m.checked_usec = checked_usec;
  m.verdict = std::string(compliance::toString(report.verdict()));
  m.compliant = report.compliant();
  m.drift_items = report.count(compliance::ItemState::kDrift);
  m.unknown_items = report.count(compliance::ItemState::kUnknown);
  m.reboot_pending_items = report.count(compliance::ItemState::kRebootPending);
  m.drift_cost_bytes = report.driftCostBytes();
  return m;
}

ComplianceMetrics uncheckedComplianceMetrics(std::uint64_t checked_usec) {
  ComplianceMetrics m;
  m.checked_usec = checked_usec;
  m.verdict = std::string(compliance::toString(compliance::Verdict::kUnknown));
  return m;
}

ThrottleMetrics throttleMetricsOf(const throttle::Decision& decision) {
  ThrottleMetrics m;
  m.phase = decision.phase;
  m.units_acted_on =
      static_cast<std::uint64_t>(std::count_if(decision.state.units.begin(), decision.state.units.end(),
                                               [](const auto& unit) { return unit.anyApplied(); }));
  return m;
}

ThrottleMetrics throttleMetricsOf(const throttle::ThrottleStatus& status) {
  ThrottleMetrics m;
  m.phase = status.phase;
  m.units_acted_on = static_cast<std::uint64_t>(std::count_if(
      status.units.begin(), status.units.end(), [](const auto& unit) { return unit.anyApplied(); }));
  return m;
}

SelfMetrics selfMetricsOf(const SelfStats& stats) {
  SelfMetrics m;
  m.ticks = stats.ticks();
  m.tick_lateness_p99_usec = stats.latenessPercentileUsec(99);
  m.tick_lateness_max_usec = stats.latenessMaxUsec();
  m.tick_cpu_mean_usec = stats.cpuMeanUsec();
  m.rollup_reads = stats.lastRollupReads();
  return m;
}

}  // namespace jmem::metrics
