#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "core/result.h"

namespace jmem {

// The /proc/meminfo figures the ledger uses, in bytes. Optional ones are absent on some kernels:
// NvMapMem* exists only on old Jetson (K4.9) kernels, Cma* only with CONFIG_CMA.
struct Meminfo {
  std::uint64_t mem_total_bytes = 0;
  std::uint64_t mem_free_bytes = 0;
  std::uint64_t mem_available_bytes = 0;
  std::optional<std::uint64_t> buffers_bytes;
  std::optional<std::uint64_t> cached_bytes;
  std::optional<std::uint64_t> shmem_bytes;
  std::optional<std::uint64_t> swap_total_bytes;
  std::optional<std::uint64_t> swap_free_bytes;
  std::optional<std::uint64_t> cma_total_bytes;
  std::optional<std::uint64_t> cma_free_bytes;
  std::optional<std::uint64_t> nvmap_mem_used_bytes;
  std::optional<std::uint64_t> nvmap_mem_free_bytes;
};

// Parses /proc/meminfo. A known field that is malformed, repeated or missing when required is an
// error naming the line; unknown fields are ignored.
Result<Meminfo> parseMeminfo(std::string_view text);

Result<Meminfo> readMeminfo(const std::filesystem::path& proc_root);

}  // namespace jmem
