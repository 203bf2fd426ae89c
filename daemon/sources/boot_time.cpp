#include "sources/boot_time.h"

#include "core/file_reader.h"
#include "core/text.h"

namespace jmem {

// /proc/stat grows with the number of CPUs; this bounds a corrupt one, not a real one.
constexpr std::size_t kMaxProcStatBytes = 4 * 1024 * 1024;

Result<std::uint64_t> parseBootTime(std::string_view proc_stat) {
  constexpr std::string_view kKey = "btime ";
  std::size_t start = 0;
  while (start < proc_stat.size()) {
    const std::size_t end = std::min(proc_stat.find('\n', start), proc_stat.size());
    const std::string_view line = proc_stat.substr(start, end - start);
    if (line.substr(0, kKey.size()) == kKey) {
      const auto seconds = parseUnsigned(line.substr(kKey.size()));
      if (!seconds) return Error{"a malformed btime line in /proc/stat: \"" + terminalSafe(line) + "\""};
      return *seconds;
    }
    start = end + 1;
  }
  return Error{"no btime line in /proc/stat"};
}

Result<std::uint64_t> readBootTime(const std::filesystem::path& proc_root) {
  auto text = readKernelFile(proc_root / "stat", kMaxProcStatBytes);
  if (!text) return text.error();
  return parseBootTime(*text);
}

Result<std::string> parseBootId(std::string_view boot_id) {
  while (!boot_id.empty() && (boot_id.back() == '\n' || boot_id.back() == ' ')) boot_id.remove_suffix(1);
  const bool plausible =
      boot_id.size() == 36 && boot_id.find_first_not_of("0123456789abcdef-") == std::string_view::npos;
  if (!plausible) return Error{"a malformed boot_id: \"" + terminalSafe(boot_id) + "\""};
  return std::string(boot_id);
}

Result<std::string> readBootId(const std::filesystem::path& proc_root) {
  auto text = readKernelFile(proc_root / "sys" / "kernel" / "random" / "boot_id", 64);
  if (!text) return text.error();
  return parseBootId(*text);
}

}  // namespace jmem
