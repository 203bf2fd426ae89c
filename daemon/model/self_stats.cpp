#include "model/self_stats.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace jmem {

void SelfStats::record(std::chrono::microseconds lateness, std::chrono::microseconds cpu,
                       std::size_t rollup_reads) {
  const std::size_t slot = static_cast<std::size_t>(ticks_ % kWindow);
  lateness_usec_[slot] = static_cast<std::uint64_t>(std::max<std::int64_t>(lateness.count(), 0));
  cpu_usec_[slot] = static_cast<std::uint64_t>(std::max<std::int64_t>(cpu.count(), 0));
  last_rollup_reads_ = rollup_reads;
  ++ticks_;
}

std::uint64_t SelfStats::latenessPercentileUsec(unsigned percentile) const {
  const std::size_t n = filled();
  if (n == 0) return 0;
  std::vector<std::uint64_t> sorted(lateness_usec_.begin(),
                                    lateness_usec_.begin() + static_cast<std::ptrdiff_t>(n));
  // Nearest rank: the smallest value with at least `percentile`% of the window at or below it.
  const std::size_t wanted = (n * std::min(percentile, 100u) + 99) / 100;
  const std::size_t rank = wanted == 0 ? 0 : wanted - 1;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(rank), sorted.end());
  return sorted[rank];
}

std::uint64_t SelfStats::latenessMaxUsec() const {
  const std::size_t n = filled();
  return n == 0 ? 0
                : *std::max_element(lateness_usec_.begin(),
                                    lateness_usec_.begin() + static_cast<std::ptrdiff_t>(n));
}

std::uint64_t SelfStats::cpuMeanUsec() const {
  const std::size_t n = filled();
  if (n == 0) return 0;
  return std::accumulate(cpu_usec_.begin(), cpu_usec_.begin() + static_cast<std::ptrdiff_t>(n),
                         std::uint64_t{0}) /
         n;
}

}  // namespace jmem
