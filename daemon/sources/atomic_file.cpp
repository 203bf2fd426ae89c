#include "sources/atomic_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/file_reader.h"
#include "core/file_writer.h"
#include "core/unique_fd.h"

namespace jmem {
namespace {

Error failure(const std::string& what, int errno_value) {
  return Error{what + ": " + std::strerror(errno_value), errno_value};
}

Result<std::string> readAll(int fd, const std::string& display_path) {
  std::string content;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return systemError("read", display_path, errno);
    }
    if (n == 0) return content;
    if (content.size() + static_cast<std::size_t>(n) > kMaxBackupBytes) {
      return Error{"Failed to back up " + display_path + ": larger than " + std::to_string(kMaxBackupBytes) +
                   " bytes"};
    }
    content.append(buffer, static_cast<std::size_t>(n));
  }
}

// Writes `content` to a new file next to `target` with `mode` and the owner of `owner_like` (null: the
// caller), and renames it over `target`. `what` begins every error message.
Status replaceFile(const std::filesystem::path& target, std::string_view content, mode_t mode,
                   const struct stat* owner_like, const std::string& what) {
  const std::filesystem::path directory = target.has_parent_path() ? target.parent_path() : ".";
  std::string temporary = (directory / ("." + target.filename().string() + ".jmem-XXXXXX")).string();
  UniqueFd file(::mkostemp(temporary.data(), O_CLOEXEC));
  if (!file) return failure(what, errno);
  const auto abandon = [&](int errno_value) {
    ::unlink(temporary.c_str());
    return failure(what, errno_value);
  };

  if (auto written = writeAll(file.get(), content, temporary); !written) {
    return abandon(written.error().errno_value);
  }
  struct stat created {};
  if (::fstat(file.get(), &created) < 0) return abandon(errno);
  // The owner first: chown clears the set-user-ID and set-group-ID bits that fchmod then restores.
  if (owner_like != nullptr &&
      (created.st_uid != owner_like->st_uid || created.st_gid != owner_like->st_gid) &&
      ::fchown(file.get(), owner_like->st_uid, owner_like->st_gid) < 0) {
    return abandon(errno);
  }
  // fchmod, unlike open's mode, is not masked by the umask.
  if (::fchmod(file.get(), mode & 07777) < 0) return abandon(errno);
  if (::fsync(file.get()) < 0) return abandon(errno);
  // close(2) reports write-back errors on some file systems, so they count.
  if (const int e = file.close()) return abandon(e);

  UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return abandon(errno);
  if (::rename(temporary.c_str(), target.c_str()) < 0) return abandon(errno);
  if (::fsync(dir.get()) < 0) {
    const int e = errno;
    return Error{"Failed to sync " + directory.string() + " after replacing " + target.string() +
                     " (the new content is in place but may not survive a crash): " + std::strerror(e),
                 e};
  }
  return ok();
}

}  // namespace

Status writeFileAtomically(const std::filesystem::path& path, std::string_view content,
                           const std::filesystem::path& backup_path) {
  const std::string display = path.string();
  UniqueFd original(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW));
  if (!original) {
    const int e = errno;
    if (e == ELOOP) return Error{"Refusing to replace " + display + ": it is a symbolic link", e};
    return systemError("open", display, e);
  }
  struct stat info {};
  if (::fstat(original.get(), &info) < 0) return systemError("stat", display, errno);
  if (!S_ISREG(info.st_mode)) return Error{"Refusing to replace " + display + ": not a regular file"};

  struct stat backup_info {};
  if (::stat(backup_path.c_str(), &backup_info) == 0 && backup_info.st_dev == info.st_dev &&
      backup_info.st_ino == info.st_ino) {
    return Error{"Refusing to back up " + display + " onto itself (" + backup_path.string() + ")"};
  }

  auto old_content = readAll(original.get(), display);
  if (!old_content) return old_content.error();
  auto backed_up = replaceFile(backup_path, *old_content, info.st_mode, &info,
                               "Failed to back up " + display + " to " + backup_path.string());
  if (!backed_up) return backed_up.error();
  return replaceFile(path, content, info.st_mode, &info, "Failed to write " + display);
}

Status replaceFileAtomically(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  return replaceFile(path, content, mode, nullptr, "Failed to write " + path.string());
}

}  // namespace jmem
