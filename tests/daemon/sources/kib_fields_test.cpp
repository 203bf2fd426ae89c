#include "sources/kib_fields.h"

#include <catch2/catch.hpp>
#include <string>

#include "core/text.h"

using namespace jmem;

TEST_CASE("splitField splits a meminfo line at its colon and trims the value", "[sources]") {
  const auto field = splitField("MemTotal:        7802736 kB");
  REQUIRE(field);
  CHECK(field->key == "MemTotal");
  CHECK(field->value == "7802736 kB");
}

TEST_CASE("splitField keeps every colon after the first in the value", "[sources]") {
  const auto field = splitField("Cpus_allowed_list:\t0-1:2");
  REQUIRE(field);
  CHECK(field->key == "Cpus_allowed_list");
  CHECK(field->value == "0-1:2");
}

TEST_CASE("splitField gives an empty value for a line cut after its colon", "[sources]") {
  const auto field = splitField("MemFree:");
  REQUIRE(field);
  CHECK(field->key == "MemFree");
  CHECK(field->value.empty());
}

TEST_CASE("splitField rejects lines without a colon or with an empty key", "[sources]") {
  CHECK_FALSE(splitField(""));
  CHECK_FALSE(splitField("MemTotal 7802736 kB"));
  CHECK_FALSE(splitField(": 5 kB"));
  CHECK_FALSE(splitField(std::string("\xff\xfe\0garbage", 10)));
}

TEST_CASE("kibValueToBytes turns a kB figure into bytes", "[sources]") {
  CHECK(kibValueToBytes("7802736 kB") == std::uint64_t{7802736} * 1024);
  CHECK(kibValueToBytes("0 kB") == 0u);
  CHECK(kibValueToBytes("1732    kB") == std::uint64_t{1732} * 1024);
}

TEST_CASE("kibValueToBytes needs the kB unit unless the caller says it is optional", "[sources]") {
  CHECK_FALSE(kibValueToBytes("1234"));
  CHECK(kibValueToBytes("1234", true) == std::uint64_t{1234} * 1024);
  CHECK(kibValueToBytes("1234 kB", true) == std::uint64_t{1234} * 1024);
}

TEST_CASE("kibValueToBytes rejects other units and trailing words", "[sources]") {
  CHECK_FALSE(kibValueToBytes("1234 MB"));
  CHECK_FALSE(kibValueToBytes("1234 kb"));
  CHECK_FALSE(kibValueToBytes("1234 KiB"));
  CHECK_FALSE(kibValueToBytes("1234 kB extra"));
  CHECK_FALSE(kibValueToBytes("1234 MB", true));
}

TEST_CASE("kibValueToBytes rejects a missing number, signs and non-digits", "[sources]") {
  CHECK_FALSE(kibValueToBytes(""));
  CHECK_FALSE(kibValueToBytes("", true));
  CHECK_FALSE(kibValueToBytes("kB"));
  CHECK_FALSE(kibValueToBytes(" kB"));
  CHECK_FALSE(kibValueToBytes("-1 kB"));
  CHECK_FALSE(kibValueToBytes("+1 kB"));
  CHECK_FALSE(kibValueToBytes("0x10 kB"));
  CHECK_FALSE(kibValueToBytes("12a kB"));
  CHECK_FALSE(kibValueToBytes("1.5 kB"));
  CHECK_FALSE(kibValueToBytes("12\tkB"));
}

TEST_CASE("kibValueToBytes rejects binary garbage", "[sources]") {
  CHECK_FALSE(kibValueToBytes(std::string("1\0 kB", 5)));
  CHECK_FALSE(kibValueToBytes("\xff\xfe kB"));
  CHECK_FALSE(kibValueToBytes(std::string("\0\0\0", 3), true));
}

TEST_CASE("kibValueToBytes accepts a pebibyte and rejects anything above it or overflowing", "[sources]") {
  const std::uint64_t max_kib = kMaxPlausibleBytes / 1024;
  CHECK(kibValueToBytes(std::to_string(max_kib) + " kB") == kMaxPlausibleBytes);
  CHECK_FALSE(kibValueToBytes(std::to_string(max_kib + 1) + " kB"));
  CHECK_FALSE(kibValueToBytes("18446744073709551615 kB"));
  CHECK_FALSE(kibValueToBytes("18446744073709551616 kB"));
  CHECK_FALSE(kibValueToBytes("99999999999999999999999999 kB"));
}
