#include "core/number_text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace jmem {

std::string shortestDoubleByPrintf(double value) {
  // The fewest significant digits that read back exactly, then the shorter of the two notations
  // with them (a tie goes to fixed, as for to_chars).
  char scientific[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(scientific, sizeof scientific, "%.*e", digits - 1, value);
    if (std::strtod(scientific, nullptr) == value) {
      const int exponent = std::atoi(std::strchr(scientific, 'e') + 1);
      char fixed[512];  // the largest double has 309 digits before the point
      std::snprintf(fixed, sizeof fixed, "%.*f", std::max(0, digits - 1 - exponent), value);
      return std::strlen(fixed) <= std::strlen(scientific) ? fixed : scientific;
    }
  }
  return scientific;
}

std::string shortestDouble(double value) {
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  char buffer[64];  // the longest shortest form of a double is 24 characters
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
#else
  return shortestDoubleByPrintf(value);
#endif
}

std::optional<double> parseDouble(std::string_view text) {
  // strtod would skip any leading white space and take a '+': to_chars writes neither.
  if (text.empty() || text.front() == '+' || std::isspace(static_cast<unsigned char>(text.front())) ||
      text.size() > 64)
    return std::nullopt;
  const std::string copy(text);  // strtod needs the terminating NUL
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || copy.find_first_of("xXpP") != std::string::npos)
    return std::nullopt;
  return value;
}

}  // namespace jmem
