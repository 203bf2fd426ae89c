#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "policy/policy.h"

// The rungs of a throttle ladder, one row each: what a rung is called where it is shown, counted and
// journaled, its rank, when the controller may take it, what taking and releasing it does to the
// controller's state and says in the reason, and the shape of its journal record. Adding a rung is
// adding a row here (and its enumerators), then teaching the actuator how to make and undo it.
namespace jmem::throttle {

struct Action;
struct Capabilities;
struct SnapshotUnit;
struct UnitState;

// Each rung's climb and release. The names live in the rung's row.
enum class ActionKind { kThrottle, kFreeze, kStop, kThaw, kRestoreMemoryHigh, kStart };

struct Rung {
  policy::WorkloadAction action;  // as a workload's actions name it
  ActionKind climb;
  std::string_view climb_name;  // as shown, logged (JMEM_ACTION) and counted: "throttle"
  ActionKind release;
  std::string_view release_name;        // "restore_memory_high"
  std::string_view journal_kind;        // the change the throttle's journal records: "memory_high"
  bool (*held)(const UnitState& unit);  // in effect on the unit
  void (*lift)(UnitState& unit);        // the unit's state once released

  // Why this device cannot take the rung ("memory.high needs cgroup v2"); empty when it can.
  std::string_view (*lacking)(const Capabilities& capabilities);
  // Whether the policy lets the controller take the rung at all; one it forbids is passed over unsaid.
  bool (*allowed)(const policy::Policy& policy);
  // The climb is computed from the unit's own MemoryHigh, which the snapshot must then hold (read
  // before deciding), and its actions carry a MemoryHigh.
  bool reads_memory_high;
  // The climb: its effect on the unit's state and its action's details; returns what the reason says
  // after the trigger. `who` is the unit and its priority: "batch.service (priority 10)".
  std::string (*take)(const SnapshotUnit& figures, const policy::Workload& workload, const std::string& who,
                      UnitState& unit, Action& action);
  // The release's details in `action`; returns what its reason says after why: "thawing batch.service".
  std::string (*describe_release)(const UnitState& unit, Action& action);
  // A rung that taking this one ends (systemd thaws a unit it stops): its journal entries are over.
  std::optional<policy::WorkloadAction> ends;
  // Left in effect at a clean stop, kept in the journal for the next run (a stopped unit stays stopped).
  bool kept_at_shutdown;
  // Its journal record's keys beside after.origin and after.boot_id, each required (journal_schema.h).
  std::array<std::string_view, 1> journal_before;
  std::array<std::string_view, 1> journal_after;
  // A record of it is acted on only where the policy lets jmemd climb to it on that unit: its release
  // starts the unit, which no journal may ask for on a unit the policy does not stop.
  bool journal_needs_ladder;
};

// Lowest first: a rung's rank is its place here. A unit is released in this order too: its MemoryHigh
// lifted before it runs again (see decide()).
inline constexpr std::size_t kRungCount = 3;
extern const std::array<Rung, kRungCount> kRungs;
inline constexpr std::size_t kActionKinds = 2 * kRungCount;  // a climb and a release per rung

const Rung& rungOf(policy::WorkloadAction action);
// The rung an action climbs to or releases.
const Rung& rungOf(ActionKind kind);
// The rung a journal record of `kind` made, or nullptr for a kind no rung journals.
const Rung* rungOfJournalKind(std::string_view kind);
std::size_t rankOf(const Rung& rung);
// The rank of the highest rung in effect on a unit, -1 for none.
int topRank(const UnitState* unit);
// The MemoryHigh a throttle of the unit sets (the floor and its own MemoryHigh applied, where read).
std::uint64_t throttleTargetBytes(const SnapshotUnit& figures, const policy::Workload& workload);

// Climbs (throttle, freeze, stop); the others release one of them.
bool isEscalation(ActionKind kind);
std::string_view toString(ActionKind kind);

// Whether `workload`'s ladder holds `rung`.
bool onLadder(const policy::Workload& workload, const Rung& rung);

}  // namespace jmem::throttle
