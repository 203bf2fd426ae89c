// Fuzzes parseStatm() with arbitrary /proc/PID/statm text.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_checks.h"
#include "sources/statm.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using jmem::fuzz::require;
  const auto parsed = jmem::parseStatm(jmem::fuzz::asText(data, size));
  if (!parsed) return 0;
  require(parsed->resident_pages <= parsed->size_pages);
  require(parsed->shared_pages <= parsed->resident_pages);
  // The kernel prints seven figures ("%lu %lu %lu %lu 0 %lu 0\n"); parsing them back gives the same three.
  const std::string text = std::to_string(parsed->size_pages) + " " + std::to_string(parsed->resident_pages) +
                           " " + std::to_string(parsed->shared_pages) + " 5 0 123 0\n";
  const auto again = jmem::parseStatm(text);
  require(again && again->size_pages == parsed->size_pages &&
          again->resident_pages == parsed->resident_pages && again->shared_pages == parsed->shared_pages);
  return 0;
}
