#pragma once

#include <string>

#include "metrics/metrics_input.h"

namespace jmem::metrics {

// Pure: the input in the Prometheus text exposition format 0.0.4, for node_exporter's textfile
// collector (so no time stamps on samples: jmem_sample_timestamp_seconds says when). Every family has
// HELP and TYPE; sizes in bytes, times in seconds, shares as ratios 0..1. A family whose source is
// unavailable (NvMap, PSI, swap, a check not yet run, no controller) is left out, never written as 0.
// The families and their labels are listed in daemon/metrics/README.md.
std::string formatMetrics(const MetricsInput& input);

}  // namespace jmem::metrics
