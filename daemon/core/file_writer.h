#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace jmem {

// Writes all of `data` to `fd`, again after a short write or EINTR. Errors name `display_path`.
Status writeAll(int fd, std::string_view data, const std::string& display_path);

// fsync(2) on an open file or directory. Errors name `display_path`.
Status syncFd(int fd, const std::string& display_path);

// fsync(2) on a directory, so that an entry made or renamed in it survives a crash.
Status syncDirectory(const std::filesystem::path& dir);

}  // namespace jmem
