#include "core/number_text.h"

#include <catch2/catch.hpp>
#include <cfloat>
#include <charconv>
#include <cstring>
#include <random>
#include <vector>

using namespace jmem;

namespace {

std::vector<double> sampleDoubles() {
  std::vector<double> values{0.0,      -0.0,     0.1,   0.5,  1.0,
                             100000.0, 1234.5,   1e20,  1e-7, 1e-300,
                             5e-324,   DBL_MAX,  -2.25, 1e16, 123456789012345678.0,
                             0.3,      2.0 / 3.0};
  std::mt19937_64 random(42);
  while (values.size() < 5000) {
    const std::uint64_t bits = random();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    if (value == value && value - value == 0) values.push_back(value);  // finite only
  }
  return values;
}

}  // namespace

TEST_CASE("the printf fallback writes each double as std::to_chars does, and it reads back", "[core]") {
  for (const double value : sampleDoubles()) {
    const std::string text = shortestDoubleByPrintf(value);
    INFO(text);
    CHECK(parseDouble(text) == value);
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
    char buffer[64];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    CHECK(text == std::string(buffer, end));
#endif
  }
}

TEST_CASE("shortestDouble prefers fixed notation unless scientific is shorter", "[core]") {
  CHECK(shortestDouble(0.5) == "0.5");
  CHECK(shortestDouble(1234.5) == "1234.5");
  CHECK(shortestDouble(1e20) == "1e+20");
  CHECK(shortestDouble(-2.25) == "-2.25");
}

TEST_CASE("parseDouble reads a whole decimal number and nothing else", "[core]") {
  CHECK(parseDouble("0.25") == 0.25);
  CHECK(parseDouble("-1e3") == -1000.0);
  CHECK_FALSE(parseDouble(""));
  CHECK_FALSE(parseDouble("+1"));
  CHECK_FALSE(parseDouble(" 1"));
  CHECK_FALSE(parseDouble("\t1"));
  CHECK_FALSE(parseDouble("\n1"));
  CHECK_FALSE(parseDouble("1 "));
  CHECK_FALSE(parseDouble("1.5x"));
  CHECK_FALSE(parseDouble("0x1p3"));
}
