// Fuzzes what identifies a process: cmdlineFromProc() over /proc/PID/cmdline, realUidFromStatus() over
// /proc/PID/status, and sanitizeName(), whose output ends up in logs, JSON and terminals.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/text.h"
#include "fuzz_checks.h"
#include "sources/process_identity.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using jmem::fuzz::isCleanText;
  using jmem::fuzz::require;
  const std::string_view input = jmem::fuzz::asText(data, size);

  const std::string name = jmem::sanitizeName(input);
  require(isCleanText(name));
  require(name.size() <= input.size());
  require(jmem::sanitizeName(name) == name);       // idempotent
  if (isCleanText(input)) require(name == input);  // clean text passes through untouched

  const std::string cmdline = jmem::cmdlineFromProc(input);
  require(isCleanText(cmdline));
  require(cmdline.size() <= jmem::kMaxCmdlineBytes);

  if (const auto uid = jmem::realUidFromStatus(input)) {
    require(*uid != static_cast<uid_t>(-1));  // -1 means "no uid" to the kernel
    require(input.starts_with("Uid:") || input.find("\nUid:") != std::string_view::npos);
    require(input.find(std::to_string(*uid)) != std::string_view::npos);
  }
  return 0;
}
