#include "sources/pressure.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>

#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::fixtureFile;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

namespace {

const std::string kUnderPressure =
    "some avg10=12.34 avg60=5.06 avg300=0.70 total=987654321\n"
    "full avg10=3.50 avg60=1.00 avg300=0.00 total=123456\n";

std::string withFullLine(const std::string& some_line) {
  return some_line + "\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
}

}  // namespace

TEST_CASE("memory pressure averages are read in permyriad and the totals in microseconds", "[sources]") {
  const auto pressure = parsePressure(kUnderPressure);
  REQUIRE(pressure);
  CHECK(pressure->available);
  CHECK(pressure->some.avg10_permyriad == 1234);
  CHECK(pressure->some.avg60_permyriad == 506);
  CHECK(pressure->some.avg300_permyriad == 70);
  CHECK(pressure->some.total_usec == 987654321u);
  CHECK(pressure->full.avg10_permyriad == 350);
  CHECK(pressure->full.avg60_permyriad == 100);
  CHECK(pressure->full.avg300_permyriad == 0);
  CHECK(pressure->full.total_usec == 123456u);
}

TEST_CASE("a stall share of 100.00 percent is the largest accepted", "[sources]") {
  const auto pressure = parsePressure(withFullLine("some avg10=100.00 avg60=99.99 avg300=100 total=1"));
  REQUIRE(pressure);
  CHECK(pressure->some.avg10_permyriad == 10000);
  CHECK(pressure->some.avg60_permyriad == 9999);
  CHECK(pressure->some.avg300_permyriad == 10000);
}

TEST_CASE("a stall share above 100 percent is an error naming the average", "[sources]") {
  const std::string value = GENERATE("100.01", "101.00", "4294967296.00");
  const auto pressure =
      parsePressure(withFullLine("some avg10=" + value + " avg60=0.00 avg300=0.00 total=0"));
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message == "pressure line 1: invalid avg10 \"" + value + "\"");
}

TEST_CASE("an average with one decimal is tenths of a percent", "[sources]") {
  const auto pressure = parsePressure(withFullLine("some avg10=1.5 avg60=0.0 avg300=0.00 total=0"));
  REQUIRE(pressure);
  CHECK(pressure->some.avg10_permyriad == 150);
}

TEST_CASE("malformed averages are errors naming the field", "[sources]") {
  const std::string value = GENERATE("", "-1.00", "1.234", "1.", ".50", "1e2", "abc", "1,00", "0.-1");
  const auto pressure =
      parsePressure(withFullLine("some avg10=0.00 avg60=" + value + " avg300=0.00 total=0"));
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message == "pressure line 1: invalid avg60 \"" + value + "\"");
}

TEST_CASE("a malformed or overflowing total is an error naming it", "[sources]") {
  const std::string value = GENERATE("", "-1", "18446744073709551616", "12x");
  const auto pressure = parsePressure(
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=" +
      value + "\n");
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message == "pressure line 2: invalid total \"" + value + "\"");
}

TEST_CASE("a pressure line missing one of its fields is an error naming the line", "[sources]") {
  const std::string line =
      GENERATE("some avg60=0.00 avg300=0.00 total=0", "some avg10=0.00 avg300=0.00 total=0",
               "some avg10=0.00 avg60=0.00 total=0", "some avg10=0.00 avg60=0.00 avg300=0.00", "some");
  const auto pressure = parsePressure(withFullLine(line));
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message == "pressure line 1: missing one of avg10, avg60, avg300, total");
}

TEST_CASE("a field repeated within a pressure line is an error, not the last one winning", "[sources]") {
  const auto pressure =
      parsePressure(withFullLine("some avg10=0.00 avg60=0.00 avg300=0.00 total=5 avg10=90.00"));
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message == "pressure line 1: repeated avg10");
  const auto total = parsePressure(withFullLine("some avg10=0.00 avg60=0.00 avg300=0.00 total=5 total=6"));
  REQUIRE_FALSE(total);
  CHECK(total.error().message == "pressure line 1: repeated total");
}

TEST_CASE("fields a newer kernel adds to a pressure line are ignored", "[sources]") {
  const auto pressure =
      parsePressure(withFullLine("some avg10=1.00 avg60=0.00 avg300=0.00 total=7 avg1=3.00"));
  REQUIRE(pressure);
  CHECK(pressure->some.avg10_permyriad == 100);
  CHECK(pressure->some.total_usec == 7u);
}

TEST_CASE("a token without an equals sign is an error naming it", "[sources]") {
  const auto pressure = parsePressure(withFullLine("some avg10=0.00 garbage avg60=0.00 avg300=0.00 total=0"));
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message == "pressure line 1: malformed field \"garbage\"");
}

TEST_CASE("an unknown pressure kind is an error naming it", "[sources]") {
  const auto pressure = parsePressure(kUnderPressure + "most avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message == "pressure line 3: unknown kind \"most\"");
}

