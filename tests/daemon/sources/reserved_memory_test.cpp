#include "sources/reserved_memory.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::FixtureTree;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

// Big-endian cells, as the kernel exposes a property's bytes under /sys/firmware/devicetree/base.
std::string cells(std::initializer_list<std::uint32_t> values) {
  std::string out;
  for (const std::uint32_t v : values) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
  return out;
}

// A 64-bit value as two cells.
std::string two(std::uint64_t value) {
  return cells({static_cast<std::uint32_t>(value >> 32), static_cast<std::uint32_t>(value)});
}

// Laid out as an Orin Nano 8 GB's tree is (#address-cells and #size-cells of 2, DRAM from 0x80000000 in
// two banks); the node names and sizes here are the test's own.
std::map<std::string, std::string> orinLikeTree() {
  return {
      {"dt/#address-cells", cells({2})},
      {"dt/#size-cells", cells({2})},
      {"dt/memory@80000000/reg", two(0x80000000) + two(0x7F000000) + two(0x100000000) + two(0x100000000)},
      {"dt/memory@80000000/device_type", std::string("memory\0", 7)},
      {"dt/reserved-memory/#address-cells", cells({2})},
      {"dt/reserved-memory/#size-cells", cells({2})},
      {"dt/reserved-memory/linux,cma/size", two(256 * kMiB)},
      {"dt/reserved-memory/linux,cma/reusable", ""},
      {"dt/reserved-memory/linux,cma/compatible", std::string("shared-dma-pool\0", 16)},
      {"dt/reserved-memory/vpr-carveout/reg",
       two(0xC6000000) + two(16 * kMiB) + two(0xE0000000) + two(8 * kMiB)},
      {"dt/reserved-memory/vpr-carveout/no-map", ""},
      {"dt/reserved-memory/vpr-carveout/compatible", std::string("nvidia,vpr-carveout\0nvidia,x\0", 29)},
      {"dt/reserved-memory/camdbg_carveout/reg", two(0xF0000000) + two(4 * kMiB)},
      {"dt/reserved-memory/broken/reg", std::string("\x01\x02\x03", 3)},
  };
}

}  // namespace

TEST_CASE("reg cells read as big-endian address and size pairs of the parent's cell counts", "[sources]") {
  const auto ranges = parseRegCells(two(0x80000000) + two(0x7F000000), 2, 2);
  REQUIRE(ranges.ok());
  REQUIRE(ranges->size() == 1);
  CHECK((*ranges)[0].first == 0x80000000u);
  CHECK((*ranges)[0].second == 0x7F000000u);
  // One cell each, as a 32-bit tree has it.
  const auto small = parseRegCells(cells({0x1000, 0x200, 0x3000, 0x400}), 1, 1);
  REQUIRE(small.ok());
  CHECK(small->size() == 2);
  CHECK((*small)[1].second == 0x400u);
}

TEST_CASE("a reg that is no whole number of ranges, or wider than 64 bits, is refused and says why",
          "[sources]") {
  const auto torn = parseRegCells(std::string(20, '\0'), 2, 2);
  REQUIRE_FALSE(torn.ok());
  CHECK(torn.error().message.find("20 bytes") != std::string::npos);
  CHECK_FALSE(parseRegCells(cells({1, 0, 0, 0, 0, 1}), 3, 3).ok());
  CHECK(parseRegCells(cells({0, 0, 5, 0, 0, 7}), 3, 3)->front().second == 7u);
  CHECK_FALSE(parseCell("abc").ok());
}

TEST_CASE("reserved memory: each node's size, whether the kernel may reuse it, and the DRAM in all",
          "[sources]") {
  FixtureTree tree(orinLikeTree());
  const ReservedMemory memory = readReservedMemory(tree.path("dt"));
  REQUIRE(memory.available);
  CHECK(memory.dram_bytes == 0x7F000000u + 0x100000000u);
  REQUIRE(memory.regions.size() == 3);  // "broken" is left out, not guessed
  const auto& camdbg = memory.regions[0];
  CHECK(camdbg.name == "camdbg_carveout");
  CHECK(camdbg.address == 0xF0000000u);
  CHECK(camdbg.size_bytes == 4 * kMiB);
  const auto& cma = memory.regions[1];
  CHECK(cma.name == "linux,cma");
  CHECK_FALSE(cma.address);
  CHECK(cma.size_bytes == 256 * kMiB);
  CHECK(cma.reusable);
  CHECK(cma.compatible == "shared-dma-pool");
  const auto& vpr = memory.regions[2];
  CHECK(vpr.size_bytes == 24 * kMiB);  // its two ranges
  CHECK(vpr.no_map);
  CHECK_FALSE(vpr.reusable);
  CHECK(vpr.compatible == "nvidia,vpr-carveout");
}

TEST_CASE("a machine without a device tree has no reserved memory to report, and says so", "[sources]") {
  FixtureTree tree;
  const ReservedMemory memory = readReservedMemory(tree.path("none"));
  CHECK_FALSE(memory.available);
  CHECK(memory.reason.find("no device tree") != std::string::npos);
}

TEST_CASE("a device tree with more reserved nodes than are read says so instead of undercounting quietly",
          "[sources]") {
  std::map<std::string, std::string> files = orinLikeTree();
  for (int i = 0; i < 300; ++i)
    files["dt/reserved-memory/node" + std::to_string(1000 + i) + "/size"] = two(kMiB);
  FixtureTree tree(files);
  const ReservedMemory memory = readReservedMemory(tree.path("dt"));
  CHECK(memory.cut);
  CHECK(memory.regions.size() <= 256);
  CHECK(memory.dram_bytes == 0x7F000000u + 0x100000000u);  // the memory nodes are picked before the cap
}
