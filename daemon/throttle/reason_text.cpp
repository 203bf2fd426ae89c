#include "throttle/reason_text.h"

#include <cstdio>

namespace jmem::throttle {

std::string percentText(double percent) {
  char text[32];
  std::snprintf(text, sizeof text, "%g%%", percent);
  return text;
}

std::string secondsText(std::chrono::steady_clock::duration duration) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s",
                static_cast<double>(duration_cast<milliseconds>(duration).count()) / 1000.0);
  return text;
}

}  // namespace jmem::throttle
