#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jmem {

// The shortest text that reads back as `value`, as std::to_chars(double) writes it: fixed notation
// unless scientific is shorter ("0.5", "1234.5", "1e+20"). Not for NaN or infinities.
std::string shortestDouble(double value);

// The same through printf and strtod, for a standard library without floating-point to_chars (gcc
// 10's, which the release build uses). Public so that a test holds it to to_chars where both exist.
std::string shortestDoubleByPrintf(double value);

// A decimal number written as to_chars writes one: no leading white space or '+', nothing after it.
std::optional<double> parseDouble(std::string_view text);

}  // namespace jmem
