#pragma once

#include <cstdint>

#include "compliance/check.h"
#include "metrics/metrics_input.h"
#include "service/self_stats.h"
#include "throttle/controller.h"
#include "throttle/throttler.h"

// The governor's state as metrics: the last compliance check, the controller's last decision and the
// governor's own cost. Pure.
namespace jmem::metrics {

ComplianceMetrics complianceMetricsOf(const compliance::CheckReport& report, std::uint64_t checked_usec);
// A check that could not run at all: nothing was observed, so its verdict is unknown.
ComplianceMetrics uncheckedComplianceMetrics(std::uint64_t checked_usec);

ThrottleMetrics throttleMetricsOf(const throttle::Decision& decision);
ThrottleMetrics throttleMetricsOf(const throttle::ThrottleStatus& status);

// Inline: SelfStats lives in the service, which links this library and not the other way round.
inline SelfMetrics selfMetricsOf(const SelfStats& stats) {
  SelfMetrics m;
  m.ticks = stats.ticks();
  m.tick_lateness_p99_usec = stats.latenessPercentileUsec(99);
  m.tick_lateness_max_usec = stats.latenessMaxUsec();
  m.tick_cpu_mean_usec = stats.cpuMeanUsec();
  m.rollup_reads = stats.lastRollupReads();
  return m;
}

}  // namespace jmem::metrics
