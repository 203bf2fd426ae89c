#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace jmem {

// Bounds what others can make jmemd log: per key (a caller's uid), at most `burst` lines per window;
// the rest are counted, and expire() sums them up in one line per key once its window ends, so that
// journald's rate limit never hides jmemd's own actions behind a flood of refusals. Pure: time is
// passed in.
class LogLimiter {
 public:
  struct Summary {
    std::string key;
    std::uint64_t suppressed = 0;
  };

  LogLimiter(std::size_t burst, std::uint64_t window_usec, std::size_t max_keys = 256)
      : burst_(burst), window_usec_(window_usec), max_keys_(max_keys) {}

  // True: log this line.
  bool admit(const std::string& key, std::uint64_t now_usec);
  // Windows that have ended, each with the lines it held back (keys with none are forgotten quietly).
  std::vector<Summary> expire(std::uint64_t now_usec);

  // Where max_keys keys are tracked, new ones share this key.
  static constexpr const char* kOthers = "others";

 private:
  struct Window {
    std::uint64_t start_usec = 0;
    std::size_t logged = 0;
    std::uint64_t suppressed = 0;
  };

  std::size_t burst_;
  std::uint64_t window_usec_;
  std::size_t max_keys_;
  std::map<std::string, Window> windows_;
};

}  // namespace jmem
