#include "core/log_limiter.h"

namespace jmem {

bool LogLimiter::admit(const std::string& key, std::uint64_t now_usec) {
  auto found = windows_.find(key);
  if (found == windows_.end()) {
    const std::string& slot = windows_.size() < max_keys_ ? key : std::string(kOthers);
    found = windows_.try_emplace(slot, Window{now_usec, 0, 0}).first;
  }
  Window& w = found->second;
  if (w.logged < burst_) {
    ++w.logged;
    return true;
  }
  ++w.suppressed;
  return false;
}

std::vector<LogLimiter::Summary> LogLimiter::expire(std::uint64_t now_usec) {
  std::vector<Summary> out;
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now_usec - it->second.start_usec < window_usec_) {
      ++it;
      continue;
    }
    if (it->second.suppressed) out.push_back(Summary{it->first, it->second.suppressed});
    it = windows_.erase(it);
  }
  return out;
}

}  // namespace jmem
