#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "accuracy.h"
#include "bench_options.h"
#include "population.h"
#include "sources/process_sampler.h"

namespace jmem::bench {

inline constexpr double kTickGoalPercent = 10.0;
inline constexpr double kSumGoalPercent = 1.0;

// The file mapper's PSS doubles when the sharer unmaps the file, but its resident set stays put: only the
// maximum age brings the sampler's reading back, by max_age ticks after the first (+1 of slack).
struct StalenessProbe {
  bool running = false;
  bool pending = false;
  std::uint64_t truth_bytes = 0;
  std::uint64_t stale_bytes = 0;
  std::size_t caught_up_tick = 0;
  std::size_t bound_ticks = 0;
};

struct TickTotals {
  std::vector<double> cpu_ms;
  std::vector<double> quiet_cpu_ms;  // ticks without a full pass just before them
  std::vector<double> foreign_ms;    // reading again, after the tick, the other processes it read
  double foreign_rereads = 0;
  double rollup_reads = 0, statm_reads = 0, new_processes = 0, moved = 0, expired = 0;
  std::size_t max_rollup_reads = 0;
  void add(const TickStats& stats, double tick_ms, bool checkpoint);
};

struct CheckpointTotals {
  std::size_t count = 0;
  std::size_t gated = 0;
  std::size_t foreign_sharing = 0;
  std::size_t compared = 0;
  double worst_sum_error_percent = 0;
  void add(const Comparison& comparison);
};

struct BenchResults {
  PopulationShape shape;
  ProcessCounts counts;
  std::vector<double> full_ms, statm_ms, anon_ms, mapper_ms;
  double first_ms = 0;
  std::size_t first_rollups = 0;
  TickTotals ticks;
  Comparison last;
  CheckpointTotals checkpoints;
  StalenessProbe probe;
};

struct Verdicts {
  bool timing = false;
  bool sum = false;
  bool processes = false;
  bool probe = false;
  bool probe_conclusive = false;
  bool accuracy() const { return sum && processes && probe; }
};

Verdicts judge(const BenchResults& results, const BenchOptions& options);

void printCheckpoint(std::size_t tick, const Comparison& comparison);
void printTick(std::size_t tick, double tick_ms, const TickStats& stats);
void printReport(const BenchResults& results, const BenchOptions& options, const Verdicts& verdicts);

double ms(std::chrono::nanoseconds cpu);

}  // namespace jmem::bench
