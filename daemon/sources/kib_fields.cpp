#include "sources/kib_fields.h"

#include "core/text.h"

namespace jmem {

std::optional<KibField> splitField(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return KibField{line.substr(0, colon), trim(line.substr(colon + 1))};
}

std::optional<std::uint64_t> kibValueToBytes(std::string_view value, bool unit_optional) {
  const auto space = value.find(' ');
  const std::string_view number = value.substr(0, space);
  const std::string_view unit =
      space == std::string_view::npos ? std::string_view{} : trim(value.substr(space));
  if (unit != "kB" && !(unit_optional && unit.empty())) return std::nullopt;
  const auto kib = parseUnsigned(number);
  if (!kib) return std::nullopt;
  return kibToBytes(*kib);
}

}  // namespace jmem
