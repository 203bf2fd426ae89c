#include "core/clock.h"

#include <time.h>

#include <ctime>

namespace jmem {

std::uint64_t realtimeUsec() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000u + static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

namespace {

std::string localTime(std::uint64_t usec, const char* format) {
  const time_t seconds = static_cast<time_t>(usec / 1000000);
  tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, format, &local);
  return text;
}

}  // namespace

std::string clockTime(std::uint64_t usec) {
  return localTime(usec, "%H:%M:%S");
}

std::string localDateTime(std::uint64_t usec) {
  return localTime(usec, "%Y-%m-%d %H:%M:%S");
}

}  // namespace jmem
