#include "state/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "core/file_reader.h"

namespace jmem {
namespace {

std::string octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// A directory above the state directory: whoever can rename entries in it could swap the state
// directory for their own. A sticky directory lets only an entry's owner rename it.
std::string whyUntrustedAbove(const struct stat& info, uid_t euid) {
  if (!S_ISDIR(info.st_mode)) return std::string("it is ") + describeFileType(info.st_mode);
  if (info.st_uid != 0 && info.st_uid != euid)
    return "it is owned by uid " + std::to_string(info.st_uid) + ", neither root nor jmemd's uid " +
           std::to_string(euid);
  if ((info.st_mode & 022) != 0 && (info.st_mode & S_ISVTX) == 0)
    return "it is writable by its group or by others (mode " + octal(info.st_mode) + ")";
  return {};
}

Error refusedDirectory(const std::string& display, const std::string& why, int errno_value = EPERM) {
  return Error{"Refusing to use " + display + " as jmemd's state directory: " + why, errno_value};
}

// Opens (creating it 0700 when missing) the directory `name` in `parent_fd` without following a link;
// `why` is filled when what is there is not a directory jmemd may trust.
Result<UniqueFd> openCheckedDirectory(int parent_fd, const std::string& name, const std::string& display,
                                      std::string& why) {
  if (::mkdirat(parent_fd, name.c_str(), 0700) == 0) {
    if (::fsync(parent_fd) != 0) return systemError("sync the directory above", display, errno);
  } else if (errno != EEXIST) {
    return systemError("create", display, errno);
  }
  UniqueFd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    const int e = errno;
    struct stat info {};
    if ((e == ELOOP || e == ENOTDIR) && ::fstatat(parent_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0) {
      why = std::string("it is ") + describeFileType(info.st_mode);
      return UniqueFd();
    }
    return systemError("open", display, e);
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return systemError("stat", display, errno);
  why = whyUntrusted(info.st_mode, info.st_uid, info.st_nlink, ::geteuid(), true);
  return fd;
}

}  // namespace

std::string whyUntrusted(mode_t mode, uid_t owner, nlink_t links, uid_t euid, bool directory) {
  const bool right_type = directory ? S_ISDIR(mode) : S_ISREG(mode);
  if (!right_type) return std::string("it is ") + describeFileType(mode);
  if (owner != euid)
    return "it is owned by uid " + std::to_string(owner) + ", not by jmemd's uid " + std::to_string(euid);
  if ((mode & 022) != 0) return "it is writable by its group or by others (mode " + octal(mode) + ")";
  if (!directory && links > 1) return "it has " + std::to_string(links) + " hard links";
  return {};
}

Result<UniqueFd> openStateDirectory(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(dir, error).lexically_normal();
  if (error) return systemError("resolve", dir.string(), error.value());
  if (!absolute.has_filename()) absolute = absolute.parent_path();  // a trailing '/'
  const std::string display = absolute.string();
  const std::string name = absolute.filename().string();
  if (name.empty() || name == "..") return refusedDirectory(display, "it is no directory of its own");

  // The directories above, as they really are (links resolved once), walked from / without following
  // any link: what is checked is what is then held open.
  const std::filesystem::path above = std::filesystem::weakly_canonical(absolute.parent_path(), error);
  if (error) return systemError("resolve", absolute.parent_path().string(), error.value());
  const uid_t euid = ::geteuid();
  UniqueFd parent(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) return systemError("open", "/", errno);
  std::filesystem::path walked = "/";
  const std::filesystem::path below_root = above.relative_path();
  for (auto part = below_root.begin();; ++part) {
    // Checked from the top down, so that the first directory others control is the one named.
    struct stat info {};
    if (::fstat(parent.get(), &info) != 0) return systemError("stat", walked.string(), errno);
    if (const auto why = whyUntrustedAbove(info, euid); !why.empty())
      return refusedDirectory(display, walked.string() + " above it: " + why);
    if (part == below_root.end()) break;
    walked /= *part;
    // A missing directory above is made as mkdir -p would, but never writable by others.
    if (::mkdirat(parent.get(), part->c_str(), 0755) != 0 && errno != EEXIST)
      return systemError("create", walked.string(), errno);
    UniqueFd next(::openat(parent.get(), part->c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return refusedDirectory(display, systemError("open", walked.string(), errno).message);
    parent = std::move(next);
  }

  std::string why;
  auto fd = openCheckedDirectory(parent.get(), name, display, why);
  if (!fd) return fd.error();
  if (!why.empty()) return refusedDirectory(display, why);
  return fd;
}

Result<UniqueFd> openPrivateDirectoryAt(int parent_fd, const std::string& name, const std::string& display) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    return Error{"Refusing to use " + display + ": not a plain name", EINVAL};
  std::string why;
  auto fd = openCheckedDirectory(parent_fd, name, display, why);
  if (!fd) return fd.error();
  if (!why.empty()) return Error{"Refusing to use " + display + ": " + why, EPERM};
  return fd;
}

Result<UniqueFd> openPrivateFileAt(int dir_fd, const std::string& name, int flags, const std::string& display,
                                   bool create) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    return Error{"Refusing to open " + display + ": not a plain name", EINVAL};
  const auto refuse = [&](const std::string& why) {
    return Error{"Refusing to open " + display + ": " + why, EPERM};
  };
  const uid_t euid = ::geteuid();
  // Looked at before it is opened: opening a FIFO or a device can act on it.
  struct stat before {};
  if (::fstatat(dir_fd, name.c_str(), &before, AT_SYMLINK_NOFOLLOW) == 0) {
    if (const auto why = whyUntrusted(before.st_mode, before.st_uid, before.st_nlink, euid, false);
        !why.empty())
      return refuse(why);
  } else if (errno != ENOENT || !create) {
    return systemError("open", display, errno);
  } else {
    UniqueFd made(
        ::openat(dir_fd, name.c_str(), flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600));
    if (!made) return systemError("create", display, errno);
    if (::fsync(dir_fd) != 0) return systemError("sync the directory of", display, errno);
    return made;
  }

  UniqueFd fd(::openat(dir_fd, name.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    if (errno == ELOOP) return refuse("it is a symbolic link");
    return systemError("open", display, errno);
  }
  struct stat after {};
  if (::fstat(fd.get(), &after) != 0) return systemError("stat", display, errno);
  if (const auto why = whyUntrusted(after.st_mode, after.st_uid, after.st_nlink, euid, false); !why.empty())
    return refuse(why);
  if (after.st_dev != before.st_dev || after.st_ino != before.st_ino)
    return refuse("it changed while opened");
  // Regular files never block; the flag goes so that nothing later reads it as a promise.
  const int status = ::fcntl(fd.get(), F_GETFL);
  if (status < 0 || ::fcntl(fd.get(), F_SETFL, status & ~O_NONBLOCK) != 0)
    return systemError("configure", display, errno);
  return fd;
}

Result<std::string> readPrivateFileAt(int dir_fd, const std::string& name, std::size_t max_bytes,
                                      const std::string& display) {
  auto fd = openPrivateFileAt(dir_fd, name, O_RDONLY, display);
  if (!fd) return fd.error();
  std::string content;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd->get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return systemError("read", display, errno);
    }
    if (n == 0) return content;
    if (content.size() + static_cast<std::size_t>(n) > max_bytes)
      return Error{
          "Failed to read " + display + ": larger than its limit of " + std::to_string(max_bytes) + " bytes",
          EFBIG};
    content.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace jmem
