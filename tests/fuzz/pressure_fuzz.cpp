// Fuzzes parsePressure() with arbitrary /proc/pressure/memory text.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_checks.h"
#include "sources/pressure.h"

namespace {

using jmem::fuzz::require;

void checkLine(const jmem::PressureLine& line) {
  require(line.avg10_permyriad <= 10000);
  require(line.avg60_permyriad <= 10000);
  require(line.avg300_permyriad <= 10000);
}

std::string percent(std::uint32_t permyriad) {
  const std::string fraction = std::to_string(permyriad % 100);
  return std::to_string(permyriad / 100) + (fraction.size() == 1 ? ".0" : ".") + fraction;
}

// The line as the kernel prints it ("avg10=%lu.%02lu ... total=%llu").
std::string format(const char* kind, const jmem::PressureLine& line) {
  return std::string(kind) + " avg10=" + percent(line.avg10_permyriad) +
         " avg60=" + percent(line.avg60_permyriad) + " avg300=" + percent(line.avg300_permyriad) +
         " total=" + std::to_string(line.total_usec) + "\n";
}

bool same(const jmem::PressureLine& a, const jmem::PressureLine& b) {
  return a.avg10_permyriad == b.avg10_permyriad && a.avg60_permyriad == b.avg60_permyriad &&
         a.avg300_permyriad == b.avg300_permyriad && a.total_usec == b.total_usec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = jmem::parsePressure(jmem::fuzz::asText(data, size));
  if (!parsed) {
    require(!parsed.error().message.empty() && jmem::fuzz::isCleanText(parsed.error().message));
    return 0;
  }
  require(parsed->available);
  checkLine(parsed->some);
  checkLine(parsed->full);
  const auto again = jmem::parsePressure(format("some", parsed->some) + format("full", parsed->full));
  require(again.ok() && again->available && same(again->some, parsed->some) &&
          same(again->full, parsed->full));
  return 0;
}
