// The governor's metrics for node_exporter's textfile collector: the ledger and whether it is stale,
// the last compliance check, the throttle and jmemd's own cost, written atomically every
// kMetricsEveryTicks, after each throttle action and when the ledger turns stale or current again.
#include <spdlog/spdlog.h>

#include <cerrno>

#include "core/clock.h"
#include "metrics/governor_metrics.h"
#include "metrics/ledger_metrics.h"
#include "metrics/metrics_text.h"
#include "metrics/textfile.h"
#include "service/governor.h"

namespace jmem {

void Governor::publishMetrics() {
  if (options_.metrics_dir.empty() || !state_.ledger) return;
  metrics::MetricsInput input;
  input.system = metrics::systemMetricsOf(*state_.ledger, state_.figures.last_sample_usec);
  input.sampling = metrics::SampleMetrics{
      sample_health_.state(loopNowUsec(), interval_) == SampleState::kStale, sample_health_.failures()};
  input.units = metrics::unitMetricsOf(*state_.ledger, metrics::kDefaultTopUnits);
  input.mode = policy_.mode.value;
  input.policy_fingerprint = state_.policy_fingerprint;
  if (boot_figures_.l4t) {
    input.l4t = boot_figures_.l4t->l4t;
    input.jetpack = boot_figures_.l4t->jetpack;
  }
  input.compliance = policy_jobs_.metrics;
  if (throttle_.side) input.throttle = metrics::throttleMetricsOf(state_.throttle);
  const throttle::Room now = room();
  input.headroom = metrics::HeadroomMetrics{now.headroom_bytes, now.throttle_bytes};
  const reclaim::Report reclaimed = reclaimReport();
  metrics::ReclaimMetrics reclaim{{}, reclaimed.policy_would_take_bytes, reclaimed.other_means_bytes};
  for (const reclaim::Row& r : reclaimed.rows) reclaim.rows.push_back({r.knob, r.bytes, r.backBytes()});
  input.reclaim = std::move(reclaim);
  input.actions = action_counters_.counts();
  input.self = metrics::selfMetricsOf(state_.self_stats);
  auto written = metrics::writeTextfile(options_.metrics_dir, metrics::kDefaultTextfileName,
                                        metrics::formatMetrics(input));
  // Each problem is logged when it appears or changes, not at every write.
  std::string problem;
  bool warning = true;
  if (!written && written.error().errno_value == EROFS) {
    // The unit's sandbox makes the directory writable only if it existed when jmemd started.
    problem = "Failed to publish metrics: " + written.error().message +
              "; the directory appeared after jmemd started (node_exporter installed since?): restart jmemd";
  } else if (!written) {
    problem = "Failed to publish metrics: " + written.error().message;
  } else if (*written == metrics::TextfileWrite::kDirectoryMissing) {
    problem = "Metrics off: " + options_.metrics_dir.string() +
              " does not exist (no node_exporter textfile collector)";
    warning = false;
  }
  if (problem != metrics_problem_) {
    if (!problem.empty()) {
      spdlog::log(warning ? spdlog::level::warn : spdlog::level::info, "{}", problem);
    } else {
      spdlog::info("Metrics published again to {}", options_.metrics_dir.string());
    }
  }
  metrics_problem_ = std::move(problem);
}

}  // namespace jmem
