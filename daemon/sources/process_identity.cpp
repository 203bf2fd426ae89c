#include "sources/process_identity.h"

#include <limits>

#include "core/text.h"

namespace jmem {

std::string cmdlineFromProc(std::string_view raw) {
  raw = raw.substr(0, kMaxCmdlineBytes);
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::string joined(raw);
  for (char& c : joined) {
    if (c == '\0') c = ' ';
  }
  return sanitizeName(joined);
}

std::optional<uid_t> realUidFromStatus(std::string_view status) {
  std::string_view line;
  while (nextLine(status, line)) {
    if (!line.starts_with("Uid:")) continue;
    std::string_view rest = trim(line.substr(4));
    const auto end = rest.find_first_of(" \t");
    const auto uid = parseUnsigned(rest.substr(0, end));
    if (!uid || *uid >= std::numeric_limits<uid_t>::max()) return std::nullopt;
    return static_cast<uid_t>(*uid);
  }
  return std::nullopt;
}

}  // namespace jmem
