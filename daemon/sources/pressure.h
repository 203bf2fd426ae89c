#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/record_fields.h"
#include "core/result.h"

namespace jmem {

// One line of a PSI file. Averages are the share of time stalled, in 1/10000 (12.34% is 1234).
struct PressureLine {
  std::uint32_t avg10_permyriad = 0;
  std::uint32_t avg60_permyriad = 0;
  std::uint32_t avg300_permyriad = 0;
  std::uint64_t total_usec = 0;
};

template <FieldsOf<PressureLine> L, typename Visit>
void visitFields(L& line, Visit&& visit) {
  visit("avg10_permyriad", line.avg10_permyriad);
  visit("avg60_permyriad", line.avg60_permyriad);
  visit("avg300_permyriad", line.avg300_permyriad);
  visit("total_usec", line.total_usec);
}

// /proc/pressure/memory. A kernel without PSI (no file, or booted with psi=0) is "unavailable".
struct Pressure {
  bool available = false;
  PressureLine some;
  PressureLine full;
};

// "none", "low", "medium" or "high", from PSI some avg10: below 1%, 10%, 40%, and above. A kernel
// without PSI says "none".
std::string_view pressureLevel(const Pressure& pressure);

Result<Pressure> parsePressure(std::string_view text);

Result<Pressure> readMemoryPressure(const std::filesystem::path& proc_root);

}  // namespace jmem
