#pragma once

#include <cstddef>
#include <cstdint>

#include "ledger/ledger.h"
#include "metrics/metrics_input.h"

namespace jmem::metrics {

// Pure: the system figures of a ledger sampled at `sample_usec` (CLOCK_REALTIME).
SystemMetrics systemMetricsOf(const Ledger& ledger, std::uint64_t sample_usec);

// Pure: the `top_units` costliest units (at most kMaxTopUnits) in the order of rankedBefore, and the
// rest summed.
UnitMetrics unitMetricsOf(const Ledger& ledger, std::size_t top_units = kDefaultTopUnits);

}  // namespace jmem::metrics
