#include "sources/smaps_rollup.h"

#include <string>

#include "core/text.h"
#include "sources/kib_fields.h"

namespace jmem {
namespace {

Status addTo(std::uint64_t& total, std::uint64_t bytes, std::string_view key) {
  total = addSaturating(total, bytes);
  if (total > kMaxPlausibleBytes) return Error{"smaps_rollup: implausible total for " + std::string(key)};
  return ok();
}

}  // namespace

Result<SmapsRollup> parseSmapsRollup(std::string_view text) {
  SmapsRollup rollup;
  if (trim(text).empty()) return rollup;

  struct Slot {
    std::string_view key;
    std::uint64_t* plain;
    std::optional<std::uint64_t>* optional;
  };
  const Slot slots[] = {
      {"Rss", &rollup.rss_bytes, nullptr},
      {"Pss", &rollup.pss_bytes, nullptr},
      {"Pss_Anon", nullptr, &rollup.pss_anon_bytes},
      {"Pss_File", nullptr, &rollup.pss_file_bytes},
      {"Pss_Shmem", nullptr, &rollup.pss_shmem_bytes},
      {"Swap", &rollup.swap_bytes, nullptr},
      {"SwapPss", &rollup.swap_pss_bytes, nullptr},
  };
  bool seen_rss = false;
  bool seen_pss = false;
  std::string_view line;
  std::size_t line_number = 0;
  while (nextLine(text, line)) {
    ++line_number;
    const auto field = splitField(line);
    if (!field) continue;
    for (const Slot& slot : slots) {
      if (field->key != slot.key) continue;
      const auto bytes = kibValueToBytes(field->value);
      if (!bytes) {
        return Error{"smaps_rollup line " + std::to_string(line_number) + ": invalid value \"" +
                     sanitizeName(field->value) + "\" for " + std::string(slot.key)};
      }
      std::uint64_t& total = slot.plain ? *slot.plain : slot.optional->emplace(slot.optional->value_or(0));
      if (auto added = addTo(total, *bytes, slot.key); !added) return added.error();
      seen_rss |= slot.key == "Rss";
      seen_pss |= slot.key == "Pss";
    }
  }
  if (!seen_rss || !seen_pss) return Error{"smaps_rollup: missing Rss or Pss"};
  rollup.has_memory = true;
  return rollup;
}

}  // namespace jmem
