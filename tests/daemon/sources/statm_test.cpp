#include "sources/statm.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "core/text.h"
#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::fixtureFile;

namespace {

// Resident pages above a pebibyte even at the smallest page size Linux has (4 KiB).
constexpr std::uint64_t kMaxPlausiblePages = kMaxPlausibleBytes / 4096;

}  // namespace

TEST_CASE("statm gives the size, resident and shared pages of its first three fields", "[sources]") {
  const auto statm = parseStatm("765 436 408 5 0 123 0\n");
  REQUIRE(statm);
  CHECK(statm->size_pages == 765u);
  CHECK(statm->resident_pages == 436u);
  CHECK(statm->shared_pages == 408u);
}

TEST_CASE("a kernel thread's statm is all zeros and still parses", "[sources]") {
  const auto statm = parseStatm("0 0 0 0 0 0 0\n");
  REQUIRE(statm);
  CHECK(statm->size_pages == 0u);
  CHECK(statm->resident_pages == 0u);
  CHECK(statm->shared_pages == 0u);
}

TEST_CASE("statm with only its first three fields and no newline parses", "[sources]") {
  const auto statm = parseStatm("10 5 2");
  REQUIRE(statm);
  CHECK(statm->shared_pages == 2u);
}

TEST_CASE("statm with fewer than three fields is rejected", "[sources]") {
  const std::string text = GENERATE("", "\n", "10", "10 5", "10 5 \n", "10 5\n2 1 0 0\n");
  CHECK_FALSE(parseStatm(text));
}

TEST_CASE("statm fields that are not plain decimals are rejected", "[sources]") {
  const std::string text =
      GENERATE("a b c", "-1 0 0", "10 5 x", "10 +5 2", "10 5 2.5", "0x10 5 2", "10\t5\t2", "10  5 2");
  CHECK_FALSE(parseStatm(text));
}

TEST_CASE("binary garbage instead of statm is rejected", "[sources]") {
  CHECK_FALSE(parseStatm(std::string("\0\0\0\0\0\0", 6)));
  CHECK_FALSE(parseStatm("\xff\xfe\xfd 1 1"));
}

TEST_CASE("a statm figure that overflows 64 bits is rejected", "[sources]") {
  CHECK_FALSE(parseStatm("18446744073709551616 1 1 0 0 0 0"));
  CHECK_FALSE(parseStatm("10 18446744073709551616 1 0 0 0 0"));
}

TEST_CASE("resident above size or shared above resident is rejected", "[sources]") {
  CHECK_FALSE(parseStatm("10 11 1 0 0 0 0"));
  CHECK_FALSE(parseStatm("10 5 6 0 0 0 0"));
  CHECK(parseStatm("10 10 10 0 0 0 0"));
}

TEST_CASE("a resident set above a pebibyte at the smallest page size is rejected as corrupt", "[sources]") {
  const std::string limit = std::to_string(kMaxPlausiblePages);
  const std::string above = std::to_string(kMaxPlausiblePages + 1);
  CHECK(parseStatm(above + " " + limit + " 0 0 0 0 0"));
  CHECK_FALSE(parseStatm(above + " " + above + " 0 0 0 0 0"));
  CHECK_FALSE(parseStatm("18446744073709551615 18446744073709551615 0 0 0 0 0"));
}

TEST_CASE("a virtual size above a pebibyte is still accepted: address space is not memory", "[sources]") {
  const auto statm = parseStatm(std::to_string(kMaxPlausiblePages * 16) + " 100 10 0 0 0 0");
  REQUIRE(statm);
  CHECK(statm->size_pages == kMaxPlausiblePages * 16);
}

TEST_CASE("the statm captured on a build machine parses to the figures it states", "[sources]") {
  const std::string text = fixtureFile("captured/self-statm");
  std::istringstream in(text);
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  std::uint64_t shared = 0;
  REQUIRE(in >> size >> resident >> shared);
  const auto statm = parseStatm(text);
  REQUIRE(statm);
  CHECK(statm->size_pages == size);
  CHECK(statm->resident_pages == resident);
  CHECK(statm->shared_pages == shared);
  CHECK(statm->resident_pages > 0u);
}
