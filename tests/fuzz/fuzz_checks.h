#pragma once

// Helpers shared by the fuzz targets: an invariant that fails must crash the fuzzer, so that libFuzzer
// saves the input.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/text.h"

namespace jmem::fuzz {

inline void require(bool condition) {
  if (!condition) __builtin_trap();
}

// A size the parsers accept: whole KiB, never above kMaxPlausibleBytes.
inline void checkBytes(std::uint64_t bytes) {
  require(bytes <= kMaxPlausibleBytes && bytes % 1024 == 0);
}

inline void checkBytes(const std::optional<std::uint64_t>& bytes) {
  if (bytes) checkBytes(*bytes);
}

inline std::string_view asText(const std::uint8_t* data, std::size_t size) {
  return size == 0 ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(data), size);
}

// True when `text` is well-formed UTF-8 (Unicode table 3-7) with no control character: no C0, no DEL
// and no C1 (U+0080..U+009F). Written independently of sanitizeName() so the two check each other.
inline bool isCleanText(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      if (lead < 0x20 || lead == 0x7f) return false;
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead == 0xe0) {
      length = 3, second_min = 0xa0;
    } else if ((lead >= 0xe1 && lead <= 0xec) || lead == 0xee || lead == 0xef) {
      length = 3;
    } else if (lead == 0xed) {
      length = 3, second_max = 0x9f;
    } else if (lead == 0xf0) {
      length = 4, second_min = 0x90;
    } else if (lead >= 0xf1 && lead <= 0xf3) {
      length = 4;
    } else if (lead == 0xf4) {
      length = 4, second_max = 0x8f;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      const unsigned char min = k == 1 ? second_min : 0x80;
      const unsigned char max = k == 1 ? second_max : 0xbf;
      if (byte < min || byte > max) return false;
    }
    if (lead == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) return false;  // C1 controls
    i += length;
  }
  return true;
}

}  // namespace jmem::fuzz
