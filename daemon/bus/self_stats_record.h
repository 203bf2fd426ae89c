#pragma once

#include <cstdint>

#include "bus/bus_record.h"

namespace jmem {

// GetSelfStats: the governor's own cost over its last ticks (SelfStats, which the adaptor reads).
struct SelfStatsRecord {
  std::uint64_t ticks = 0;
  std::uint64_t lateness_p50_usec = 0;  // of a tick against its schedule
  std::uint64_t lateness_p99_usec = 0;
  std::uint64_t lateness_max_usec = 0;
  std::uint64_t cpu_mean_usec = 0;  // per tick
  std::uint64_t rollup_reads = 0;   // smaps_rollup files read in the last tick
  friend bool operator==(const SelfStatsRecord&, const SelfStatsRecord&) = default;
};

BusRecord encodeSelfStats(const SelfStatsRecord& stats);
SelfStatsRecord decodeSelfStats(const BusRecord& record);

}  // namespace jmem
