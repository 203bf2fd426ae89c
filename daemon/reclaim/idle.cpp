#include "reclaim/idle.h"

#include <algorithm>
#include <charconv>

namespace jmem::reclaim {
namespace {

// The field after `index` spaces from the start of `rest`, as a number.
std::optional<std::uint64_t> fieldAt(std::string_view rest, std::size_t index) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < index; ++i) {
    at = rest.find(' ', at);
    if (at == std::string_view::npos) return std::nullopt;
    ++at;
  }
  const std::size_t end = std::min(rest.find(' ', at), rest.size());
  std::uint64_t value = 0;
  const auto [ptr, error] = std::from_chars(rest.data() + at, rest.data() + end, value);
  if (error != std::errc() || ptr != rest.data() + end) return std::nullopt;
  return value;
}

}  // namespace

std::optional<CpuReading> parseStatCpu(pid_t pid, std::string_view stat) {
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos || close + 2 > stat.size()) return std::nullopt;
  // Field 3 (the state) is the first after ") ": utime is 11 fields on, stime 12, starttime 19.
  const std::string_view rest = stat.substr(close + 2);
  const auto utime = fieldAt(rest, 11);
  const auto stime = fieldAt(rest, 12);
  const auto start = fieldAt(rest, 19);
  if (!utime || !stime || !start) return std::nullopt;
  return CpuReading{pid, *start, *utime + *stime};
}

void IdleTracker::update(const std::vector<CpuReading>& heavy, std::uint64_t now_usec) {
  std::unordered_map<pid_t, Seen> next;
  next.reserve(heavy.size());
  for (const CpuReading& r : heavy) {
    const auto it = seen_.find(r.pid);
    const bool still =
        it != seen_.end() && it->second.start_ticks == r.start_ticks && it->second.cpu_ticks == r.cpu_ticks;
    next[r.pid] = {r.start_ticks, r.cpu_ticks, still ? it->second.still_since_usec : now_usec};
  }
  seen_ = std::move(next);
}

std::vector<IdleProcess> IdleTracker::idleFor(std::uint64_t window_usec, std::uint64_t now_usec) const {
  std::vector<IdleProcess> idle;
  for (const auto& [pid, seen] : seen_) {
    const std::uint64_t still = now_usec > seen.still_since_usec ? now_usec - seen.still_since_usec : 0;
    if (still >= window_usec) idle.push_back({pid, still});
  }
  std::sort(idle.begin(), idle.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
  return idle;
}

}  // namespace jmem::reclaim
