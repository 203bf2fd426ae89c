#include "core/file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/file_reader.h"
#include "core/unique_fd.h"

namespace jmem {

Status writeAll(int fd, std::string_view data, const std::string& display_path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return systemError("write", display_path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

Status syncFd(int fd, const std::string& display_path) {
  if (::fsync(fd) != 0) return systemError("sync", display_path, errno);
  return ok();
}

Status syncDirectory(const std::filesystem::path& dir) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return systemError("open", dir.string(), errno);
  return syncFd(fd.get(), dir.string());
}

}  // namespace jmem
