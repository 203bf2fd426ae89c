#include "sources/zram.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

namespace {

// The unit of same_pages: an arm64 kernel's 64 KiB pages would count the same way.
constexpr std::uint64_t kPageBytes = 4096;

// mm_stat as the kernel prints it ("%8llu %8llu ..."): 4.9 has seven fields, 4.18 eight, 5.15 nine.
std::string mmStat(const std::vector<unsigned long long>& fields) {
  std::string out;
  for (const unsigned long long field : fields) {
    char column[32];
    std::snprintf(column, sizeof column, "%s%8llu", out.empty() ? "" : " ", field);
    out += column;
  }
  return out + "\n";
}

}  // namespace

TEST_CASE("a 5.15 kernel's mm_stat gives each size and the page counts, later fields ignored", "[sources]") {
  ZramDevice device;
  REQUIRE(parseZramMmStat(mmStat({831488000, 208023552, 216711168, 0, 230686720, 1234, 56, 78, 90}), device));
  CHECK(device.orig_data_bytes == 831488000u);
  CHECK(device.compr_data_bytes == 208023552u);
  CHECK(device.mem_used_bytes == 216711168u);
  CHECK(device.mem_limit_bytes == 0u);
  CHECK(device.same_pages == 1234u);
  CHECK(device.huge_pages == 78u);
}

TEST_CASE("a 4.9 kernel's seven-field mm_stat leaves huge_pages unknown, not 0", "[sources]") {
  ZramDevice device;
  device.huge_pages = 5;
  REQUIRE(parseZramMmStat(mmStat({4096, 1024, 12288, 1 << 30, 12288, 3, 0}), device));
  CHECK_FALSE(device.huge_pages);
  CHECK(device.mem_limit_bytes == 1u << 30);
  // An unused device: every field 0.
  REQUIRE(parseZramMmStat(mmStat({0, 0, 0, 0, 0, 0, 0}), device));
  CHECK(device.mem_used_bytes == 0u);
}

TEST_CASE("an mm_stat that is short, not numeric or impossible is an error naming what is wrong",
          "[sources]") {
  ZramDevice device;
  auto parsed = parseZramMmStat(mmStat({1, 2, 3, 4, 5, 6}), device);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().message == "expected at least 7 fields, found 6");
  parsed = parseZramMmStat("   4096    1024 12x88 0 0 0 0\n", device);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().message == "field 3: not a number \"12x88\"");
  parsed = parseZramMmStat(mmStat({8192, 8192, 4096, 0, 4096, 0, 0}), device);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().message == "compressed data larger than the memory it uses");
  CHECK_FALSE(parseZramMmStat("", device));
  CHECK_FALSE(parseZramMmStat(mmStat({1, 2, 3, 4, 5, 6, 7}) + "\x1b[2J", device));
}

TEST_CASE("every zram device is read by number, other block devices are left out, and totals are their sums",
          "[sources]") {
  const std::map<std::string, std::vector<unsigned long long>> stats = {
      {"zram0", {300 << 20, 100 << 20, 110 << 20, 0, 120 << 20, 10, 0, 2}},
      {"zram1", {200 << 20, 50 << 20, 60 << 20, 0, 70 << 20, 20, 0, 1}},
      {"zram2", {0, 0, 0, 0, 0, 0, 0, 0}},
      {"zram10", {100 << 20, 40 << 20, 41 << 20, 0, 41 << 20, 0, 0, 0}},
  };
  Files files{{"sys/block/sda/size", "100\n"},
              {"sys/block/zramfoo/disksize", "1\n"},
              {"sys/block/loop0/mm_stat", mmStat({1, 2, 3, 4, 5, 6, 7})}};
  std::uint64_t disksize = 0;
  std::uint64_t orig = 0, compr = 0, used = 0, same = 0;
  for (const auto& [name, fields] : stats) {
    files["sys/block/" + name + "/mm_stat"] = mmStat(fields);
    const std::uint64_t size = 650ull << 20;
    files["sys/block/" + name + "/disksize"] = std::to_string(size) + "\n";
    disksize += size;
    orig += fields[0];
    compr += fields[1];
    used += fields[2];
    same += fields[5] * kPageBytes;
  }
  FixtureTree tree(files);
  const ZramSnapshot zram = readZram(tree.path("sys"), kPageBytes);
  REQUIRE(zram.available);
  REQUIRE(zram.devices.size() == 4);
  CHECK(zram.devices[0].name == "zram0");
  CHECK(zram.devices[2].name == "zram2");
  CHECK(zram.devices[3].name == "zram10");
  CHECK(zram.devices[3].compr_data_bytes == 40u << 20);
  CHECK(zram.totals.devices == 4);
  CHECK(zram.totals.disksize_bytes == disksize);
  CHECK(zram.totals.orig_data_bytes == orig);
  CHECK(zram.totals.compr_data_bytes == compr);
  CHECK(zram.totals.mem_used_bytes == used);
  CHECK(zram.totals.same_bytes == same);
}

TEST_CASE("without a zram device zram is unavailable with a reason, never zero", "[sources]") {
  FixtureTree tree(Files{{"sys/block/sda/size", "100\n"}});
  ZramSnapshot zram = readZram(tree.path("sys"), kPageBytes);
  CHECK_FALSE(zram.available);
  CHECK(zram.reason == "no zram device under " + tree.path("sys/block").string());
  zram = readZram(tree.path("missing"), kPageBytes);
  CHECK_FALSE(zram.available);
  CHECK(zram.reason.find("No such file or directory") != std::string::npos);
}

TEST_CASE("one device whose files do not read or parse makes zram unavailable, naming the file",
          "[sources]") {
  FixtureTree tree(Files{{"sys/block/zram0/disksize", "1073741824\n"},
                         {"sys/block/zram0/mm_stat", mmStat({4096, 1024, 12288, 0, 12288, 0, 0})},
                         {"sys/block/zram1/disksize", "1073741824\n"},
                         {"sys/block/zram1/mm_stat", "garbage\n"}});
  ZramSnapshot zram = readZram(tree.path("sys"), kPageBytes);
  CHECK_FALSE(zram.available);
  CHECK(zram.devices.empty());
  CHECK(zram.totals.mem_used_bytes == 0u);
  CHECK(zram.reason == tree.path("sys/block/zram1/mm_stat").string() + ": field 1: not a number \"garbage\"");

  tree.write("sys/block/zram1/mm_stat", mmStat({4096, 1024, 12288, 0, 12288, 0, 0}));
  tree.write("sys/block/zram1/disksize", "-1\n");
  zram = readZram(tree.path("sys"), kPageBytes);
  CHECK_FALSE(zram.available);
  CHECK(zram.reason == tree.path("sys/block/zram1/disksize").string() + ": not a number \"-1\"");

  tree.remove("sys/block/zram1/disksize");
  zram = readZram(tree.path("sys"), kPageBytes);
  CHECK_FALSE(zram.available);
  CHECK(zram.reason.find("zram1/disksize") != std::string::npos);
}
