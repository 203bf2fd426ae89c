#pragma once

// Internal to the policy library: opening the files a policy comes from the way jmemd may trust
// them. A policy decides which units are masked and stopped, so like sshd's StrictModes a file that
// another user could have written is refused rather than obeyed.

#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "core/result.h"

namespace jmem::policy::detail {

inline constexpr std::size_t kMaxPolicyFileBytes = 1 << 20;

// Why a file or directory with this owner and mode may not hold a policy for a process running as
// `euid`, or nullopt when it may: owned by root or by `euid` itself, and writable by its owner only.
// Pure.
std::optional<std::string> untrustedBecause(const struct stat& st, uid_t euid);

// What reading or listing found: the text (or nothing, for a directory), and why the file could
// not be trusted when the caller only wants to hear it (`refuse_untrusted` false).
struct OpenedPolicyFile {
  std::string text;
  std::optional<std::string> untrusted;
};

// The text of one policy file. It is opened without blocking and without becoming a controlling
// terminal, then judged by what the descriptor is: anything but a regular file (a FIFO, a device, a
// directory) is refused by type before a byte is read, and so is a file above kMaxPolicyFileBytes.
// The owner and mode are checked on the same descriptor; with `refuse_untrusted` an untrusted file
// is an error, otherwise it is read and the reason returned with it. Errors name no file: the
// caller's problem does.
Result<OpenedPolicyFile> readPolicyFile(const std::filesystem::path& path, bool refuse_untrusted);

// The same checks for the drop-in directory: a directory, owned and writable as a policy file.
Result<OpenedPolicyFile> checkPolicyDirectory(const std::filesystem::path& dir, bool refuse_untrusted);

}  // namespace jmem::policy::detail
