#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.h"

namespace jmem {

// What /proc/PID/smaps_rollup says a process costs. The Pss_* split exists since Linux 5.8.
struct SmapsRollup {
  bool has_memory = false;  // false for kernel threads and zombies: their file is empty
  std::uint64_t rss_bytes = 0;
  std::uint64_t pss_bytes = 0;
  std::optional<std::uint64_t> pss_anon_bytes;
  std::optional<std::uint64_t> pss_file_bytes;
  std::optional<std::uint64_t> pss_shmem_bytes;
  std::uint64_t swap_bytes = 0;
  std::uint64_t swap_pss_bytes = 0;
};

// Parses smaps_rollup. Repeated keys are summed, so the same parser reads a whole /proc/PID/smaps
// on kernels older than 4.14, which lack the rollup.
Result<SmapsRollup> parseSmapsRollup(std::string_view text);

}  // namespace jmem
