#include "ctl/user_names.h"

#include <pwd.h>

#include <map>
#include <vector>

#include "core/text.h"

namespace jmem::ctl {

std::string userName(std::uint32_t uid) {
  static std::map<std::uint32_t, std::string> known;
  if (const auto found = known.find(uid); found != known.end()) return found->second;
  passwd entry{};
  passwd* result = nullptr;
  std::vector<char> buffer(16384);
  std::string name = std::to_string(uid);
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &result) == 0 && result && result->pw_name &&
      *result->pw_name)
    name = terminalSafe(result->pw_name);
  return known[uid] = name;
}

}  // namespace jmem::ctl
