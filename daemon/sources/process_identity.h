#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace jmem {

inline constexpr std::size_t kMaxCmdlineBytes = 4096;

// The command line from /proc/PID/cmdline: NUL separators become spaces, bounded, sanitized.
std::string cmdlineFromProc(std::string_view raw);

// The real uid from the "Uid:" line of /proc/PID/status.
std::optional<uid_t> realUidFromStatus(std::string_view status);

}  // namespace jmem