TEST_CASE("a repeated some or full line is an error naming the line", "[sources]") {
  const auto pressure = parsePressure(kUnderPressure + "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message == "pressure line 3: repeated full");
}

TEST_CASE("memory pressure needs both the some and the full line", "[sources]") {
  const auto cpu_like = parsePressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
  REQUIRE_FALSE(cpu_like);
  CHECK(cpu_like.error().message == "pressure: missing \"some\" or \"full\" line");
  CHECK_FALSE(parsePressure("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"));
}

TEST_CASE("empty pressure input is an error, not an idle machine", "[sources]") {
  CHECK_FALSE(parsePressure(""));
  CHECK_FALSE(parsePressure("\n\n"));
}

TEST_CASE("blank lines and trailing spaces around pressure lines are tolerated", "[sources]") {
  const auto pressure = parsePressure(
      "\nsome avg10=0.10 avg60=0.00 avg300=0.00 total=1  \n\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=0");
  REQUIRE(pressure);
  CHECK(pressure->some.avg10_permyriad == 10);
}

TEST_CASE("a pressure file cut in the middle of a line is an error", "[sources]") {
  const std::string cut = kUnderPressure.substr(0, kUnderPressure.size() - 20);
  const auto pressure = parsePressure(cut);
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message.find("pressure line 2: ") == 0);
}

TEST_CASE("binary garbage instead of a pressure file is an error naming the kind it saw", "[sources]") {
  const auto pressure =
      parsePressure(std::string("\x7f"
                                "ELF\x02\x01\x01\0\0\0",
                                11));
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message.find("unknown kind") != std::string::npos);
}

TEST_CASE("readMemoryPressure reads pressure/memory under an injected proc root", "[sources]") {
  FixtureTree tree(Files{{"proc/pressure/memory", kUnderPressure}});
  const auto pressure = readMemoryPressure(tree.path("proc"));
  REQUIRE(pressure);
  CHECK(pressure->available);
  CHECK(pressure->some.avg10_permyriad == 1234);
  CHECK(pressure->full.total_usec == 123456u);
}

TEST_CASE("a kernel without PSI has unavailable memory pressure, not an error and not zero", "[sources]") {
  SECTION("no pressure directory") {
    FixtureTree tree(Files{{"proc/meminfo", "MemTotal: 1 kB\n"}});
    const auto pressure = readMemoryPressure(tree.path("proc"));
    REQUIRE(pressure);
    CHECK_FALSE(pressure->available);
  }
  SECTION("a pressure directory without the memory file") {
    FixtureTree tree(Files{{"proc/pressure/cpu", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"}});
    const auto pressure = readMemoryPressure(tree.path("proc"));
    REQUIRE(pressure);
    CHECK_FALSE(pressure->available);
  }
}

TEST_CASE("a memory pressure file that cannot be read for another reason is an error, not unavailable",
          "[sources]") {
  FixtureTree tree;
  std::filesystem::create_directories(tree.path("proc/pressure/memory"));
  const auto pressure = readMemoryPressure(tree.path("proc"));
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message == "Failed to read " + (tree.path("proc") / "pressure" / "memory").string() +
                                        ": not a regular file (a directory)");
}

TEST_CASE("readMemoryPressure names the file and the line of a parse error", "[sources]") {
  FixtureTree tree(
      Files{{"proc/pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=x\n"}});
  const auto pressure = readMemoryPressure(tree.path("proc"));
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message ==
        (tree.path("proc") / "pressure" / "memory").string() + ": pressure line 2: invalid avg10 \"x\"");
}

TEST_CASE("readMemoryPressure refuses a file far larger than a pressure file", "[sources]") {
  FixtureTree tree(Files{{"proc/pressure/memory", kUnderPressure + std::string(8192, ' ')}});
  const auto pressure = readMemoryPressure(tree.path("proc"));
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message.find("larger than 4096 bytes") != std::string::npos);
}

TEST_CASE("the memory pressure captured on a build machine parses to the totals its lines state",
          "[sources]") {
  const std::string text = fixtureFile("captured/pressure-memory");
  std::uint64_t totals[2] = {};
  std::istringstream in(text);
  std::string line;
  for (int i = 0; i < 2 && std::getline(in, line); ++i) {
    totals[i] = std::stoull(line.substr(line.find("total=") + 6));
  }
  const auto pressure = parsePressure(text);
  REQUIRE(pressure);
  CHECK(pressure->available);
  CHECK(pressure->some.total_usec == totals[0]);
  CHECK(pressure->full.total_usec == totals[1]);
  CHECK(pressure->full.total_usec <= pressure->some.total_usec);
}

TEST_CASE("a FIFO as the memory pressure file is an error naming it, never a wait for a writer",
          "[sources]") {
  FixtureTree tree(Files{{"proc/pressure/placeholder", ""}});
  const auto fifo = tree.path("proc/pressure/memory");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto pressure = readMemoryPressure(tree.path("proc"));
  REQUIRE_FALSE(pressure);
  CHECK(pressure.error().message == "Failed to read " + fifo.string() + ": not a regular file (a FIFO)");
}

TEST_CASE("pressure levels follow PSI some avg10 at 1, 10 and 40 percent", "[sources]") {
  Pressure p;
  CHECK(pressureLevel(p) == "none");  // unavailable
  p.available = true;
  p.some.avg10_permyriad = 99;
  CHECK(pressureLevel(p) == "none");
  p.some.avg10_permyriad = 100;
  CHECK(pressureLevel(p) == "low");
  p.some.avg10_permyriad = 999;
  CHECK(pressureLevel(p) == "low");
  p.some.avg10_permyriad = 1000;
  CHECK(pressureLevel(p) == "medium");
  p.some.avg10_permyriad = 4000;
  CHECK(pressureLevel(p) == "high");
  p.full.avg10_permyriad = 10000;
  p.some.avg10_permyriad = 0;
  CHECK(pressureLevel(p) == "none");  // some, not full, decides
}
