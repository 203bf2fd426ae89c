#include "policy/policy_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/file_reader.h"
#include "core/unique_fd.h"

namespace jmem::policy::detail {
namespace {

std::string octalMode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

Error failed(const std::string& what, int errno_value) {
  return Error{what + std::strerror(errno_value), errno_value};
}

Error wrongType(const std::string& what, mode_t found, mode_t wanted) {
  return Error{what + "not " + describeFileType(wanted) + " (" + describeFileType(found) + ")", EINVAL};
}

// Opens `path` without blocking (a FIFO without a writer, a tty without carrier) and checks what it
// turned out to be against `wanted`; the owner and mode as `refuse_untrusted` says. `what` starts
// each error ("Failed to read the file: ").
Result<OpenedPolicyFile> openChecked(const std::filesystem::path& path, mode_t wanted, bool refuse_untrusted,
                                     const std::string& what, UniqueFd& fd_out) {
  // What the path already says is refused before open(2): opening a device can have an effect (a
  // tape rewinds) and a socket cannot be opened at all. The descriptor's own type below decides.
  struct stat before {};
  if (::stat(path.c_str(), &before) == 0 && (before.st_mode & S_IFMT) != wanted) {
    return wrongType(what, before.st_mode, wanted);
  }
  fd_out.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd_out) return failed(what, errno);
  struct stat st {};
  if (::fstat(fd_out.get(), &st) != 0) return failed(what, errno);
  if ((st.st_mode & S_IFMT) != wanted) return wrongType(what, st.st_mode, wanted);
  OpenedPolicyFile opened;
  opened.untrusted = untrustedBecause(st, ::geteuid());
  if (opened.untrusted && refuse_untrusted) return Error{"refused: " + *opened.untrusted, EPERM};
  return opened;
}

}  // namespace

std::optional<std::string> untrustedBecause(const struct stat& st, uid_t euid) {
  if (st.st_uid != 0 && st.st_uid != euid) {
    return "it is owned by uid " + std::to_string(st.st_uid) + ", not by root" +
           (euid != 0 ? " or uid " + std::to_string(euid) : std::string());
  }
  if ((st.st_mode & S_IWOTH) != 0) return "it is writable by every user (mode " + octalMode(st.st_mode) + ")";
  if ((st.st_mode & S_IWGRP) != 0) return "it is writable by its group (mode " + octalMode(st.st_mode) + ")";
  return std::nullopt;
}

Result<OpenedPolicyFile> readPolicyFile(const std::filesystem::path& path, bool refuse_untrusted) {
  UniqueFd descriptor;
  const std::string what = "Failed to read the file: ";
  auto opened = openChecked(path, S_IFREG, refuse_untrusted, what, descriptor);
  if (!opened) return opened;
  // A regular file never blocks, so O_NONBLOCK changes nothing from here on.
  std::string& text = opened->text;
  text.resize(4096);
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) {
      if (used > kMaxPolicyFileBytes) break;
      text.resize(std::min(kMaxPolicyFileBytes + 1, used * 2));
    }
    const ssize_t n = ::read(descriptor.get(), text.data() + used, text.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed(what, errno);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (used > kMaxPolicyFileBytes) {
    return Error{what + "larger than " + std::to_string(kMaxPolicyFileBytes) + " bytes", EFBIG};
  }
  text.resize(used);
  return opened;
}

Result<OpenedPolicyFile> checkPolicyDirectory(const std::filesystem::path& dir, bool refuse_untrusted) {
  UniqueFd descriptor;
  return openChecked(dir, S_IFDIR, refuse_untrusted, "Failed to list the drop-in directory: ", descriptor);
}

}  // namespace jmem::policy::detail
