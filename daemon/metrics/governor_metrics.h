#pragma once

#include <cstdint>

#include "compliance/check.h"
#include "metrics/metrics_input.h"
#include "model/self_stats.h"
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

SelfMetrics selfMetricsOf(const SelfStats& stats);

}  // namespace jmem::metrics
