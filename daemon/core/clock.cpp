#include "core/clock.h"

#include <time.h>

namespace jmem {

std::uint64_t realtimeUsec() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000u + static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

}  // namespace jmem
