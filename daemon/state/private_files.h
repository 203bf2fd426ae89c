#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>

#include "core/result.h"
#include "core/unique_fd.h"

namespace jmem {

// jmemd's own files (the state directory, its journals and backups) are trusted only after checks,
// as sshd's StrictModes trusts a user's files: whoever else can write there could make jmemd, as
// root, follow a link, block on a FIFO or act on a forged record.
//
// The state directory: created 0700 when missing; otherwise it must be a real directory (not a
// symbolic link) owned by jmemd's effective user and writable by nobody else. Each directory above it
// must be owned by root or that user and be writable by nobody else unless it is sticky (/tmp): there
// only an entry's owner may rename it. The path is resolved once and the directory held open: the
// errors say "Refusing to use <dir> as jmemd's state directory: ...".
Result<UniqueFd> openStateDirectory(const std::filesystem::path& dir);

// A directory inside one already checked (`parent_fd`), by one name: created 0700 when missing,
// otherwise checked as the state directory is. `display` names it in errors.
Result<UniqueFd> openPrivateDirectoryAt(int parent_fd, const std::string& name, const std::string& display);

// A file inside a checked directory, by one name, never following a symbolic link and never blocking:
// it must be a regular file owned by jmemd's effective user, writable by nobody else, with no other
// hard link. `flags` are open(2)'s access flags (O_RDONLY, O_RDWR | O_APPEND, ...); with `create`
// a missing file is made with mode 0600. Errors say "Refusing to open <display>: it is a FIFO".
Result<UniqueFd> openPrivateFileAt(int dir_fd, const std::string& name, int flags, const std::string& display,
                                   bool create = false);

// The whole content of a private file (as openPrivateFileAt checks it), at most max_bytes.
Result<std::string> readPrivateFileAt(int dir_fd, const std::string& name, std::size_t max_bytes,
                                      const std::string& display);

// Why a file or directory with this status cannot be trusted by a process of `euid`, or "" when it
// can. Pure, for the checks above and their tests.
std::string whyUntrusted(mode_t mode, uid_t owner, nlink_t links, uid_t euid, bool directory);

}  // namespace jmem
