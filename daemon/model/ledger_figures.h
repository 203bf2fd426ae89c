#pragma once

#include <cstdint>
#include <string>

#include "ledger/ledger.h"

namespace jmem {

// The figures of the last sample that the governor shows (the bus properties, the status line): the
// service's state, which the bus only encodes.
struct LedgerFigures {
  std::uint64_t last_sample_usec = 0;
  std::uint64_t mem_total_bytes = 0;
  std::uint64_t mem_available_bytes = 0;
  std::uint64_t swap_total_bytes = 0;
  std::uint64_t swap_free_bytes = 0;
  std::uint64_t pss_total_bytes = 0;
  bool nvmap_available = false;
  std::uint64_t nvmap_total_bytes = 0;
  bool pressure_available = false;
  std::uint32_t pressure_some_avg10_permyriad = 0;
  std::uint32_t pressure_full_avg10_permyriad = 0;
  std::string pressure_level = "none";
  std::uint32_t process_count = 0;
  std::uint64_t headroom_bytes = 0;  // MemAvailable above the policy's low watermark (throttle/room.h)
};

LedgerFigures ledgerFigures(const Ledger& ledger, std::uint64_t sample_usec);

}  // namespace jmem
