#include "sources/boot_time.h"

#include <catch2/catch.hpp>

#include "support/fixture_tree.h"

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

TEST_CASE("the boot's identity is boot_id without its newline, and anything else is refused by value",
          "[sources]") {
  const std::string id = "3f2a3c5e-9a1b-4c7d-8e6f-0123456789ab";
  auto parsed = parseBootId(id + "\n");
  REQUIRE(parsed);
  CHECK(*parsed == id);
  CHECK_FALSE(parseBootId(""));
  CHECK_FALSE(parseBootId(id.substr(1)));
  auto hostile = parseBootId("3f2a3c5e-9a1b-4c7d-8e6f-0123456789a\x1b");
  REQUIRE_FALSE(hostile);
  CHECK(hostile.error().message.find('\x1b') == std::string::npos);
}

TEST_CASE("the boot's identity is read from an injected root", "[sources]") {
  const std::string id = "00000000-1111-2222-3333-444444444444";
  test::FixtureTree tree;
  tree.write("proc/sys/kernel/random/boot_id", id + "\n");
  auto read = readBootId(tree.path("proc"));
  REQUIRE(read);
  CHECK(*read == id);
  CHECK_FALSE(readBootId(tree.path("nowhere")));
}
