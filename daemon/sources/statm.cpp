#include "sources/statm.h"

#include "core/text.h"

namespace jmem {

std::optional<Statm> parseStatm(std::string_view text) {
  text = trim(text);
  std::uint64_t values[3] = {};
  for (std::uint64_t& value : values) {
    const auto space = text.find(' ');
    const auto parsed = parseUnsigned(text.substr(0, space));
    if (!parsed) return std::nullopt;
    value = *parsed;
    text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
  }
  if (values[1] > values[0] || values[2] > values[1]) return std::nullopt;
  // A resident set above kMaxPlausibleBytes even at the smallest page size (4 KiB) is corrupt input.
  if (values[1] > kMaxPlausibleBytes / 4096) return std::nullopt;
  return Statm{values[0], values[1], values[2]};
}

}  // namespace jmem
