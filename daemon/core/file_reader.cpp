#include "core/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/unique_fd.h"

namespace jmem {
namespace {

Error notRegular(const std::string& display_path, unsigned mode) {
  return Error{"Failed to read " + display_path + ": not a regular file (" + describeFileType(mode) + ")",
               EINVAL};
}

// open(2) answers ENXIO for a socket and ELOOP for a refused link: say what is there instead.
Error openError(int dir_fd, const char* name, const std::string& display_path, int errno_value) {
  struct stat st {};
  if ((errno_value == ENXIO || errno_value == ELOOP) &&
      ::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
    return Error{
        "Failed to open " + display_path + ": not a regular file (" + describeFileType(st.st_mode) + ")",
        errno_value};
  }
  return systemError("open", display_path, errno_value);
}

}  // namespace

Error systemError(std::string_view verb, const std::string& path, int errno_value) {
  std::string message = "Failed to ";
  message.append(verb).append(" ").append(path).append(": ").append(std::strerror(errno_value));
  return Error{std::move(message), errno_value};
}

const char* describeFileType(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "a regular file";
    case S_IFDIR:
      return "a directory";
    case S_IFIFO:
      return "a FIFO";
    case S_IFSOCK:
      return "a socket";
    case S_IFCHR:
      return "a character device";
    case S_IFBLK:
      return "a block device";
    case S_IFLNK:
      return "a symbolic link";
    default:
      return "of an unknown type";
  }
}

Status requireRegularFile(int fd, const std::string& display_path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return systemError("stat", display_path, errno);
  if (!S_ISREG(st.st_mode)) return notRegular(display_path, st.st_mode);
  return ok();
}

Result<FileRead> readFileAt(int dir_fd, const char* name, std::string& buffer, std::size_t max_bytes,
                            const std::string& display_path, FinalSymlink symlink) {
  buffer.clear();
  // Non-blocking: opening a FIFO must not wait for a writer, nor a device for its carrier. Procfs,
  // debugfs and sysfs files are regular, so what is not is refused before the first read.
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  if (symlink == FinalSymlink::kRefuse) flags |= O_NOFOLLOW;
  const UniqueFd fd(::openat(dir_fd, name, flags));
  if (!fd) return openError(dir_fd, name, display_path, errno);
  if (auto regular = requireRegularFile(fd.get(), display_path); !regular) return regular.error();

  // Read one byte past the bound to tell "exactly max_bytes" from "more than max_bytes".
  const std::size_t limit = max_bytes + 1;
  buffer.resize(std::min(limit, std::max<std::size_t>(buffer.capacity(), 4096)));
  std::size_t used = 0;
  for (;;) {
    if (used == buffer.size()) {
      if (used == limit) break;
      buffer.resize(std::min(limit, used * 2));
    }
    const ssize_t n = ::read(fd.get(), buffer.data() + used, buffer.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      buffer.clear();
      return systemError("read", display_path, errno);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  FileRead info;
  info.truncated = used > max_bytes;
  buffer.resize(info.truncated ? max_bytes : used);
  return info;
}

Result<std::string> readWholeFile(const std::filesystem::path& path, std::size_t max_bytes,
                                  FinalSymlink symlink) {
  std::string buffer;
  auto read = readFileAt(AT_FDCWD, path.c_str(), buffer, max_bytes, path.string(), symlink);
  if (!read) return read.error();
  if (read->truncated)
    return Error{"Failed to read " + path.string() + ": larger than " + std::to_string(max_bytes) + " bytes"};
  return buffer;
}

Result<std::string> readKernelFile(const std::filesystem::path& path, std::size_t max_bytes) {
  return readWholeFile(path, max_bytes, FinalSymlink::kRefuse);
}

}  // namespace jmem
