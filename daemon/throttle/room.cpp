#include "throttle/room.h"

#include <algorithm>

#include "throttle/rung.h"

namespace jmem::throttle {
namespace {

bool hasRung(const Climbable& unit, ActionKind kind) {
  return std::any_of(unit.rungs.begin(), unit.rungs.end(), [&](const Rung* r) { return r->climb == kind; });
}

}  // namespace

std::uint64_t headroomAboveLowBytes(std::uint64_t mem_available_bytes,
                                    const policy::PressurePolicy& pressure) {
  const std::uint64_t low_bytes = pressure.available_low_mib.value * kMiB;
  return mem_available_bytes > low_bytes ? mem_available_bytes - low_bytes : 0;
}

SwapBudget SwapBudget::of(const Snapshot& snapshot) {
  SwapBudget budget;
  budget.free_bytes = snapshot.swap_free_bytes.value_or(0);
  const std::uint64_t saved = headroomBytes(0, snapshot.swap_free_bytes, snapshot.zram);
  budget.saved_per_byte =
      budget.free_bytes ? static_cast<double>(saved) / static_cast<double>(budget.free_bytes) : 0.0;
  return budget;
}

std::uint64_t throttleYield(const SnapshotUnit& unit, const policy::Workload& workload, SwapBudget& swap) {
  // MemoryHigh squeezes what is charged to the unit's cgroup: its pages, not NvMap's buffers.
  const std::uint64_t pages = unit.file_bytes + unit.anon_bytes;
  const std::uint64_t target = throttleTargetBytes(unit, workload);
  std::uint64_t squeezed = pages > target ? pages - target : 0;
  // File pages go back to their files whole; anonymous ones into swap, where they give back only
  // what zram's compression saves.
  const std::uint64_t file = std::min(squeezed, unit.file_bytes);
  squeezed -= file;
  const std::uint64_t anon = std::min({squeezed, unit.anon_bytes, swap.free_bytes});
  swap.free_bytes -= anon;
  return file + static_cast<std::uint64_t>(static_cast<double>(anon) * swap.saved_per_byte);
}

Room roomOf(const Snapshot& snapshot, const ControllerState& state, const policy::Policy& policy,
            const Capabilities& capabilities) {
  Room room;
  room.mem_available_bytes = snapshot.mem_available_bytes;
  room.low_watermark_bytes = policy.pressure.available_low_mib.value * kMiB;
  room.headroom_bytes = headroomAboveLowBytes(room.mem_available_bytes, policy.pressure);
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
