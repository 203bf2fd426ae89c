// The governor's metrics for node_exporter's textfile collector: the ledger, the last compliance
// check, the throttle and jmemd's own cost, written atomically every kMetricsEveryTicks and after
// each throttle action.
#include <spdlog/spdlog.h>

#include <cerrno>

#include "core/clock.h"
#include "metrics/governor_metrics.h"
#include "metrics/ledger_metrics.h"
#include "metrics/metrics_text.h"
#include "metrics/textfile.h"
#include "service/governor.h"

namespace jmem {

void Governor::checkCompliance() {
  if (options_.metrics_dir.empty() || !keeper_ || !state_.ledger) return;
  compliance_metrics_ = metrics::complianceMetricsOf(keeper_->check(&*state_.ledger), realtimeUsec());
}

void Governor::publishMetrics() {
  if (options_.metrics_dir.empty() || !state_.ledger) return;
  metrics::MetricsInput input;
  input.system = metrics::systemMetricsOf(*state_.ledger, state_.figures.last_sample_usec);
  input.units = metrics::unitMetricsOf(*state_.ledger, metrics::kDefaultTopUnits);
  input.mode = policy_.mode.value;
  input.compliance = compliance_metrics_;
  if (throttler_) input.throttle = metrics::throttleMetricsOf(throttler_->status());
  input.actions = action_counters_.counts();
  input.self = metrics::selfMetricsOf(state_.self_stats);
  auto written = metrics::writeTextfile(options_.metrics_dir, metrics::kDefaultTextfileName,
                                        metrics::formatMetrics(input));
  if (!written && written.error().errno_value == EROFS) {
    // The unit's sandbox makes the directory writable only if it existed when jmemd started.
    if (!metrics_off_logged_) {
      spdlog::warn(
          "Failed to publish metrics: {}; the directory appeared after jmemd started (node_exporter "
          "installed since?): restart jmemd",
          written.error().message);
    }
    metrics_off_logged_ = true;
    return;
  }
  if (!written) {
    spdlog::warn("Failed to publish metrics: {}", written.error().message);
  } else if (*written == metrics::TextfileWrite::kDirectoryMissing && !metrics_off_logged_) {
    spdlog::info("Metrics off: {} does not exist (no node_exporter textfile collector)",
                 options_.metrics_dir.string());
  }
  metrics_off_logged_ = written && *written == metrics::TextfileWrite::kDirectoryMissing;
}

}  // namespace jmem
