#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "proc_pass.h"
#include "sources/process_reader.h"

namespace jmem::bench {

// How far one process's sampled PSS may be from the truth: max(1 % of its PSS, 1 MiB).
std::uint64_t toleranceBytes(std::uint64_t pss_bytes);

struct ProcessError {
  pid_t pid = 0;
  std::string comm;
  bool own = false;  // one of the benchmark's processes
  std::uint64_t sampled_bytes = 0;
  std::uint64_t sampled_rss_bytes = 0;  // the resident set the sampler saw with that PSS
  Reading before;                       // full pass just before the tick
  Reading after;                        // full pass just after it: the truth
  std::uint64_t errorBytes() const;
  double errorInTolerances() const;
  // The resident set is where the sampler saw it, yet PSS moved: pages shared with other processes
  // changed (a fork, an exit, another mapper). Nothing cheap tells; the maximum age bounds it.
  bool sharingChange() const;
};

// The sampler's readings after one tick against full passes taken just before and just after it. A process
// whose PSS moved past its tolerance between the two passes has no fixed truth at the moment of the tick:
// it is counted as moving and left out, as are processes present on one side only.
struct Comparison {
  std::size_t compared = 0;
  std::size_t moving = 0;
  std::size_t came_or_went = 0;  // in the sampler or in the passes only: started or exited around the tick
  std::size_t missing = 0;       // in both passes, not in the sampler
  std::size_t probed = 0;        // left to the staleness probe while it is pending
  std::size_t violations = 0;    // compared processes off by more than their tolerance
  std::size_t missed_moves = 0;  // violations whose resident set moved: the sampler should have re-read them
  std::size_t own_violations = 0;       // violations among the benchmark's own processes
  std::size_t foreign_sharing = 0;      // other processes' sharing changes, bounded by the maximum age only
  std::uint64_t sampled_sum_bytes = 0;  // over the compared processes
  std::uint64_t truth_sum_bytes = 0;
  std::uint64_t raw_sampled_sum_bytes = 0;  // over every process in the sampler and the after pass
  std::uint64_t raw_truth_sum_bytes = 0;
  std::optional<ProcessError> worst;    // the largest error relative to its tolerance
  std::vector<ProcessError> violators;  // the first few
  std::vector<pid_t> missing_pids;      // the first few
  std::vector<ProcessError> movers;     // the largest moving processes

  // What fails the goal: missing processes, missed moves, and any violation among our own processes.
  std::size_t gatedViolations() const { return missing + missed_moves + own_violations; }
  double sumErrorPercent() const;
  double rawSumErrorPercent() const;
};

Comparison compare(const std::vector<ProcessSample>& samples, const PassResult& before,
                   const PassResult& after, pid_t probed_pid, const std::function<bool(pid_t)>& is_own);

}  // namespace jmem::bench
