#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/ledger.h"

namespace jmem {

// The values of the bus properties that follow the ledger.
struct BusFigures {
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
};

// What counts as a change worth a PropertiesChanged signal: smaller moves are not announced, so a
// ledger that breathes by a few pages each second does not flood the bus.
inline constexpr std::uint64_t kBytesChangeStep = 1024 * 1024;
inline constexpr std::uint32_t kPressureChangeStepPermyriad = 50;

BusFigures busFigures(const Ledger& ledger, std::uint64_t sample_usec);

// none, low, medium or high, from PSI some avg10: below 1%, 10%, 40%, and above.
std::string pressureLevel(const Pressure& pressure);

// Names of the properties whose value moved past its step since it was last announced; those
// fields of `announced` take the new values. A slow drift is announced once it adds up to a step.
std::vector<std::string> announceChanges(BusFigures& announced, const BusFigures& now);

}  // namespace jmem
