#include "bus/self_stats_record.h"

#include <catch2/catch.hpp>

using namespace jmem;

TEST_CASE("the self stats survive the bus with every field, each under its own name", "[bus]") {
  SelfStats stats;
  for (int tick = 1; tick <= 100; ++tick)
    stats.record(std::chrono::microseconds(tick * 10), std::chrono::microseconds(tick), 7);
  const SelfStatsRecord sent = selfStatsRecord(stats);
  CHECK(sent.ticks == 100);
  CHECK(sent.lateness_max_usec == 1000);
  CHECK(sent.rollup_reads == 7);
  const BusRecord record = encodeSelfStats(sent);
  CHECK(record.at("lateness_p99_usec").get<std::uint64_t>() == sent.lateness_p99_usec);
  CHECK(decodeSelfStats(record) == sent);
}
