#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "core/result.h"

namespace jmem {

// The largest file writeFileAtomically backs up; a boot configuration is a few KiB.
inline constexpr std::size_t kMaxBackupBytes = 16 << 20;

// Replaces the regular file `path` by `content` so that a crash at any moment leaves the old file or
// the new one, never a mix:
// 1. the current file is copied to backup_path, byte for byte, with its mode and owner: through a
//    temporary file in the backup's directory that is fsync'd, renamed over backup_path, and the
//    directory fsync'd (an older backup is replaced only by a complete one);
// 2. `content` is written to a temporary file in path's directory, given the original's mode and owner
//    (the owner needs privilege unless it is the caller's), and fsync'd;
// 3. the temporary file is renamed over `path` and the directory fsync'd.
// Errors are values in the systemd voice: "Failed to write /boot/extlinux/extlinux.conf: No space left
// on device", "Failed to back up <path> to <backup_path>: Not a directory". On any error before the
// rename the original is untouched and no temporary file is left behind; only a failed fsync of the
// directory after the rename leaves the new content in place (the error says so). A symbolic link at
// `path` is refused (the rename would replace the link, not its target). Extended attributes, ACLs and
// SELinux labels are not carried over.
Status writeFileAtomically(const std::filesystem::path& path, std::string_view content,
                           const std::filesystem::path& backup_path);

// Steps 2 and 3 alone, without a backup, for a file that may not exist yet (a published report): the
// temporary file is created with O_CREAT|O_EXCL next to `path`, owned by the caller, given `mode` whatever
// the umask, and fsync'd before the rename. On an error before the rename the previous file, if any, is
// untouched and no temporary file is left behind. A symbolic link at `path` is replaced, not followed.
Status replaceFileAtomically(const std::filesystem::path& path, std::string_view content, mode_t mode);

}  // namespace jmem
