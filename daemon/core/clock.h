#pragma once

#include <cstdint>

namespace jmem {

// CLOCK_REALTIME in microseconds: the time stamps the bus, the journal and jmemctl show.
std::uint64_t realtimeUsec();

}  // namespace jmem
