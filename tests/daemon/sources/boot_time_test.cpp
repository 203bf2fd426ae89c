#include "sources/boot_time.h"

#include <catch2/catch.hpp>

using namespace jmem;

TEST_CASE("the boot time is the btime line of /proc/stat", "[sources]") {
  const std::string stat =
      "cpu  10132153 290696 3084719 46828483 16683 0 25195 0 0 0\n"
      "intr 1462898 0 0\nctxt 115315544\nbtime 1764750000\nprocesses 86031\n";
  auto seconds = parseBootTime(stat);
  REQUIRE(seconds);
  CHECK(*seconds == 1764750000u);
}

TEST_CASE("a /proc/stat without a readable btime is an error that says so", "[sources]") {
  CHECK(parseBootTime("cpu 1 2 3\n").error().message == "no btime line in /proc/stat");
  auto bad = parseBootTime("btime 17x\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("malformed btime") != std::string::npos);
  CHECK_FALSE(parseBootTime("xbtime 5\n"));
}
