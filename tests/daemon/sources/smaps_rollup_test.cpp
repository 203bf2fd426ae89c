#include "sources/smaps_rollup.h"

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>

#include "core/text.h"
#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::fixtureFile;

namespace {

constexpr std::uint64_t kKiB = 1024;

// A rollup as Linux 5.8 and later print it.
const std::string kRollup =
    "55eabe607000-7ffc10f93000 ---p 00000000 00:00 0                          [rollup]\n"
    "Rss:               30720 kB\n"
    "Pss:               20480 kB\n"
    "Pss_Dirty:         10240 kB\n"
    "Pss_Anon:          10000 kB\n"
    "Pss_File:           9480 kB\n"
    "Pss_Shmem:          1000 kB\n"
    "Shared_Clean:      12000 kB\n"
    "Private_Dirty:     10240 kB\n"
    "Swap:               4096 kB\n"
    "SwapPss:            2048 kB\n"
    "Locked:                0 kB\n";

// A rollup as Linux 4.14 to 5.7 print it: no Pss_Anon, Pss_File, Pss_Shmem.
const std::string kOldRollup =
    "00400000-7ffd1d5fd000 ---p 00000000 00:00 0                          [rollup]\n"
    "Rss:                8000 kB\n"
    "Pss:                6000 kB\n"
    "Shared_Clean:       2000 kB\n"
    "Swap:                 12 kB\n"
    "SwapPss:               8 kB\n";

// Sums of the "<Key>: <n> kB" lines of a smaps text, read independently of the parser.
std::map<std::string, std::uint64_t> kibSums(const std::string& text) {
  std::map<std::string, std::uint64_t> sums;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    std::uint64_t value = 0;
    std::string unit;
    if (fields >> key >> value >> unit && unit == "kB" && key.back() == ':') {
      sums[key.substr(0, key.size() - 1)] += value;
    }
  }
  return sums;
}

}  // namespace

TEST_CASE("a smaps_rollup gives RSS, PSS, its anonymous, file and shmem split and swap in bytes",
          "[sources]") {
  const auto rollup = parseSmapsRollup(kRollup);
  REQUIRE(rollup);
  CHECK(rollup->has_memory);
  CHECK(rollup->rss_bytes == 30720 * kKiB);
  CHECK(rollup->pss_bytes == 20480 * kKiB);
  CHECK(rollup->pss_anon_bytes == 10000 * kKiB);
  CHECK(rollup->pss_file_bytes == 9480 * kKiB);
  CHECK(rollup->pss_shmem_bytes == 1000 * kKiB);
  CHECK(rollup->swap_bytes == 4096 * kKiB);
  CHECK(rollup->swap_pss_bytes == 2048 * kKiB);
}

TEST_CASE("keys that start like Pss or Swap do not feed them", "[sources]") {
  const auto rollup = parseSmapsRollup(kRollup);
  REQUIRE(rollup);
  // Pss_Dirty (10240) and SwapPss (2048) are separate keys, not more Pss and Swap.
  CHECK(rollup->pss_bytes == 20480 * kKiB);
  CHECK(rollup->swap_bytes == 4096 * kKiB);
}

TEST_CASE("a kernel thread's empty smaps_rollup has no memory and is not an error", "[sources]") {
  const std::string text = GENERATE("", "\n", "  \n\t\n");
  const auto rollup = parseSmapsRollup(text);
  REQUIRE(rollup);
  CHECK_FALSE(rollup->has_memory);
  CHECK(rollup->rss_bytes == 0u);
  CHECK(rollup->pss_bytes == 0u);
  CHECK_FALSE(rollup->pss_anon_bytes);
}

TEST_CASE("kernels older than 5.8 leave the PSS split empty rather than zero", "[sources]") {
  const auto rollup = parseSmapsRollup(kOldRollup);
  REQUIRE(rollup);
  CHECK(rollup->has_memory);
  CHECK(rollup->rss_bytes == 8000 * kKiB);
  CHECK(rollup->pss_bytes == 6000 * kKiB);
  CHECK_FALSE(rollup->pss_anon_bytes);
  CHECK_FALSE(rollup->pss_file_bytes);
  CHECK_FALSE(rollup->pss_shmem_bytes);
  CHECK(rollup->swap_bytes == 12 * kKiB);
  CHECK(rollup->swap_pss_bytes == 8 * kKiB);
}

TEST_CASE("a rollup without swap lines reads zero swap", "[sources]") {
  const auto rollup = parseSmapsRollup("Rss: 4 kB\nPss: 4 kB\n");
  REQUIRE(rollup);
  CHECK(rollup->swap_bytes == 0u);
  CHECK(rollup->swap_pss_bytes == 0u);
}

TEST_CASE("a whole smaps with several VMAs sums each repeated key", "[sources]") {
  const auto rollup = parseSmapsRollup(fixtureFile("smaps/k49-three-vmas-smaps"));
  REQUIRE(rollup);
  CHECK(rollup->has_memory);
  // The three VMAs of the fixture: the binary's text, the heap, libc's text.
  CHECK(rollup->rss_bytes == (40 + 8192 + 780) * kKiB);
  CHECK(rollup->pss_bytes == (40 + 8192 + 58) * kKiB);
  CHECK(rollup->swap_bytes == (0 + 256 + 0) * kKiB);
  CHECK(rollup->swap_pss_bytes == (0 + 256 + 0) * kKiB);
  CHECK_FALSE(rollup->pss_anon_bytes);
}

