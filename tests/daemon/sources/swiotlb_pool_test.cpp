#include "sources/swiotlb_pool.h"

#include <catch2/catch.hpp>

#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::FixtureTree;

TEST_CASE("swiotlb's size comes from the kernel's boot line: its range, or the figure in brackets",
          "[sources]") {
  // arm64 5.15: the range's end is its last byte.
  CHECK(parseSwiotlbBootLine(
            "[    0.000000] software IO TLB: mapped [mem 0x00000000fbe00000-0x00000000ffe00000] "
            "(64MB)") == 64u << 20);
  CHECK(parseSwiotlbBootLine("software IO TLB: mapped [mem 0x0000000070000000-0x0000000070400000] (4MB)") ==
        4u << 20);
  CHECK(parseSwiotlbBootLine("software IO TLB: mapped [mem garbage] (32MB)") == 32u << 20);
  CHECK_FALSE(parseSwiotlbBootLine("PCI: Using configuration type 1 for base access"));
  CHECK_FALSE(parseSwiotlbBootLine("software IO TLB: mapped [mem x] (lots)"));
  // Figures no kernel prints do not wrap around into small ones.
  CHECK(parseSwiotlbBootLine("software IO TLB: mapped [mem 0x0-0xffffffffffffffff] (64MB)") == 64u << 20);
  CHECK_FALSE(parseSwiotlbBootLine("software IO TLB: mapped [mem x] (99999999999999MB)"));
}

TEST_CASE("debugfs gives swiotlb's slabs and their use; the high-water mark only where the kernel keeps it",
          "[sources]") {
  FixtureTree newer({{"debug/swiotlb/io_tlb_nslabs", "32768\n"},
                     {"debug/swiotlb/io_tlb_used", "120\n"},
                     {"debug/swiotlb/io_tlb_used_hiwater", "1100\n"}});
  const SwiotlbPool with_mark = readSwiotlbPool(newer.path("debug"), "");
  CHECK(with_mark.source == "debugfs");
  CHECK(with_mark.slabs == 32768u);
  CHECK(with_mark.bytes() == 64u << 20);
  CHECK(with_mark.used_slabs == 120u);
  CHECK(with_mark.high_water_slabs == 1100u);
  FixtureTree older({{"debug/swiotlb/io_tlb_nslabs", "32768\n"}, {"debug/swiotlb/io_tlb_used", "7\n"}});
  const SwiotlbPool without = readSwiotlbPool(older.path("debug"), "");
  CHECK(without.used_slabs == 7u);
  CHECK_FALSE(without.high_water_slabs);
}

TEST_CASE("without debugfs swiotlb is read from the boot log, and without either it is the default, said so",
          "[sources]") {
  FixtureTree none;
  const std::string log =
      "[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x410fd421]\n"
      "[    0.000000] software IO TLB: mapped [mem 0x00000000fbe00000-0x00000000ffe00000] (64MB)\n";
  const SwiotlbPool booted = readSwiotlbPool(none.path("debug"), log);
  CHECK(booted.source == "boot log");
  CHECK(booted.slabs == 32768u);
  CHECK_FALSE(booted.used_slabs);
  const SwiotlbPool assumed = readSwiotlbPool(none.path("debug"), "nothing of swiotlb\n");
  CHECK(assumed.source == "default");
  CHECK(assumed.bytes() == kSwiotlbDefaultBytes);
}

TEST_CASE("the swiotlb= to suggest keeps the mark with headroom, a power of two, never below 2 MiB",
          "[sources]") {
  CHECK(suggestedSwiotlbSlabs(1100, 50) == 2048u);  // 1650 rounds up to 2048 slabs: 4 MiB
  CHECK(suggestedSwiotlbSlabs(0, 50) == 1024u);     // never 0: NVIDIA warns against it
  CHECK(suggestedSwiotlbSlabs(20000, 50) == 32768u);
  CHECK(suggestedSwiotlbSlabs(UINT64_MAX, 50) >= std::uint64_t{1} << 40);  // held, no overflow
}
