#include "bus/self_stats_record.h"

#include <catch2/catch.hpp>

using namespace jmem;

TEST_CASE("the self stats survive the bus with every field, each under its own name", "[bus]") {
  const SelfStatsRecord sent{100, 510, 990, 1000, 50, 7};
  const BusRecord record = encodeSelfStats(sent);
  CHECK(record.at("ticks").get<std::uint64_t>() == 100);
  CHECK(record.at("lateness_p99_usec").get<std::uint64_t>() == 990);
  CHECK(record.at("rollup_reads").get<std::uint64_t>() == 7);
  CHECK(decodeSelfStats(record) == sent);
}
