#pragma once

#include <cstdint>
#include <string>

namespace jmem {

// CLOCK_REALTIME in microseconds: the time stamps the bus, the journal and jmemctl show.
std::uint64_t realtimeUsec();
// A CLOCK_REALTIME time in microseconds as the local time of day: "14:03:07".
std::string clockTime(std::uint64_t usec);
// The same as a local date and time: "2026-12-04 14:03:07".
std::string localDateTime(std::uint64_t usec);

}  // namespace jmem
