#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "core/record_fields.h"
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

template <FieldsOf<Meminfo> M, typename Visit>
void visitFields(M& m, Visit&& visit) {
  visit("mem_total_bytes", m.mem_total_bytes);
  visit("mem_free_bytes", m.mem_free_bytes);
  visit("mem_available_bytes", m.mem_available_bytes);
  visit("buffers_bytes", m.buffers_bytes);
  visit("cached_bytes", m.cached_bytes);
  visit("shmem_bytes", m.shmem_bytes);
  visit("swap_total_bytes", m.swap_total_bytes);
  visit("swap_free_bytes", m.swap_free_bytes);
  visit("cma_total_bytes", m.cma_total_bytes);
  visit("cma_free_bytes", m.cma_free_bytes);
  visit("nvmap_mem_used_bytes", m.nvmap_mem_used_bytes);
  visit("nvmap_mem_free_bytes", m.nvmap_mem_free_bytes);
}

// Parses /proc/meminfo. A known field that is malformed, repeated or missing when required is an
// error naming the line; unknown fields are ignored.
Result<Meminfo> parseMeminfo(std::string_view text);

Result<Meminfo> readMeminfo(const std::filesystem::path& proc_root);

}  // namespace jmem
