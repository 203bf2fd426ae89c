#include "sources/meminfo.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>

#include "core/text.h"
#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::fixtureFile;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

namespace {

constexpr std::uint64_t kKiB = 1024;

const std::string kMinimal =
    "MemTotal:        7802736 kB\n"
    "MemFree:         4911320 kB\n"
    "MemAvailable:    6120484 kB\n";

// The "<Key>: <n> kB" figures of a meminfo text, read independently of the parser.
std::map<std::string, std::uint64_t> kibFigures(const std::string& text) {
  std::map<std::string, std::uint64_t> figures;
  std::istringstream in(text);
  std::string key;
  std::uint64_t value = 0;
  std::string unit;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (fields >> key >> value >> unit && unit == "kB") figures[key.substr(0, key.size() - 1)] = value;
  }
  return figures;
}

}  // namespace

TEST_CASE("an Orin Nano 8 GB meminfo gives its memory, zram swap and CMA pool in bytes", "[sources]") {
  const auto info = parseMeminfo(fixtureFile("meminfo/orin-nano-8gb-jetpack6"));
  REQUIRE(info);
  CHECK(info->mem_total_bytes == 7802736 * kKiB);
  CHECK(info->mem_free_bytes == 4911320 * kKiB);
  CHECK(info->mem_available_bytes == 6120484 * kKiB);
  CHECK(info->buffers_bytes == 48312 * kKiB);
  CHECK(info->cached_bytes == 1296344 * kKiB);
  CHECK(info->shmem_bytes == 31128 * kKiB);
  CHECK(info->swap_total_bytes == 3901344 * kKiB);
  CHECK(info->swap_free_bytes == 3901344 * kKiB);
  CHECK(info->cma_total_bytes == 262144 * kKiB);
  CHECK(info->cma_free_bytes == 236380 * kKiB);
}

TEST_CASE("NvMapMemUsed and NvMapMemFree are absent on kernels newer than K4.9", "[sources]") {
  const auto info = parseMeminfo(fixtureFile("meminfo/orin-nano-8gb-jetpack6"));
  REQUIRE(info);
  CHECK_FALSE(info->nvmap_mem_used_bytes);
  CHECK_FALSE(info->nvmap_mem_free_bytes);
}

TEST_CASE("a K4.9 meminfo gives NvMapMemUsed and NvMapMemFree", "[sources]") {
  const auto info = parseMeminfo(fixtureFile("meminfo/nano-4gb-jetpack4-k49"));
  REQUIRE(info);
  CHECK(info->mem_total_bytes == 4051180 * kKiB);
  CHECK(info->nvmap_mem_used_bytes == 309248 * kKiB);
  CHECK(info->nvmap_mem_free_bytes == 38912 * kKiB);
  CHECK(info->cma_total_bytes == 475136 * kKiB);
  CHECK(info->cma_free_bytes == 376832 * kKiB);
}

TEST_CASE("a meminfo with only the required fields leaves the optional ones empty", "[sources]") {
  const auto info = parseMeminfo(kMinimal);
  REQUIRE(info);
  CHECK(info->mem_total_bytes == 7802736 * kKiB);
  CHECK_FALSE(info->buffers_bytes);
  CHECK_FALSE(info->cached_bytes);
  CHECK_FALSE(info->shmem_bytes);
  CHECK_FALSE(info->swap_total_bytes);
  CHECK_FALSE(info->swap_free_bytes);
  CHECK_FALSE(info->cma_total_bytes);
  CHECK_FALSE(info->cma_free_bytes);
}

TEST_CASE("a machine without swap reports a swap total of zero, not an absent one", "[sources]") {
  const auto info = parseMeminfo(kMinimal + "SwapTotal:             0 kB\nSwapFree:              0 kB\n");
  REQUIRE(info);
  CHECK(info->swap_total_bytes == 0u);
  CHECK(info->swap_free_bytes == 0u);
}

