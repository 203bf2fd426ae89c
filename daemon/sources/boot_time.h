#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace jmem {

// When this boot began, in seconds since the epoch: the "btime" line of /proc/stat. Errors name what
// is missing or malformed.
Result<std::uint64_t> parseBootTime(std::string_view proc_stat);

// Reads proc_root/stat.
Result<std::uint64_t> readBootTime(const std::filesystem::path& proc_root);

// This boot's identity, /proc/sys/kernel/random/boot_id: 36 characters of lower-case hex and dashes.
Result<std::string> parseBootId(std::string_view boot_id);

// Reads proc_root/sys/kernel/random/boot_id.
Result<std::string> readBootId(const std::filesystem::path& proc_root);

}  // namespace jmem
