#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace jmem {

// One row of an nvmap heap's "clients" file. `bytes` is already proportional: each handle's size
// divided by the number of clients sharing it, so rows of one process can be summed like PSS.
struct NvmapClient {
  std::string heap;     // "iovmm", "generic-0", "vpr", ...
  std::string client;   // nvmap client name, usually "user"
  std::string process;  // task comm; may contain spaces; "kernel" for pid 0
  pid_t pid = 0;
  std::uint64_t bytes = 0;
};

struct NvmapHeap {
  std::string name;
  std::uint64_t total_bytes = 0;  // the total line: each handle once, not the sum of the rows
  std::vector<NvmapClient> clients;
  std::size_t skipped_rows = 0;  // rows that could not be parsed
};

// GPU and multimedia buffers as NvMap reports them. Unavailable (no debugfs, no nvmap, no access)
// is not zero: `available` says which, `reason` why.
struct NvmapSnapshot {
  bool available = false;
  std::string reason;
  std::uint64_t total_bytes = 0;
  std::vector<NvmapHeap> heaps;
};

// Parses one clients file in any of the kernel's variants: K-suffixed or bare KiB rows, "Note:" lines
// after the total (K4.9), process names with spaces.
Result<NvmapHeap> parseNvmapClients(std::string_view text, std::string_view heap_name);

// Reads <debugfs_root>/nvmap/*/clients.
NvmapSnapshot readNvmap(const std::filesystem::path& debugfs_root);

}  // namespace jmem
