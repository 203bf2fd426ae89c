#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace jmem {

// One "Key:   1234 kB" line as /proc/meminfo and smaps_rollup print it.
struct KibField {
  std::string_view key;
  std::string_view value;  // the text after the colon, trimmed
};

// Splits a line at its first colon; nullopt when there is none.
std::optional<KibField> splitField(std::string_view line);

// "1234 kB" (or "1234" where `unit_optional`) to bytes; nullopt when malformed or absurd.
std::optional<std::uint64_t> kibValueToBytes(std::string_view value, bool unit_optional = false);

}  // namespace jmem