TEST_CASE("VMA header lines with device colons and file names do not feed any field", "[sources]") {
  const auto rollup = parseSmapsRollup(
      "7f8a2c4000-7f8a3b0000 r-xp 00000000 b3:01 1311     /opt/Rss: 999 kB\n"
      "Rss:                  4 kB\n"
      "Pss:                  4 kB\n"
      "VmFlags: rd ex mr mw me\n"
      "7f8a3b0000-7f8a3c0000 rw-p 00000000 00:00 0        /dev/shm/Pss:1 kB (deleted)\n"
      "Rss:                  8 kB\n"
      "Pss:                  2 kB\n"
      "THPeligible:    0\n"
      "ProtectionKey:         0\n");
  REQUIRE(rollup);
  CHECK(rollup->rss_bytes == (4 + 8) * kKiB);
  CHECK(rollup->pss_bytes == (4 + 2) * kKiB);
}

TEST_CASE("a smaps_rollup without Rss or Pss is an error, not a process without memory", "[sources]") {
  const std::string text = GENERATE("Rss: 4 kB\n", "Pss: 4 kB\n", "Swap: 0 kB\nLocked: 0 kB\n",
                                    "00400000-7ffd1d5fd000 ---p 00000000 00:00 0   [rollup]\n");
  const auto rollup = parseSmapsRollup(text);
  REQUIRE_FALSE(rollup);
  CHECK(rollup.error().message == "smaps_rollup: missing Rss or Pss");
}

TEST_CASE("a smaps_rollup cut in the middle is an error", "[sources]") {
  SECTION("before Pss") {
    CHECK_FALSE(parseSmapsRollup(kRollup.substr(0, kRollup.find("Pss:"))));
  }
  SECTION("inside the Pss line") {
    const auto rollup = parseSmapsRollup(kRollup.substr(0, kRollup.find("20480 kB") + 3));
    REQUIRE_FALSE(rollup);
    CHECK(rollup.error().message == "smaps_rollup line 3: invalid value \"204\" for Pss");
  }
}

TEST_CASE("a malformed smaps_rollup value is an error naming the line, the value and the key", "[sources]") {
  const auto [value, shown] = GENERATE(table<std::string, std::string>({
      {"lots kB", "lots kB"},
      {"", ""},
      {"12 MB", "12 MB"},
      {"-1 kB", "-1 kB"},
      {"18446744073709551616 kB", "18446744073709551616 kB"},
      {std::to_string(kMaxPlausibleBytes / 1024 + 1) + " kB",
       std::to_string(kMaxPlausibleBytes / 1024 + 1) + " kB"},
      {"\x1b[31m kB", "?[31m kB"},
  }));
  const auto rollup = parseSmapsRollup("Rss: 8 kB\nPss: 4 kB\nSwapPss: " + value + "\n");
  REQUIRE_FALSE(rollup);
  CHECK(rollup.error().message == "smaps_rollup line 3: invalid value \"" + shown + "\" for SwapPss");
}

TEST_CASE("repeated keys whose sum passes a pebibyte are an error, not a wrapped total", "[sources]") {
  const std::string half = std::to_string(kMaxPlausibleBytes / 1024 / 2 + 1) + " kB";
  const auto rollup = parseSmapsRollup("Rss: " + half + "\nRss: " + half + "\nPss: 4 kB\n");
  REQUIRE_FALSE(rollup);
  CHECK(rollup.error().message == "smaps_rollup: implausible total for Rss");
}

TEST_CASE("repeated keys summing to exactly a pebibyte are accepted", "[sources]") {
  const std::string half = std::to_string(kMaxPlausibleBytes / 1024 / 2) + " kB";
  const auto rollup = parseSmapsRollup("Rss: " + half + "\nRss: " + half + "\nPss: 4 kB\n");
  REQUIRE(rollup);
  CHECK(rollup->rss_bytes == kMaxPlausibleBytes);
}

TEST_CASE("binary garbage instead of a smaps_rollup is an error, never an empty process", "[sources]") {
  std::string garbage;
  for (int i = 1; i < 2048; ++i) garbage.push_back(static_cast<char>((i * 197 + 3) % 256));
  CHECK_FALSE(parseSmapsRollup(garbage));
  CHECK_FALSE(parseSmapsRollup(std::string("\0\0\0\0", 4)));
}

TEST_CASE("the smaps_rollup captured on a build machine parses to the figures its lines state", "[sources]") {
  const std::string text = fixtureFile("captured/self-smaps_rollup");
  const auto sums = kibSums(text);
  const auto rollup = parseSmapsRollup(text);
  REQUIRE(rollup);
  CHECK(rollup->has_memory);
  CHECK(rollup->rss_bytes == sums.at("Rss") * kKiB);
  CHECK(rollup->pss_bytes == sums.at("Pss") * kKiB);
  CHECK(rollup->swap_pss_bytes == sums.at("SwapPss") * kKiB);
  if (sums.count("Pss_Anon")) {
    CHECK(rollup->pss_anon_bytes == sums.at("Pss_Anon") * kKiB);
    CHECK(rollup->pss_file_bytes == sums.at("Pss_File") * kKiB);
    CHECK(rollup->pss_shmem_bytes == sums.at("Pss_Shmem") * kKiB);
  } else {
    CHECK_FALSE(rollup->pss_anon_bytes);
  }
}
