// Fuzzes parseSmapsRollup() with arbitrary /proc/PID/smaps_rollup (or smaps) text.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/text.h"
#include "fuzz_checks.h"
#include "sources/smaps_rollup.h"

namespace {

using jmem::fuzz::checkBytes;
using jmem::fuzz::require;

void appendField(std::string& text, const char* key, std::uint64_t bytes) {
  text += std::string(key) + ":    " + std::to_string(bytes / 1024) + " kB\n";
}

void appendField(std::string& text, const char* key, const std::optional<std::uint64_t>& bytes) {
  if (bytes) appendField(text, key, *bytes);
}

std::string format(const jmem::SmapsRollup& rollup) {
  std::string text = "55c74ea00000-7ffdb656d000 ---p 00000000 00:00 0    [rollup]\n";
  appendField(text, "Rss", rollup.rss_bytes);
  appendField(text, "Pss", rollup.pss_bytes);
  appendField(text, "Pss_Anon", rollup.pss_anon_bytes);
  appendField(text, "Pss_File", rollup.pss_file_bytes);
  appendField(text, "Pss_Shmem", rollup.pss_shmem_bytes);
  appendField(text, "Swap", rollup.swap_bytes);
  appendField(text, "SwapPss", rollup.swap_pss_bytes);
  return text;
}

bool same(const jmem::SmapsRollup& a, const jmem::SmapsRollup& b) {
  return a.has_memory == b.has_memory && a.rss_bytes == b.rss_bytes && a.pss_bytes == b.pss_bytes &&
         a.pss_anon_bytes == b.pss_anon_bytes && a.pss_file_bytes == b.pss_file_bytes &&
         a.pss_shmem_bytes == b.pss_shmem_bytes && a.swap_bytes == b.swap_bytes &&
         a.swap_pss_bytes == b.swap_pss_bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = jmem::fuzz::asText(data, size);
  const auto parsed = jmem::parseSmapsRollup(text);
  if (!parsed) {
    require(!parsed.error().message.empty() && jmem::fuzz::isCleanText(parsed.error().message));
    return 0;
  }
  const jmem::SmapsRollup& rollup = *parsed;
  if (!rollup.has_memory) {
    // Only an empty file (kernel thread, zombie) has no memory, and then every figure is zero.
    require(jmem::trim(text).empty());
    require(same(rollup, jmem::SmapsRollup{}));
    return 0;
  }
  for (const std::uint64_t bytes :
       {rollup.rss_bytes, rollup.pss_bytes, rollup.swap_bytes, rollup.swap_pss_bytes}) {
    checkBytes(bytes);
  }
  checkBytes(rollup.pss_anon_bytes);
  checkBytes(rollup.pss_file_bytes);
  checkBytes(rollup.pss_shmem_bytes);
  const auto again = jmem::parseSmapsRollup(format(rollup));
  require(again.ok() && same(*again, rollup));
  return 0;
}
