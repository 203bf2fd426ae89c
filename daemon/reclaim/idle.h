#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace jmem::reclaim {

// A process's CPU time and its start, from /proc/PID/stat (in clock ticks): the start tells a
// reused PID from the process that had it.
struct CpuReading {
  pid_t pid = 0;
  std::uint64_t start_ticks = 0;
  std::uint64_t cpu_ticks = 0;  // user + system
};

// Pure: utime + stime (fields 14 and 15) and starttime (22) of a /proc/PID/stat line; the name in
// parentheses may hold spaces and parentheses, so fields are counted after its last ')'.
std::optional<CpuReading> parseStatCpu(pid_t pid, std::string_view stat);

struct IdleProcess {
  pid_t pid = 0;
  std::uint64_t idle_usec = 0;  // how long it has used no CPU
};

// Which heavy processes used no CPU for a while. Only the processes it is given each tick are
// followed (those over the policy's threshold), so it holds nothing for the rest: no history beyond
// what the window needs.
class IdleTracker {
 public:
  void update(const std::vector<CpuReading>& heavy, std::uint64_t now_usec);
  // Those idle for at least `window_usec`, by PID.
  std::vector<IdleProcess> idleFor(std::uint64_t window_usec, std::uint64_t now_usec) const;

 private:
  struct Seen {
    std::uint64_t start_ticks = 0;
    std::uint64_t cpu_ticks = 0;
    std::uint64_t still_since_usec = 0;
  };
  std::unordered_map<pid_t, Seen> seen_;
};

}  // namespace jmem::reclaim
