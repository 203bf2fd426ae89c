#include "report.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace jmem::bench {
namespace {

[[gnu::format(printf, 1, 2)]] std::string format(const char* pattern, ...) {
  char text[256];
  va_list args;
  va_start(args, pattern);
  std::vsnprintf(text, sizeof text, pattern, args);
  va_end(args);
  return text;
}

double mib(std::uint64_t bytes) {
  return static_cast<double>(bytes) / static_cast<double>(kMiB);
}
unsigned long long ull(std::uint64_t value) {
  return value;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double percentile95(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t rank = (values.size() * 95 + 99) / 100;  // nearest rank
  return values[std::max<std::size_t>(rank, 1) - 1];
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (const double value : values) sum += value;
  return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

double maximum(const std::vector<double>& values) {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

double minimum(const std::vector<double>& values) {
  return values.empty() ? 0 : *std::min_element(values.begin(), values.end());
}

double percentOf(double part, double whole) {
  return whole > 0 ? 100.0 * part / whole : 0;
}

void row(const std::string& label, const std::string& value, const std::string& goal = "",
         const char* result = "") {
  std::printf("  %-46s %-60s %-8s %s\n", label.c_str(), value.c_str(), goal.c_str(), result);
}

const char* verdict(bool pass) {
  return pass ? "PASS" : "FAIL";
}

std::string describeWorst(const Comparison& comparison) {
  if (!comparison.worst) return "none compared";
  const ProcessError& worst = *comparison.worst;
  return format("%.2f MiB = %.2f tolerances (%s %d)", mib(worst.errorBytes()), worst.errorInTolerances(),
                worst.comm.c_str(), worst.pid);
}

}  // namespace

double ms(std::chrono::nanoseconds cpu) {
  return static_cast<double>(cpu.count()) / 1e6;
}

void TickTotals::add(const TickStats& stats, double tick_ms, bool checkpoint) {
  cpu_ms.push_back(tick_ms);
  if (!checkpoint) quiet_cpu_ms.push_back(tick_ms);
  rollup_reads += static_cast<double>(stats.rollup_reads);
  statm_reads += static_cast<double>(stats.statm_reads);
  new_processes += static_cast<double>(stats.new_processes);
  moved += static_cast<double>(stats.moved_refreshes);
  expired += static_cast<double>(stats.expired_refreshes);
  max_rollup_reads = std::max(max_rollup_reads, stats.rollup_reads);
}

void CheckpointTotals::add(const Comparison& comparison) {
  ++count;
  gated += comparison.gatedViolations();
  foreign_sharing += comparison.foreign_sharing;
  compared += comparison.compared;
  worst_sum_error_percent = std::max(worst_sum_error_percent, comparison.sumErrorPercent());
}

Verdicts judge(const BenchResults& results, const BenchOptions& options) {
  const StalenessProbe& probe = results.probe;
  Verdicts verdicts;
  verdicts.timing = percentOf(mean(results.ticks.cpu_ms), median(results.full_ms)) <= kTickGoalPercent;
  verdicts.sum = results.last.sumErrorPercent() <= kSumGoalPercent &&
                 results.checkpoints.worst_sum_error_percent <= kSumGoalPercent;
  verdicts.processes = results.last.gatedViolations() == 0 && results.checkpoints.gated == 0;
  // Still stale before the bound is reached says nothing either way.
  verdicts.probe_conclusive = probe.running && (!probe.pending || options.ticks >= probe.bound_ticks);
  verdicts.probe = !probe.running || (probe.pending ? options.ticks < probe.bound_ticks
                                                    : probe.caught_up_tick <= probe.bound_ticks);
  return verdicts;
}

void printTick(std::size_t tick, double tick_ms, const TickStats& stats) {
  std::printf("  tick %3zu: %6.2f ms CPU, %zu rollups (new %zu, moved %zu, expired %zu), %zu statm\n", tick,
              tick_ms, stats.rollup_reads, stats.new_processes, stats.moved_refreshes,
              stats.expired_refreshes, stats.statm_reads);
}

void printCheckpoint(std::size_t tick, const Comparison& comparison) {
  std::printf(
      "  tick %3zu: compared %zu, moving %zu, came/went %zu, sum error %.3f %% (raw %.3f %%), off %zu, "
      "worst %s\n",
      tick, comparison.compared, comparison.moving, comparison.came_or_went, comparison.sumErrorPercent(),
      comparison.rawSumErrorPercent(), comparison.violations + comparison.missing,
      describeWorst(comparison).c_str());
  if (!comparison.movers.empty()) {
    std::string movers;
    for (const ProcessError& error : comparison.movers) {
      movers += format("%s%s %d (%.0f -> %.0f MiB)", movers.empty() ? "" : ", ", error.comm.c_str(),
                       error.pid, mib(error.before.pss_bytes), mib(error.after.pss_bytes));
    }
    std::printf("      moving: %s\n", movers.c_str());
  }
  for (const ProcessError& error : comparison.violators) {
    std::printf(
        "      off: %s %d%s sampled %.2f MiB (RSS %.2f), full passes %.2f and %.2f MiB (RSS %.2f): %s\n",
        error.comm.c_str(), error.pid, error.own ? " (ours)" : "", mib(error.sampled_bytes),
        mib(error.sampled_rss_bytes), mib(error.before.pss_bytes), mib(error.after.pss_bytes),
        mib(error.after.rss_bytes),
        error.sharingChange() ? "RSS still, so a sharing change" : "RSS moved: a missed move");
  }
  for (const pid_t pid : comparison.missing_pids) {
    std::printf("      missing from the sampler: pid %d, in both full passes\n", pid);
  }
}

void printReport(const BenchResults& results, const BenchOptions& options, const Verdicts& verdicts) {
  const PopulationShape& shape = results.shape;
  const TickTotals& ticks = results.ticks;
  const Comparison& last = results.last;
  const CheckpointTotals& checkpoints = results.checkpoints;
  const StalenessProbe& probe = results.probe;
  const double full = median(results.full_ms);
  const double tick_mean = mean(ticks.cpu_ms);
  const double steady = static_cast<double>(std::max<std::size_t>(ticks.cpu_ms.size(), 1));

  std::printf("\n");
  row("measure", "value", "goal", "result");
  row("population in /proc",
      format("%zu (%zu already there, %zu forked)", shape.already_there + shape.children(),
             shape.already_there, shape.children()));
  row("  forked",
      format("%zu sleepers, %zu churners, anon %llu MiB, file %llu MiB%s", shape.sleepers, shape.churners,
             ull(shape.anon_pid ? options.anon_mib : 0), ull(shape.mapper_pid ? options.file_mib : 0),
             shape.file_on_tmpfs ? " (on tmpfs: shmem)" : ""));
  row("processes listed by the sampler",
      format("%zu (%zu with memory)", results.counts.listed, results.counts.with_memory));
  row("max age (staleness bound: + 1 tick)", format("%llu s", ull(options.max_age_s)));
  row(format("full pass CPU, median of %zu", results.full_ms.size()),
      format("%.2f ms (min %.2f, max %.2f)", full, minimum(results.full_ms), maximum(results.full_ms)));
  if (!results.anon_ms.empty()) {
    row(format("  anon child's rollup alone (%llu MiB)", ull(options.anon_mib)),
        format("%.2f ms (%.0f %% of the pass)", median(results.anon_ms),
               percentOf(median(results.anon_ms), full)));
  }
  if (!results.mapper_ms.empty()) {
    row(format("  file mapper's rollup alone (%llu MiB)", ull(options.file_mib)),
        format("%.2f ms (%.0f %% of the pass)", median(results.mapper_ms),
               percentOf(median(results.mapper_ms), full)));
  }
  row(format("statm pass CPU, median of %zu", results.statm_ms.size()),
      format("%.2f ms (%.1f %% of the pass)", median(results.statm_ms),
             percentOf(median(results.statm_ms), full)));
  row("first tick CPU (reads everything)",
      format("%.2f ms (%zu rollups)", results.first_ms, results.first_rollups));
  row(format("steady tick CPU, %zu ticks: mean / median / p95", ticks.cpu_ms.size()),
      format("%.2f / %.2f / %.2f ms (max %.2f)", tick_mean, median(ticks.cpu_ms), percentile95(ticks.cpu_ms),
             maximum(ticks.cpu_ms)));
  if (!ticks.quiet_cpu_ms.empty()) {
    row("  mean without checkpoint ticks", format("%.2f ms", mean(ticks.quiet_cpu_ms)));
  }
  row("steady tick mean / full pass",
      format("%.1f %% (p95 %.1f %%)", percentOf(tick_mean, full),
             percentOf(percentile95(ticks.cpu_ms), full)),
      "<= 10 %", verdict(verdicts.timing));
  const double foreign = mean(ticks.foreign_ms);
  row("  other processes, new or moved (estimate)",
      format("%.2f ms a tick (%.2f reads); without them %.1f %%", foreign, ticks.foreign_rereads / steady,
             percentOf(tick_mean - foreign, full)));
  row("smaps_rollup reads per tick",
      format("%.1f (new %.1f, moved %.1f, expired %.1f; max %zu)", ticks.rollup_reads / steady,
             ticks.new_processes / steady, ticks.moved / steady, ticks.expired / steady,
             ticks.max_rollup_reads));
  row("statm reads per tick", format("%.1f", ticks.statm_reads / steady));
  row("last tick: compared / moving / came+went",
      format("%zu / %zu / %zu (missing %zu)", last.compared, last.moving, last.came_or_went, last.missing));
  row("last tick: PSS sum error",
      format("%.3f %% of %.0f MiB (raw %.3f %%)", last.sumErrorPercent(), mib(last.truth_sum_bytes),
             last.rawSumErrorPercent()),
      "<= 1 %", verdict(last.sumErrorPercent() <= kSumGoalPercent));
  row("last tick: processes off by > max(1 %, 1 MiB)",
      format("%zu (own %zu, missed moves %zu, missing %zu)", last.gatedViolations(), last.own_violations,
             last.missed_moves, last.missing),
      "0", verdict(last.gatedViolations() == 0));
  row("  others' sharing changes (max age bounds)", format("%zu", last.foreign_sharing));
  row("  worst process", describeWorst(last));
  row(format("all %zu checkpoints: worst PSS sum error", checkpoints.count),
      format("%.3f %%", checkpoints.worst_sum_error_percent), "<= 1 %",
      verdict(checkpoints.worst_sum_error_percent <= kSumGoalPercent));
  row(format("all %zu checkpoints: processes off", checkpoints.count),
      format("%zu of %zu compared (+ %zu others' sharing changes)", checkpoints.gated, checkpoints.compared,
             checkpoints.foreign_sharing),
      "0", verdict(checkpoints.gated == 0));
  if (!probe.running) {
    row("staleness probe", "not run (needs --file-mib > 0)");
  } else {
    row("staleness probe (ticks until caught up)",
        format("mapper %.0f -> %.0f MiB, statm still: ", mib(probe.stale_bytes), mib(probe.truth_bytes)) +
            (probe.pending ? format("stale after %zu ticks", options.ticks)
                           : format("caught up at tick %zu", probe.caught_up_tick)),
        format("<= %zu", probe.bound_ticks),
        verdicts.probe_conclusive ? verdict(verdicts.probe) : "run longer");
  }
}

}  // namespace jmem::bench
