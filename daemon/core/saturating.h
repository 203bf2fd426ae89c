#pragma once

#include <cstdint>
#include <limits>

namespace jmem {

// a + b, held at the largest value instead of wrapping: for sums of figures from untrusted files.
inline std::uint64_t saturatingAdd(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max()
                                                           : a + b;
}

}  // namespace jmem