TEST_CASE("fields whose names contain a known one do not feed it", "[sources]") {
  const auto info = parseMeminfo(kMinimal +
                                 "SwapCached:        99999 kB\n"
                                 "Cached:              100 kB\n"
                                 "ShmemHugePages:    88888 kB\n"
                                 "ShmemPmdMapped:    77777 kB\n"
                                 "Shmem:               200 kB\n");
  REQUIRE(info);
  CHECK(info->cached_bytes == 100 * kKiB);
  CHECK(info->shmem_bytes == 200 * kKiB);
  CHECK_FALSE(info->swap_total_bytes);
}

TEST_CASE("unknown fields, lines without a colon and unitless counters are ignored", "[sources]") {
  const auto info = parseMeminfo(kMinimal +
                                 "HugePages_Total:       0\n"
                                 "a line without a colon\n"
                                 "\n"
                                 "FutureField:   not even a number\n");
  REQUIRE(info);
  CHECK(info->mem_available_bytes == 6120484 * kKiB);
}

TEST_CASE("the last line of meminfo needs no newline", "[sources]") {
  const auto info = parseMeminfo("MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 50 kB");
  REQUIRE(info);
  CHECK(info->mem_available_bytes == 50 * kKiB);
}

TEST_CASE("each missing required meminfo field is an error naming it", "[sources]") {
  const std::string field = GENERATE("MemTotal", "MemFree", "MemAvailable");
  std::string text;
  for (const char* key : {"MemTotal", "MemFree", "MemAvailable"}) {
    if (key != field) text += std::string(key) + ":  100 kB\n";
  }
  const auto info = parseMeminfo(text);
  REQUIRE_FALSE(info);
  CHECK(info.error().message == "meminfo: missing field " + field);
}

TEST_CASE("empty meminfo input is an error, not a machine without memory", "[sources]") {
  const auto info = parseMeminfo("");
  REQUIRE_FALSE(info);
  CHECK(info.error().message == "meminfo: missing field MemTotal");
}

TEST_CASE("a repeated meminfo field is an error naming the line and the field", "[sources]") {
  SECTION("required") {
    const auto info = parseMeminfo(kMinimal + "MemTotal:        9999999 kB\n");
    REQUIRE_FALSE(info);
    CHECK(info.error().message == "meminfo line 4: repeated field MemTotal");
  }
  SECTION("optional") {
    const auto info = parseMeminfo(kMinimal + "CmaTotal: 1 kB\nCmaFree: 1 kB\nCmaTotal: 2 kB\n");
    REQUIRE_FALSE(info);
    CHECK(info.error().message == "meminfo line 6: repeated field CmaTotal");
  }
}

TEST_CASE("a malformed meminfo value is an error naming the line, the value and the field", "[sources]") {
  const auto [value, shown] = GENERATE(table<std::string, std::string>({
      {"", ""},                                                // line cut after the colon
      {"  4911", "4911"},                                      // line cut before the unit
      {"4911320 MB", "4911320 MB"},                            // wrong unit
      {"-5 kB", "-5 kB"},                                      // sign
      {"18446744073709551616 kB", "18446744073709551616 kB"},  // overflows 64 bits
      {std::to_string(kMaxPlausibleBytes / 1024 + 1) + " kB",
       std::to_string(kMaxPlausibleBytes / 1024 + 1) + " kB"},  // one KiB above a pebibyte
      {"\x01\xff kB", "?? kB"},                                 // binary garbage, sanitized in the message
  }));
  const auto info = parseMeminfo("MemTotal:        7802736 kB\nMemFree: " + value + "\nMemAvailable: 1 kB\n");
  REQUIRE_FALSE(info);
  CHECK(info.error().message == "meminfo line 2: invalid value \"" + shown + "\" for MemFree");
}

TEST_CASE("a malformed optional meminfo field is an error, not an absent one", "[sources]") {
  const auto info = parseMeminfo(kMinimal + "NvMapMemUsed:  lots kB\n");
  REQUIRE_FALSE(info);
  CHECK(info.error().message == "meminfo line 4: invalid value \"lots kB\" for NvMapMemUsed");
}

