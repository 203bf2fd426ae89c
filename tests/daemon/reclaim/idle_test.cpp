#include "reclaim/idle.h"

#include <catch2/catch.hpp>

using namespace jmem::reclaim;

namespace {

constexpr std::uint64_t kSec = 1'000'000;

// A /proc/PID/stat line as Linux 5.15 writes it, with a name that holds spaces and parentheses.
std::string stat(std::uint64_t utime, std::uint64_t stime, std::uint64_t start) {
  return "1234 (py (kernel) 3) S 1 1234 1234 0 -1 4194560 5000 0 12 0 " + std::to_string(utime) + " " +
         std::to_string(stime) + " 0 0 20 0 3 0 " + std::to_string(start) +
         " 500000000 90000 18446744073709551615 1 1 0 0 0 0 0 16781312 17448 0 0 0 17 2 0 0 0 0 0\n";
}

}  // namespace

TEST_CASE("a stat line gives CPU time and start after the name's last parenthesis", "[reclaim]") {
  const auto reading = parseStatCpu(1234, stat(700, 300, 98765));
  REQUIRE(reading);
  CHECK(reading->cpu_ticks == 1000u);
  CHECK(reading->start_ticks == 98765u);
  CHECK_FALSE(parseStatCpu(1, "1 (cut"));
  CHECK_FALSE(parseStatCpu(1, "1 (a) S 1 2 3"));
  CHECK_FALSE(parseStatCpu(1, "1 (a) S 1 1 1 0 -1 0 0 0 0 0 x 1 0 0 20 0 1 0 5 0"));
}

TEST_CASE("a process is idle once its CPU time stood still for the window, and a reused PID starts over",
          "[reclaim]") {
  IdleTracker tracker;
  tracker.update({{1234, 500, 1000}}, 0);
  tracker.update({{1234, 500, 1000}}, 400 * kSec);
  CHECK(tracker.idleFor(600 * kSec, 400 * kSec).empty());
  tracker.update({{1234, 500, 1000}}, 600 * kSec);
  const auto idle = tracker.idleFor(600 * kSec, 600 * kSec);
  REQUIRE(idle.size() == 1);
  CHECK(idle[0].idle_usec == 600 * kSec);
  // It worked: the clock starts again.
  tracker.update({{1234, 500, 1001}}, 700 * kSec);
  CHECK(tracker.idleFor(60 * kSec, 700 * kSec).empty());
  // The PID now belongs to another process (another start): not the idle one it was.
  tracker.update({{1234, 900, 1001}}, 2000 * kSec);
  CHECK(tracker.idleFor(60 * kSec, 2000 * kSec).empty());
  // Below the threshold (not given any more): forgotten.
  tracker.update({}, 3000 * kSec);
  CHECK(tracker.idleFor(0, 3000 * kSec).empty());
}
