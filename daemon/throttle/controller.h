#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/ledger.h"
#include "policy/policy.h"
#include "sources/cgroup_unit.h"
#include "throttle/reason_text.h"
#include "throttle/rung.h"
#include "throttle/snapshot.h"

// The throttling controller's decision: a pure function from a snapshot of the system, what the
// controller has applied so far and the policy, to the next action. It reads nothing and changes
// nothing; the actuator carries the actions out through systemd.
//
// Triggers (any one of them is pressure):
//   - MemAvailable below pressure.available_low_mib;
//   - PSI memory "some" avg10 above pressure.psi_some_avg10_percent (when the kernel has PSI);
//   - PSI memory "full" avg10 above pressure.psi_full_avg10_percent (when the kernel has PSI);
//   - the NvMap total above pressure.nvmap_ceiling_mib (0: off; ignored when NvMap is unreadable);
//   - any GPU's used memory, or a lower bound of it, above pressure.gpu_ceiling_mib (0: off; GPUs
//     whose use is unknown are ignored).
// Release: MemAvailable above pressure.available_high_mib and no trigger, held without a break for
// pressure.release_hold_s. Between the two watermarks nothing changes (hysteresis).
//
// Escalation, one action per call at most. The candidates are the ledger's system units that a
// workload with actions matches (an exact name before a glob, then the order written) and that may
// be acted on (see mayActOn), ordered by priority (lower first), ties by the order the workloads are
// written, then by the ledger's order (largest cost first). The first candidate not yet at the top
// of its ladder climbs one rung; the next candidate starts only once it is at the top.
// The ladder is the workload's actions in the order throttle, freeze, stop (the rungs: rung.h):
//   - throttle: MemoryHigh = throttle_memory_high_mib when set, else the unit's cost less
//     throttle_step_percent (kDefaultThrottleStepPercent when unset). It never goes below
//     kThrottleFloorBytes and never raises a MemoryHigh the unit already has: the step is taken from
//     the lower of the cost and that MemoryHigh, and the result is capped by it. That MemoryHigh is
//     read into the snapshot before deciding (memoryHighWanted); where it could not be, the throttle
//     is not taken but fails (Decision::unobserved), counted against the rate limits.
//   - freeze: FreezeUnit.
//   - stop: only when pressure.allow_stop. A stop ends a freeze (systemd thaws a unit it stops).
// A rung the device cannot take (Capabilities) is skipped and named in Decision::unavailable.
//
// Release goes newest first, one unit per call: the unit acted on last first, and all of it at once,
// its throttle lifted before it runs again: MemoryHigh back to the value it replaced, then thaw, then
// start. A task frozen or stopped over its MemoryHigh owes the kernel's over-high penalty, a sleep of
// up to 2 s counted as memory stall, and pays it the moment it runs if the throttle is still there:
// a thaw even milliseconds before the restore stalls the whole unit, which reads as fresh pressure.
// Release acts on what the state records, whether or not the unit is still in the ledger.
//
// Rate limits apply to every action, escalation and release alike: at least
// pressure.min_action_interval_s between two actions, at most pressure.max_actions_per_minute in any
// 60 s. Except in an emergency: while a trigger holds and headroom (MemAvailable, free swap, zram's at
// its compression), measured since the last action over at least kHeadroomMinSpan, falls fast enough
// to run out within pressure.exhaustion_horizon_s, escalation goes on every 2 s. No flapping: within 60 s of
// a release step, a new escalation needs its trigger to have held for pressure.min_action_interval_s.
//
// Never acted on (mayActOn): units a protected workload matches, units in the policy's keep list,
// essential units (policy::isEssentialUnit: PID 1's init.scope, -.slice, jmemd, dbus, journald, ...),
// every slice, jmemd's own unit (Snapshot::self_unit), and units of user managers.
namespace jmem::throttle {

// The lowest MemoryHigh a throttle sets: below it a service spends its time in reclaim.
inline constexpr std::uint64_t kThrottleFloorBytes = 64 * kMiB;

// What this device lets the controller do. JetPack 5 (cgroup v1) has neither.
struct Capabilities {
  bool memory_high = true;  // cgroup v2 memory.high, set through MemoryHigh=
  bool freeze = true;       // systemd's FreezeUnit (cgroup v2 freezer)
};

struct Action {
  std::string unit;
  ActionKind kind = ActionKind::kThrottle;
  // kThrottle: the MemoryHigh to set. kRestoreMemoryHigh: the value to put back, nullopt for
  // infinity. Empty for the other kinds.
  std::optional<std::uint64_t> memory_high_bytes;
  std::string reason;  // a sentence naming the trigger and its values

  bool operator==(const Action&) const = default;
};

// A rung the controller would have climbed and this device cannot take.
struct Unavailable {
  std::string unit;
  ActionKind kind = ActionKind::kThrottle;
  std::string reason;
};

// What the controller has applied to one unit.
struct UnitState {
  std::string unit;
  std::optional<std::uint64_t> memory_high_bytes;        // set while throttled: the MemoryHigh set
  std::optional<std::uint64_t> prior_memory_high_bytes;  // the one it replaced; nullopt: infinity
  bool frozen = false;
  bool stopped = false;
  // An operator's throttle: released only by an operator, never by the controller.
  bool by_operator = false;

