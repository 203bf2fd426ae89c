#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace jmem {

// One node under the device tree's /reserved-memory: memory the firmware set aside before Linux ran
// (carveouts for the display, the camera, secure video; CMA pools).
struct ReservedRegion {
  std::string name;                      // the node's name: "vpr-carveout", "linux,cma"
  std::optional<std::uint64_t> address;  // of its first range; none for one the kernel places (size=)
  std::uint64_t size_bytes = 0;          // its ranges together, or its size property
  bool reusable = false;                 // the kernel lends it out (CMA) until a driver claims it
  bool no_map = false;                   // never mapped: not even the kernel can use it
  std::string compatible;                // its first compatible string: "shared-dma-pool", "nvidia,..."
  friend bool operator==(const ReservedRegion&, const ReservedRegion&) = default;
};

// What the device tree says of the DRAM and what is reserved in it; unavailable on a machine without
// a device tree (an x86 PC), saying why.
struct ReservedMemory {
  bool available = false;
  std::string reason;
  std::uint64_t dram_bytes = 0;  // the memory nodes' ranges together
  std::vector<ReservedRegion> regions;
  bool cut = false;  // more memory or reserved nodes than are read (256 of each)
};

// Pure: a reg property, big-endian cells, as (address, size) pairs. An error names what is wrong:
// a length that is no whole number of pairs, or cells that do not fit 64 bits.
Result<std::vector<std::pair<std::uint64_t, std::uint64_t>>> parseRegCells(std::string_view bytes,
                                                                           std::uint32_t address_cells,
                                                                           std::uint32_t size_cells);
// Pure: one big-endian 32-bit cell (#address-cells, #size-cells).
Result<std::uint32_t> parseCell(std::string_view bytes);

// Reads the device tree under `base` (/sys/firmware/devicetree/base, or an injected tree): the
// /memory@... nodes and /reserved-memory's children, each with the cell counts its parent gives.
ReservedMemory readReservedMemory(const std::filesystem::path& base);

}  // namespace jmem
