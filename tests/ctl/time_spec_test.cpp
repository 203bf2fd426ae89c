#include "ctl/time_spec.h"

#include <stdlib.h>
#include <time.h>

#include <catch2/catch.hpp>

using namespace jmem::ctl;

namespace {

constexpr std::uint64_t kSec = 1000000;

// A zone with an offset, so that local time is not taken for UTC by mistake.
void inZone(const char* zone) {
  setenv("TZ", zone, 1);
  tzset();
}

std::uint64_t since(const char* text, std::uint64_t now) {
  auto parsed = parseSince(text, now);
  INFO((parsed ? "" : parsed.error().message));
  REQUIRE(parsed.ok());
  return *parsed;
}

}  // namespace

TEST_CASE("log --since reads dates and times as local time", "[ctl]") {
  inZone("UTC-2");                              // two hours east of UTC
  const std::uint64_t now = 1764856800 * kSec;  // 2025-12-04 14:00:00 UTC, 16:00 local
  CHECK(since("2025-12-04 16:00", now) == now);
  CHECK(since("2025-12-04T16:00:30", now) == now + 30 * kSec);
  CHECK(since("2025-12-04", now) == now - 16 * 3600 * kSec);
  CHECK(since("15:30", now) == now - 1800 * kSec);
  CHECK(since("today", now) == now - 16 * 3600 * kSec);
  CHECK(since("yesterday", now) == now - 40 * 3600 * kSec);
  CHECK(since("now", now) == now);
  CHECK(since("@1764856800", now) == now);
}

TEST_CASE("log --since reads a time ago in the forms journalctl takes", "[ctl]") {
  inZone("UTC");
  const std::uint64_t now = 1764856800 * kSec;
  CHECK(since("-2h", now) == now - 7200 * kSec);
  CHECK(since("2h ago", now) == now - 7200 * kSec);
  CHECK(since("90min ago", now) == now - 5400 * kSec);
  CHECK(since("-1d", now) == now - 86400 * kSec);
  CHECK(since("3 weeks ago", now) == now - 3 * 604800 * kSec);
  CHECK(since("-99999999d", now) == 0);   // before 1970 is the beginning
  CHECK(since("-999999999w", now) == 0);  // no overflow back to "now"
}

TEST_CASE("log --since refuses what is no time, naming the text", "[ctl]") {
  inZone("UTC");
  for (const char* bad : {"", "soon", "2025-02-31", "2025-13-01", "25:00", "12:60", "-2", "-2 fortnights",
                          "2025-12-04 14", "@", "@12x", "1969-12-31"}) {
    INFO(bad);
    const auto parsed = parseSince(bad, 1764856800 * kSec);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().message.find(std::string("\"") + bad + "\"") != std::string::npos);
  }
}
