#include "throttle/rung.h"

#include <algorithm>

#include "throttle/controller.h"
#include "throttle/reason_text.h"

namespace jmem::throttle {
namespace {

// throttle: MemoryHigh from the workload's setting or a step below the lower of the unit's cost and
// its own MemoryHigh; never below the floor, never above the MemoryHigh it already has.
std::uint64_t throttleTarget(const SnapshotUnit& figures, const policy::Workload& workload,
                             std::string& how) {
  const std::optional<std::uint64_t>& own = figures.memory_high.bytes;
  std::uint64_t base = figures.cost_bytes;
  if (own) base = std::min(base, *own);
  std::uint64_t target = 0;
  if (workload.throttle_memory_high_mib) {
    target = workload.throttle_memory_high_mib->value * kMiB;
    how = "as throttle_memory_high_mib says";
  } else {
    const std::uint32_t step = workload.throttle_step_percent ? workload.throttle_step_percent->value
                                                              : policy::kDefaultThrottleStepPercent;
    target = base - base * step / 100;
    how = std::to_string(step) + "% below " + formatIec(base) +
          (base == figures.cost_bytes ? std::string(" (its cost)") : std::string(" (its MemoryHigh)"));
  }
  if (target < kThrottleFloorBytes) {
    target = kThrottleFloorBytes;
    how += ", raised to the floor of " + formatIec(kThrottleFloorBytes);
  }
  if (own && target > *own) {
    target = *own;
    how += ", capped by its MemoryHigh";
  }
  return target;
}

}  // namespace

std::uint64_t throttleTargetBytes(const SnapshotUnit& figures, const policy::Workload& workload) {
  std::string how;
  return throttleTarget(figures, workload, how);
}

namespace {

std::string takeThrottle(const SnapshotUnit& figures, const policy::Workload& workload,
                         const std::string& who, UnitState& unit, Action& action) {
  std::string how;
  const std::uint64_t target = throttleTarget(figures, workload, how);
  action.memory_high_bytes = target;
  unit.prior_memory_high_bytes = figures.memory_high.bytes;
  unit.memory_high_bytes = target;
  return "throttling " + who + " to MemoryHigh " + formatIec(target) + ", " + how;
}

std::string describeRestore(const UnitState& unit, Action& action) {
  action.memory_high_bytes = unit.prior_memory_high_bytes;
  return "restoring MemoryHigh of " + unit.unit + " to " +
         (unit.prior_memory_high_bytes ? formatIec(*unit.prior_memory_high_bytes) : std::string("infinity"));
}

std::string takeFreeze(const SnapshotUnit& figures, const policy::Workload&, const std::string& who,
                       UnitState& unit, Action&) {
  unit.frozen = true;
  return "freezing " + who + ", cost " + formatIec(figures.cost_bytes);
}

std::string takeStop(const SnapshotUnit& figures, const policy::Workload&, const std::string& who,
                     UnitState& unit, Action&) {
  unit.stopped = true;
  unit.frozen = false;  // systemd thaws a unit it stops
  return "stopping " + who + ", cost " + formatIec(figures.cost_bytes);
}

}  // namespace

const std::array<Rung, kRungCount> kRungs{{
    {
        .action = policy::WorkloadAction::kThrottle,
        .climb = ActionKind::kThrottle,
        .climb_name = "throttle",
        .release = ActionKind::kRestoreMemoryHigh,
        .release_name = "restore_memory_high",
        .journal_kind = "memory_high",
        .held = [](const UnitState& unit) { return unit.throttled(); },
        .lift =
            [](UnitState& unit) {
              unit.memory_high_bytes.reset();
              unit.prior_memory_high_bytes.reset();
            },
        .lacking = [](const Capabilities& can) -> std::string_view {
          return can.memory_high ? "" : "memory.high needs cgroup v2";
        },
        .allowed = [](const policy::Policy&) { return true; },
        .reads_memory_high = true,
        .take = takeThrottle,
        .describe_release = describeRestore,
        .ends = std::nullopt,
        .kept_at_shutdown = false,
        .journal_before = {"memory_high_bytes"},
        .journal_after = {"memory_high_bytes"},
        .journal_needs_ladder = false,
    },
    {
        .action = policy::WorkloadAction::kFreeze,
        .climb = ActionKind::kFreeze,
        .climb_name = "freeze",
        .release = ActionKind::kThaw,
        .release_name = "thaw",
        .journal_kind = "freeze",
        .held = [](const UnitState& unit) { return unit.frozen; },
        .lift = [](UnitState& unit) { unit.frozen = false; },
        .lacking = [](const Capabilities& can) -> std::string_view {
          return can.freeze ? "" : "this device has no way to freeze a unit";
        },
        .allowed = [](const policy::Policy&) { return true; },
        .reads_memory_high = false,
        .take = takeFreeze,
        .describe_release = [](const UnitState& unit, Action&) { return "thawing " + unit.unit; },
        .ends = std::nullopt,
        .kept_at_shutdown = false,
        .journal_before = {},
        .journal_after = {"method"},
        .journal_needs_ladder = false,
    },
    {
        .action = policy::WorkloadAction::kStop,
        .climb = ActionKind::kStop,
        .climb_name = "stop",
        .release = ActionKind::kStart,
        .release_name = "start",
        .journal_kind = "stop",
        .held = [](const UnitState& unit) { return unit.stopped; },
        .lift = [](UnitState& unit) { unit.stopped = false; },
        .lacking = [](const Capabilities&) -> std::string_view { return ""; },
        .allowed = [](const policy::Policy& policy) { return policy.pressure.allow_stop.value; },
        .reads_memory_high = false,
        .take = takeStop,
        .describe_release = [](const UnitState& unit, Action&) { return "starting " + unit.unit + " again"; },
        .ends = policy::WorkloadAction::kFreeze,
        .kept_at_shutdown = true,
        .journal_before = {},
        .journal_after = {},
        .journal_needs_ladder = true,
    },
}};

const Rung& rungOf(policy::WorkloadAction action) {
  for (const Rung& rung : kRungs) {
    if (rung.action == action) return rung;
  }
  return kRungs.back();
}

const Rung& rungOf(ActionKind kind) {
  for (const Rung& rung : kRungs) {
    if (rung.climb == kind || rung.release == kind) return rung;
  }
  return kRungs.back();
}

const Rung* rungOfJournalKind(std::string_view kind) {
  for (const Rung& rung : kRungs) {
    if (rung.journal_kind == kind) return &rung;
  }
  return nullptr;
}

std::size_t rankOf(const Rung& rung) {
  return static_cast<std::size_t>(&rung - kRungs.data());
}

int topRank(const UnitState* unit) {
  if (unit == nullptr) return -1;
  for (std::size_t rank = kRungs.size(); rank-- > 0;) {
    if (kRungs[rank].held(*unit)) return static_cast<int>(rank);
  }
  return -1;
}

bool isEscalation(ActionKind kind) {
  return rungOf(kind).climb == kind;
}

std::string_view toString(ActionKind kind) {
  const Rung& rung = rungOf(kind);
  return rung.climb == kind ? rung.climb_name : rung.release_name;
}

bool onLadder(const policy::Workload& workload, const Rung& rung) {
  return std::any_of(workload.actions.begin(), workload.actions.end(),
                     [&](const auto& action) { return action.value == rung.action; });
}

}  // namespace jmem::throttle