TEST_CASE("MemFree or MemAvailable above MemTotal is rejected", "[sources]") {
  CHECK_FALSE(parseMeminfo("MemTotal: 100 kB\nMemFree: 101 kB\nMemAvailable: 50 kB\n"));
  CHECK_FALSE(parseMeminfo("MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 101 kB\n"));
  CHECK(parseMeminfo("MemTotal: 100 kB\nMemFree: 100 kB\nMemAvailable: 100 kB\n"));
}

TEST_CASE("binary garbage instead of meminfo is an error, never zeros", "[sources]") {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) % 256));
  const auto info = parseMeminfo(garbage);
  REQUIRE_FALSE(info);
  CHECK(info.error().message.find("MemTotal") != std::string::npos);
}

TEST_CASE("readMeminfo reads meminfo under an injected proc root", "[sources]") {
  FixtureTree tree(Files{{"proc/meminfo", fixtureFile("meminfo/orin-nano-8gb-jetpack6")}});
  const auto info = readMeminfo(tree.path("proc"));
  REQUIRE(info);
  CHECK(info->mem_total_bytes == 7802736 * kKiB);
  CHECK(info->swap_total_bytes == 3901344 * kKiB);
}

TEST_CASE("readMeminfo names the file it could not open", "[sources]") {
  FixtureTree tree;
  const auto info = readMeminfo(tree.path("proc"));
  REQUIRE_FALSE(info);
  CHECK(info.error().message ==
        "Failed to open " + (tree.path("proc") / "meminfo").string() + ": No such file or directory");
}

TEST_CASE("readMeminfo names the file and the line of a parse error", "[sources]") {
  FixtureTree tree(Files{{"proc/meminfo", "MemTotal: 100 kB\nMemFree: x kB\nMemAvailable: 50 kB\n"}});
  const auto info = readMeminfo(tree.path("proc"));
  REQUIRE_FALSE(info);
  CHECK(info.error().message ==
        (tree.path("proc") / "meminfo").string() + ": meminfo line 2: invalid value \"x kB\" for MemFree");
}

TEST_CASE("readMeminfo refuses a meminfo larger than the kernel file bound", "[sources]") {
  FixtureTree tree(Files{{"proc/meminfo", kMinimal + std::string(2 << 20, 'x')}});
  const auto info = readMeminfo(tree.path("proc"));
  REQUIRE_FALSE(info);
  CHECK(info.error().message.find("larger than") != std::string::npos);
}

TEST_CASE("the meminfo captured on a build machine parses to the figures its lines state", "[sources]") {
  const std::string text = fixtureFile("captured/meminfo");
  const auto figures = kibFigures(text);
  const auto info = parseMeminfo(text);
  REQUIRE(info);
  CHECK(info->mem_total_bytes == figures.at("MemTotal") * kKiB);
  CHECK(info->mem_free_bytes == figures.at("MemFree") * kKiB);
  CHECK(info->mem_available_bytes == figures.at("MemAvailable") * kKiB);
  CHECK(info->cached_bytes == figures.at("Cached") * kKiB);
  CHECK(info->swap_total_bytes == figures.at("SwapTotal") * kKiB);
  CHECK(info->cma_total_bytes.has_value() == (figures.count("CmaTotal") > 0));
  CHECK(info->nvmap_mem_used_bytes.has_value() == (figures.count("NvMapMemUsed") > 0));
}

TEST_CASE("a FIFO as meminfo is an error naming it, never a wait for a writer", "[sources]") {
  FixtureTree tree(Files{{"proc/placeholder", ""}});
  const auto fifo = tree.path("proc/meminfo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto meminfo = readMeminfo(tree.path("proc"));
  REQUIRE_FALSE(meminfo);
  CHECK(meminfo.error().message == "Failed to read " + fifo.string() + ": not a regular file (a FIFO)");
}
