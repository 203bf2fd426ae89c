#include "model/self_stats.h"

#include <catch2/catch.hpp>

using namespace jmem;
using std::chrono::microseconds;

TEST_CASE("an empty window reports zeros", "[model]") {
  SelfStats stats;
  CHECK(stats.ticks() == 0);
  CHECK(stats.latenessPercentileUsec(99) == 0);
  CHECK(stats.latenessMaxUsec() == 0);
  CHECK(stats.cpuMeanUsec() == 0);
}

TEST_CASE("lateness percentiles use the nearest rank over the window", "[model]") {
  SelfStats stats;
  for (int i = 1; i <= 100; ++i) stats.record(microseconds(i), microseconds(10), 0);
  CHECK(stats.latenessPercentileUsec(50) == 50);
  CHECK(stats.latenessPercentileUsec(99) == 99);
  CHECK(stats.latenessPercentileUsec(100) == 100);
  CHECK(stats.latenessPercentileUsec(0) == 1);
  CHECK(stats.latenessMaxUsec() == 100);
  CHECK(stats.cpuMeanUsec() == 10);
}

TEST_CASE("the window is fixed: old ticks fall out and memory does not grow", "[model]") {
  SelfStats stats;
  stats.record(microseconds(1000000), microseconds(0), 0);
  for (std::size_t i = 0; i < SelfStats::kWindow; ++i) stats.record(microseconds(5), microseconds(0), 3);
  CHECK(stats.ticks() == SelfStats::kWindow + 1);
  CHECK(stats.latenessMaxUsec() == 5);
  CHECK(stats.lastRollupReads() == 3);
}

TEST_CASE("a tick that ran early counts as on time", "[model]") {
  SelfStats stats;
  stats.record(microseconds(-20), microseconds(1), 0);
  CHECK(stats.latenessMaxUsec() == 0);
}
