#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "policy/policy.h"

// The rungs of a throttle ladder, one row each: what a rung is called where it is shown, counted and
// journaled, its rank, the action that climbs to it and the one that releases it. Adding a rung is
// adding a row here (and its enumerators), then teaching the actuator how to make and undo it.
namespace jmem::throttle {

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

// Climbs (throttle, freeze, stop); the others release one of them.
bool isEscalation(ActionKind kind);
std::string_view toString(ActionKind kind);

}  // namespace jmem::throttle