  bool throttled() const { return memory_high_bytes.has_value(); }
  bool anyApplied() const { return throttled() || frozen || stopped; }
  bool operator==(const UnitState&) const = default;
};

struct ControllerState {
  std::vector<UnitState> units;  // in the order first acted on; a unit leaves once fully released
  std::optional<Clock::time_point> last_action;
  std::vector<Clock::time_point> recent_actions;   // the actions of the last 60 s, oldest first
  std::optional<Clock::time_point> trigger_since;  // since when a trigger has held without a break
  std::optional<Clock::time_point> release_since;  // since when the release condition has held
  bool releasing = false;                          // a release step was taken since the last escalation
  std::vector<HeadroomSample> headroom;            // the last headroomWindow() of headroom, oldest first
  // Units a make-room request holds (make_room.h): not released until its hold ends.
  std::vector<std::string> held;

  const UnitState* find(std::string_view unit) const;
  // The unit's entry, added last when it has none.
  UnitState& entryFor(std::string_view unit);
};

enum class Phase {
  kCalm,       // no trigger, nothing applied
  kPressure,   // a trigger holds
  kHolding,    // no trigger, something applied, release not (yet) due
  kReleasing,  // release condition held for the hold time
};

std::string_view toString(Phase phase);

// The action that was due and cannot be taken: the snapshot lacks an observation it needs (its
// unit's MemoryHigh could not be read). It fails without being carried out.
struct Unobserved {
  Action action;
  std::string error;  // "Failed to read MemoryHigh of batch.service: ..."
};

struct Decision {
  ControllerState state;
  Phase phase = Phase::kCalm;
  std::vector<Action> actions;  // one escalation, or the release of one unit
  // Instead of an escalation: the one due, failed. It counts against the rate limits, as a failed
  // action does, so that a unit that cannot be read is not retried every tick.
  std::optional<Unobserved> unobserved;
  std::vector<std::string> triggers;     // each trigger that holds, as a sentence
  std::vector<Unavailable> unavailable;  // rungs skipped this call because the device lacks them
  std::string waiting;                   // why no action was taken when one was due; empty otherwise
  // Seconds until memory runs out at the rate headroom fell over headroomWindow() since the last
  // action; nullopt when it is not falling, or not measured over kHeadroomMinSpan yet. Below
  // pressure.exhaustion_horizon_s while a trigger holds: an emergency.
  std::optional<double> exhaustion_s;
};

// Why the controller never acts on `unit` of `manager`, or nullopt when it may.
std::optional<std::string> whyNotActedOn(std::string_view unit, std::string_view manager,
                                         const policy::Policy& policy, std::string_view self_unit);
inline bool mayActOn(std::string_view unit, std::string_view manager, const policy::Policy& policy,
                     std::string_view self_unit) {
  return !whyNotActedOn(unit, manager, policy, self_unit).has_value();
}

// Pure: the units whose own MemoryHigh a decision on `snapshot` needs, to be read into it first: the
// candidate an escalation due now climbs, when its next rung reads it (a throttle). None in calm,
// while a rate limit holds, or where the device cannot throttle (cgroup v1): those ask systemd nothing.
std::vector<std::string> memoryHighWanted(const Snapshot& snapshot, const ControllerState& state,
                                          const policy::Policy& policy, const Capabilities& capabilities);

// A unit the controller may still climb under pressure, and the rungs left to it that the policy allows
// and the device can take, lowest first.
struct Climbable {
  const SnapshotUnit* unit = nullptr;
  const policy::Workload* workload = nullptr;
  std::vector<const Rung*> rungs;
};

// Pure: every unit with rungs left, in the order the controller would climb them.
std::vector<Climbable> climbable(const Snapshot& snapshot, const ControllerState& state,
                                 const policy::Policy& policy, const Capabilities& capabilities);

// Pure: the next action, if any, and the state after it. An escalation whose unit's MemoryHigh the
// snapshot does not hold is not taken: it is Decision::unobserved.
Decision decide(const Snapshot& snapshot, const ControllerState& state, const policy::Policy& policy,
                const Capabilities& capabilities);

// An operator's request for one unit: the actions it takes and the state after them, or why not.
struct OperatorDecision {
  ControllerState state;
  std::vector<Action> actions;
  std::optional<std::string> refusal;
  std::optional<Unobserved> unobserved;  // the next rung needs what `unit` lacks: nothing is done
};

// Pure: whether an operator's throttle of `unit` needs its own MemoryHigh read into it first: it may be
// acted on and its next rung reads it (a throttle).
bool operatorThrottleReadsMemoryHigh(const SnapshotUnit& unit, const ControllerState& state,
                                     const policy::Policy& policy, const Capabilities& capabilities,
                                     std::string_view self_unit);

// `jmemctl throttle UNIT`: the next rung of the unit's ladder now, whatever the triggers and rate
// limits say. The ladder is its workload's actions, or throttle then freeze for a unit no workload
// names; stop needs pressure.allow_stop. Refused for units the controller never acts on and for a
// unit already at the top of its ladder. The unit is then the operator's: the controller may climb
// further under pressure but never releases it.
OperatorDecision decideOperatorThrottle(const SnapshotUnit& unit, const ControllerState& state,
                                        const policy::Policy& policy, const Capabilities& capabilities,
                                        std::string_view self_unit, Clock::time_point now);

// `jmemctl release UNIT`: every action in effect on the unit, undone newest first.
OperatorDecision decideOperatorRelease(std::string_view unit, const ControllerState& state);

}  // namespace jmem::throttle
