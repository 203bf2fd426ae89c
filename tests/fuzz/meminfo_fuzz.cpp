// Fuzzes parseMeminfo() with arbitrary /proc/meminfo text.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/text.h"
#include "fuzz_checks.h"
#include "sources/meminfo.h"

namespace {

using jmem::fuzz::checkBytes;
using jmem::fuzz::require;

void appendField(std::string& text, const char* key, std::uint64_t bytes) {
  text += key;
  text += ":   ";
  text += std::to_string(bytes / 1024);
  text += " kB\n";
}

void appendField(std::string& text, const char* key, const std::optional<std::uint64_t>& bytes) {
  if (bytes) appendField(text, key, *bytes);
}

// The fields as the kernel would print them; parsing this must give back the same figures.
std::string format(const jmem::Meminfo& info) {
  std::string text;
  appendField(text, "MemTotal", info.mem_total_bytes);
  appendField(text, "MemFree", info.mem_free_bytes);
  appendField(text, "MemAvailable", info.mem_available_bytes);
  appendField(text, "Buffers", info.buffers_bytes);
  appendField(text, "Cached", info.cached_bytes);
  appendField(text, "Shmem", info.shmem_bytes);
  appendField(text, "SwapTotal", info.swap_total_bytes);
  appendField(text, "SwapFree", info.swap_free_bytes);
  appendField(text, "CmaTotal", info.cma_total_bytes);
  appendField(text, "CmaFree", info.cma_free_bytes);
  appendField(text, "NvMapMemUsed", info.nvmap_mem_used_bytes);
  appendField(text, "NvMapMemFree", info.nvmap_mem_free_bytes);
  return text;
}

bool same(const jmem::Meminfo& a, const jmem::Meminfo& b) {
  return a.mem_total_bytes == b.mem_total_bytes && a.mem_free_bytes == b.mem_free_bytes &&
         a.mem_available_bytes == b.mem_available_bytes && a.buffers_bytes == b.buffers_bytes &&
         a.cached_bytes == b.cached_bytes && a.shmem_bytes == b.shmem_bytes &&
         a.swap_total_bytes == b.swap_total_bytes && a.swap_free_bytes == b.swap_free_bytes &&
         a.cma_total_bytes == b.cma_total_bytes && a.cma_free_bytes == b.cma_free_bytes &&
         a.nvmap_mem_used_bytes == b.nvmap_mem_used_bytes && a.nvmap_mem_free_bytes == b.nvmap_mem_free_bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = jmem::parseMeminfo(jmem::fuzz::asText(data, size));
  if (!parsed) {
    require(!parsed.error().message.empty() && jmem::fuzz::isCleanText(parsed.error().message));
    return 0;
  }
  const jmem::Meminfo& info = *parsed;
  require(info.mem_free_bytes <= info.mem_total_bytes);
  require(info.mem_available_bytes <= info.mem_total_bytes);
  for (const std::uint64_t bytes : {info.mem_total_bytes, info.mem_free_bytes, info.mem_available_bytes}) {
    checkBytes(bytes);
  }
  for (const auto* bytes : {&info.buffers_bytes, &info.cached_bytes, &info.shmem_bytes,
                            &info.swap_total_bytes, &info.swap_free_bytes, &info.cma_total_bytes,
                            &info.cma_free_bytes, &info.nvmap_mem_used_bytes, &info.nvmap_mem_free_bytes}) {
    checkBytes(*bytes);
  }
  const auto again = jmem::parseMeminfo(format(info));
  require(again.ok() && same(*again, info));
  return 0;
}
