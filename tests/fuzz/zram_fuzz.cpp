// Fuzzes parseZramMmStat() with arbitrary /sys/block/zramN/mm_stat text.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_checks.h"
#include "sources/zram.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using jmem::fuzz::require;
  jmem::ZramDevice device;
  if (!jmem::parseZramMmStat(jmem::fuzz::asText(data, size), device)) return 0;
  require(device.mem_used_bytes == 0 || device.compr_data_bytes <= device.mem_used_bytes);
  // Printed back as the kernel prints it, the same figures parse again.
  std::string text;
  for (const std::uint64_t value :
       {device.orig_data_bytes, device.compr_data_bytes, device.mem_used_bytes, device.mem_limit_bytes,
        device.mem_used_bytes, device.same_pages, std::uint64_t{0}, device.huge_pages.value_or(0)}) {
    text += std::to_string(value) + " ";
  }
  if (!device.huge_pages) text.resize(text.rfind(' ', text.size() - 2) + 1);
  jmem::ZramDevice again;
  require(static_cast<bool>(jmem::parseZramMmStat(text + "\n", again)));
  require(again.orig_data_bytes == device.orig_data_bytes &&
          again.compr_data_bytes == device.compr_data_bytes &&
          again.mem_used_bytes == device.mem_used_bytes && again.same_pages == device.same_pages &&
          again.huge_pages == device.huge_pages);
  return 0;
}
