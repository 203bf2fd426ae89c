#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace jmem {

// /proc/PID/statm in pages. Cheap to read: unlike smaps_rollup it takes no mmap lock.
struct Statm {
  std::uint64_t size_pages = 0;
  std::uint64_t resident_pages = 0;
  std::uint64_t shared_pages = 0;  // file-backed and shmem resident pages
};

std::optional<Statm> parseStatm(std::string_view text);

}  // namespace jmem
