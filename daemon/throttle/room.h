#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "throttle/controller.h"

// Headroom: how much a new workload can take now without crossing the policy's low watermark, and
// how much more the throttle ladder could give back on the workloads the policy lets it act on.
namespace jmem::throttle {

// What the ladder left to one unit could give back.
struct RoomUnit {
  std::string unit;
  std::string rung;  // the rung that gives it: "throttle" (a squeeze to its MemoryHigh) or "stop"
  std::uint64_t bytes = 0;
  bool operator==(const RoomUnit&) const = default;
};

struct Room {
  std::uint64_t mem_available_bytes = 0;
  std::uint64_t low_watermark_bytes = 0;  // pressure.available_low_mib
  std::uint64_t headroom_bytes = 0;       // MemAvailable above the low watermark; 0 at or below it
  std::uint64_t throttle_bytes = 0;       // what units[] could give, together
  std::vector<RoomUnit> units;            // in the order the controller would climb them
  bool operator==(const Room&) const = default;
};

// MemAvailable above the policy's low watermark (available_low_mib); 0 at or below it. jmemd's
// HeadroomBytes each tick, and Room::headroom_bytes.
std::uint64_t headroomAboveLowBytes(std::uint64_t mem_available_bytes,
                                    const policy::PressurePolicy& pressure);

// Free swap, shared out among the units in the order they would be squeezed, and what RAM a byte moved
// there gives back: all of it on disk, what compression saves in zram.
struct SwapBudget {
  std::uint64_t free_bytes = 0;
  double saved_per_byte = 0;
  static SwapBudget of(const Snapshot& snapshot);
};

// What a throttle of `unit` gives back: what its MemoryHigh squeezes out of its pages (not NvMap's) and
// the kernel can move: file pages whole, anonymous ones into `swap`, which they use up, at its saving.
std::uint64_t throttleYield(const SnapshotUnit& unit, const policy::Workload& workload, SwapBudget& swap);

// Pure. A stop left on a unit's ladder gives back its whole cost (NvMap included). A throttle left
// gives what its MemoryHigh squeezes out and the kernel can move: file pages, and anonymous ones only
// into free swap, of zram only what compression saves. A freeze gives nothing: its pages stay.
Room roomOf(const Snapshot& snapshot, const ControllerState& state, const policy::Policy& policy,
            const Capabilities& capabilities);

}  // namespace jmem::throttle
