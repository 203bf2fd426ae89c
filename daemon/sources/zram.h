#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/record_fields.h"
#include "core/result.h"

namespace jmem {

// One zram device's memory (bytes), from /sys/block/zramN/mm_stat and disksize. What it stores is
// memory used: the compressed pages with the allocator's overhead (mem_used) come out of RAM.
struct ZramDevice {
  std::string name;                         // "zram0"
  std::uint64_t disksize_bytes = 0;         // its capacity, uncompressed; 0 until it is set up
  std::uint64_t orig_data_bytes = 0;        // what it holds, uncompressed
  std::uint64_t compr_data_bytes = 0;       // the same, compressed
  std::uint64_t mem_used_bytes = 0;         // the RAM it takes: compressed data and the allocator's overhead
  std::uint64_t mem_limit_bytes = 0;        // 0: no limit
  std::uint64_t same_pages = 0;             // pages of one repeated value, stored without memory
  std::optional<std::uint64_t> huge_pages;  // incompressible pages; unknown before Linux 4.18
};

template <FieldsOf<ZramDevice> D, typename Visit>
void visitFields(D& d, Visit&& visit) {
  visit("name", d.name);
  visit("disksize_bytes", d.disksize_bytes);
  visit("orig_data_bytes", d.orig_data_bytes);
  visit("compr_data_bytes", d.compr_data_bytes);
  visit("mem_used_bytes", d.mem_used_bytes);
  visit("mem_limit_bytes", d.mem_limit_bytes);
  visit("same_pages", d.same_pages);
  visit("huge_pages", d.huge_pages);
}

// Every zram device's sums. JetPack sets up one device a CPU, all swap.
struct ZramTotals {
  std::uint64_t devices = 0;
  std::uint64_t disksize_bytes = 0;
  std::uint64_t orig_data_bytes = 0;
  std::uint64_t compr_data_bytes = 0;
  std::uint64_t mem_used_bytes = 0;
  std::uint64_t same_bytes = 0;  // in pages of one repeated value: stored, but taking no memory
  void add(const ZramDevice& device, std::uint64_t page_bytes);
};

template <FieldsOf<ZramTotals> T, typename Visit>
void visitFields(T& t, Visit&& visit) {
  visit("devices", t.devices);
  visit("disksize_bytes", t.disksize_bytes);
  visit("orig_data_bytes", t.orig_data_bytes);
  visit("compr_data_bytes", t.compr_data_bytes);
  visit("mem_used_bytes", t.mem_used_bytes);
  visit("same_bytes", t.same_bytes);
}

// No zram device (no module, or none set up) is "unavailable", not zero; `reason` says why.
struct ZramSnapshot {
  bool available = false;
  std::string reason;
  std::vector<ZramDevice> devices;  // by name
  ZramTotals totals;
};

// Parses mm_stat: seven fields (Linux 4.2), eight with huge_pages (4.18), more on newer kernels
// (ignored). Fills every field of `device` but its name and disksize.
Status parseZramMmStat(std::string_view text, ZramDevice& device);

// Reads <sys_root>/block/zram*. All devices or none: a device whose files do not read or parse makes
// the snapshot unavailable, with the file named in `reason`. `page_bytes`: the kernel's page, the unit
// of same_pages.
ZramSnapshot readZram(const std::filesystem::path& sys_root, std::uint64_t page_bytes);

}  // namespace jmem
