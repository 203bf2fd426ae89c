#include "throttle/room.h"

#include <algorithm>

#include "throttle/rung.h"

namespace jmem::throttle {
namespace {

bool hasRung(const Climbable& unit, ActionKind kind) {
  return std::any_of(unit.rungs.begin(), unit.rungs.end(), [&](const Rung* r) { return r->climb == kind; });
}

}  // namespace

SwapBudget SwapBudget::of(const Snapshot& snapshot) {
  SwapBudget budget;
  budget.left_bytes = headroomBytes(0, snapshot.swap_free_bytes, snapshot.zram);
  const std::uint64_t swap_free = snapshot.swap_free_bytes.value_or(0);
  budget.saved_per_byte =
      swap_free ? static_cast<double>(budget.left_bytes) / static_cast<double>(swap_free) : 0.0;
  return budget;
}

std::uint64_t throttleYield(const SnapshotUnit& unit, const policy::Workload& workload, SwapBudget& swap) {
  const std::uint64_t target = throttleTargetBytes(unit, workload);
  const std::uint64_t squeezed = unit.cost_bytes > target ? unit.cost_bytes - target : 0;
  const auto anon =
      std::min(swap.left_bytes,
               static_cast<std::uint64_t>(static_cast<double>(unit.anon_bytes) * swap.saved_per_byte));
  const std::uint64_t moved = std::min(squeezed, unit.file_bytes + anon);
  swap.left_bytes -= std::min(swap.left_bytes, moved > unit.file_bytes ? moved - unit.file_bytes : 0);
  return moved;
}

Room roomOf(const Snapshot& snapshot, const ControllerState& state, const policy::Policy& policy,
            const Capabilities& capabilities) {
  Room room;
  room.mem_available_bytes = snapshot.mem_available_bytes;
  room.low_watermark_bytes = policy.pressure.available_low_mib.value * kMiB;
  room.headroom_bytes = room.mem_available_bytes > room.low_watermark_bytes
                            ? room.mem_available_bytes - room.low_watermark_bytes
                            : 0;
  SwapBudget swap = SwapBudget::of(snapshot);
  for (const Climbable& entry : climbable(snapshot, state, policy, capabilities)) {
    const SnapshotUnit& unit = *entry.unit;
    RoomUnit given{unit.unit, "", 0};
    if (hasRung(entry, ActionKind::kStop)) {
      given = {unit.unit, "stop", unit.cost_bytes};
    } else if (hasRung(entry, ActionKind::kThrottle)) {
      given = {unit.unit, "throttle", throttleYield(unit, *entry.workload, swap)};
    }
    if (given.bytes == 0) continue;
    room.throttle_bytes += given.bytes;
    room.units.push_back(std::move(given));
  }
  return room;
}

}  // namespace jmem::throttle
