#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "core/result.h"

namespace jmem {

// Upper bounds on what a reader accepts from a kernel file. Everything under /proc is untrusted.
inline constexpr std::size_t kMaxKernelFileBytes = 1 << 20;

struct FileRead {
  bool truncated = false;  // the file held more than max_bytes; buffer has the first max_bytes
};

// Reads `name` relative to the directory `dir_fd` (AT_FDCWD for a plain path) into `buffer`, reusing
// its capacity. At most max_bytes are kept. Errors carry errno and name the file as `display_path`.
Result<FileRead> readFileAt(int dir_fd, const char* name, std::string& buffer, std::size_t max_bytes,
                            const std::string& display_path);

// Reads a whole file; a file larger than max_bytes is an error, not a silent truncation.
Result<std::string> readWholeFile(const std::filesystem::path& path,
                                  std::size_t max_bytes = kMaxKernelFileBytes);

// "Failed to <verb> <path>: <strerror(errno)>"
Error systemError(std::string_view verb, const std::string& path, int errno_value);

}  // namespace jmem
