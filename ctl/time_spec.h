#pragma once

#include <cstdint>
#include <string_view>

#include "core/result.h"

namespace jmem::ctl {

// `--since` as journalctl takes it, in local time, to CLOCK_REALTIME microseconds:
//   "2026-12-04", "2026-12-04 14:03", "2026-12-04 14:03:07" (or with a T), "14:03[:07]" (today),
//   "today", "yesterday", "now", "-2h", "2h ago", "90min ago", "@1764857000" (seconds since 1970).
// Durations in s, sec, min, m, h, d, w (and their English words). An error names the text.
Result<std::uint64_t> parseSince(std::string_view text, std::uint64_t now_usec);

}  // namespace jmem::ctl
