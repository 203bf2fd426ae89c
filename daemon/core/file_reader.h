#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "core/result.h"

namespace jmem {

// Upper bounds on what a reader accepts from a kernel file. Everything under /proc is untrusted.
inline constexpr std::size_t kMaxKernelFileBytes = 1 << 20;

// Whether the last component of a name may be a symbolic link. Kernel files under /proc, debugfs
// and sysfs are never links: in an injected tree a link there points somewhere it has no business.
enum class FinalSymlink { kFollow, kRefuse };

struct FileRead {
  bool truncated = false;  // the file held more than max_bytes; buffer has the first max_bytes
};

// Reads `name` relative to the directory `dir_fd` (AT_FDCWD for a plain path) into `buffer`, reusing
// its capacity. At most max_bytes are kept. Errors carry errno and name the file as `display_path`.
// The file is opened read-only and non-blocking, and only a regular file is read: a FIFO, socket,
// directory or device node is an error (EINVAL) that says what it is, never a read that can hang.
Result<FileRead> readFileAt(int dir_fd, const char* name, std::string& buffer, std::size_t max_bytes,
                            const std::string& display_path, FinalSymlink symlink = FinalSymlink::kFollow);

// Reads a whole file; a file larger than max_bytes is an error, not a silent truncation.
Result<std::string> readWholeFile(const std::filesystem::path& path,
                                  std::size_t max_bytes = kMaxKernelFileBytes,
                                  FinalSymlink symlink = FinalSymlink::kFollow);

// A kernel file under /proc, debugfs or sysfs (real or injected): readWholeFile refusing a final symlink.
Result<std::string> readKernelFile(const std::filesystem::path& path,
                                   std::size_t max_bytes = kMaxKernelFileBytes);

// "a FIFO", "a socket", "a directory", ... for a st_mode that is not a regular file's.
const char* describeFileType(unsigned mode);

// Checks that an open descriptor is a regular file; the error names `display_path` and what it is.
Status requireRegularFile(int fd, const std::string& display_path);

// "Failed to <verb> <path>: <strerror(errno)>"
Error systemError(std::string_view verb, const std::string& path, int errno_value);

}  // namespace jmem
