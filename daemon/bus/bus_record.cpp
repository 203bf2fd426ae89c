#include "bus/bus_record.h"

#include <cstdint>
#include <vector>

namespace jmem {

std::size_t wireBytes(const BusRecord& record) {
  std::size_t bytes = 0;
  for (const auto& [name, value] : record) {
    // The entry's alignment, the key with its length and NUL, the variant's signature, the value.
    bytes += 8 + 4 + name.size() + 1 + 3 + 8;
    const std::string type = value.peekValueType();
    if (type == "s") bytes += value.get<std::string>().size() + 1;
    if (type == "au") bytes += 4 * value.get<std::vector<std::uint32_t>>().size();
  }
  return bytes;
}

}  // namespace jmem
