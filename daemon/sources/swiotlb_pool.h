#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "sources/kernel_cmdline.h"

namespace jmem {

// The kernel's bounce buffer for devices that cannot reach all of memory, as it is in this boot:
// `swiotlb=N` slabs of 2 KiB each (kernel_cmdline.h), taken at boot and never given back.
struct SwiotlbPool {
  std::uint64_t slabs = 0;
  std::optional<std::uint64_t> used_slabs;        // now, where debugfs says
  std::optional<std::uint64_t> high_water_slabs;  // the most ever used, where the kernel keeps it (6.6+)
  // Where the size came from: "debugfs", "boot log" or "default" (the architecture's, assumed).
  std::string source;
  std::uint64_t bytes() const { return swiotlbBytes(slabs); }
};

// Pure: the size the kernel's boot message gives, in bytes: "software IO TLB: mapped [mem
// 0x00000000fbe00000-0x00000000ffe00000] (64MB)" (the range's length, else the figure in brackets).
std::optional<std::uint64_t> parseSwiotlbBootLine(std::string_view line);

// Pure: the smallest swiotlb= that keeps `used_slabs` with `headroom_percent` more, rounded up to a
// power of two of slabs and never below 1024 (2 MiB): NVIDIA warns never to set 0.
std::uint64_t suggestedSwiotlbSlabs(std::uint64_t used_slabs, std::uint32_t headroom_percent);

// From debugfs (DEBUGFS/swiotlb/io_tlb_nslabs, io_tlb_used, io_tlb_used_hiwater) where it is mounted;
// else from the boot log's line in `boot_log` (the kernel's ring buffer as text); else the default.
SwiotlbPool readSwiotlbPool(const std::filesystem::path& debugfs, std::string_view boot_log);

}  // namespace jmem
