#include "bus/self_stats_record.h"

namespace jmem {

BusRecord encodeSelfStats(const SelfStatsRecord& s) {
  return BusRecord{
      {"ticks", sdbus::Variant(s.ticks)},
      {"lateness_p50_usec", sdbus::Variant(s.lateness_p50_usec)},
      {"lateness_p99_usec", sdbus::Variant(s.lateness_p99_usec)},
      {"lateness_max_usec", sdbus::Variant(s.lateness_max_usec)},
      {"cpu_mean_usec", sdbus::Variant(s.cpu_mean_usec)},
      {"rollup_reads", sdbus::Variant(s.rollup_reads)},
  };
}

SelfStatsRecord decodeSelfStats(const BusRecord& record) {
  SelfStatsRecord s;
  readField<std::uint64_t>(record, "ticks", s.ticks);
  readField<std::uint64_t>(record, "lateness_p50_usec", s.lateness_p50_usec);
  readField<std::uint64_t>(record, "lateness_p99_usec", s.lateness_p99_usec);
  readField<std::uint64_t>(record, "lateness_max_usec", s.lateness_max_usec);
  readField<std::uint64_t>(record, "cpu_mean_usec", s.cpu_mean_usec);
  readField<std::uint64_t>(record, "rollup_reads", s.rollup_reads);
  return s;
}

}  // namespace jmem
