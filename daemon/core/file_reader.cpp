#include "core/file_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace jmem {

Error systemError(std::string_view verb, const std::string& path, int errno_value) {
  std::string message = "Failed to ";
  message.append(verb).append(" ").append(path).append(": ").append(std::strerror(errno_value));
  return Error{std::move(message), errno_value};
}

Result<FileRead> readFileAt(int dir_fd, const char* name, std::string& buffer, std::size_t max_bytes,
                            const std::string& display_path) {
  buffer.clear();
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return systemError("open", display_path, errno);

  // Read one byte past the bound to tell "exactly max_bytes" from "more than max_bytes".
  const std::size_t limit = max_bytes + 1;
  buffer.resize(std::min(limit, std::max<std::size_t>(buffer.capacity(), 4096)));
  std::size_t used = 0;
  for (;;) {
    if (used == buffer.size()) {
      if (used == limit) break;
      buffer.resize(std::min(limit, used * 2));
    }
    const ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      buffer.clear();
      return systemError("read", display_path, saved);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  FileRead info;
  info.truncated = used > max_bytes;
  buffer.resize(info.truncated ? max_bytes : used);
  return info;
}

Result<std::string> readWholeFile(const std::filesystem::path& path, std::size_t max_bytes) {
  std::string buffer;
  auto read = readFileAt(AT_FDCWD, path.c_str(), buffer, max_bytes, path.string());
  if (!read) return read.error();
  if (read->truncated)
    return Error{"Failed to read " + path.string() + ": larger than " + std::to_string(max_bytes) + " bytes"};
  return buffer;
}

}  // namespace jmem
