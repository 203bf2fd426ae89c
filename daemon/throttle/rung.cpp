#include "throttle/rung.h"

#include "throttle/controller.h"

namespace jmem::throttle {

const std::array<Rung, kRungCount> kRungs{{
    {policy::WorkloadAction::kThrottle, ActionKind::kThrottle, "throttle", ActionKind::kRestoreMemoryHigh,
     "restore_memory_high", "memory_high", [](const UnitState& unit) { return unit.throttled(); },
     [](UnitState& unit) {
       unit.memory_high_bytes.reset();
       unit.prior_memory_high_bytes.reset();
     }},
    {policy::WorkloadAction::kFreeze, ActionKind::kFreeze, "freeze", ActionKind::kThaw, "thaw", "freeze",
     [](const UnitState& unit) { return unit.frozen; }, [](UnitState& unit) { unit.frozen = false; }},
    {policy::WorkloadAction::kStop, ActionKind::kStop, "stop", ActionKind::kStart, "start", "stop",
     [](const UnitState& unit) { return unit.stopped; }, [](UnitState& unit) { unit.stopped = false; }},
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

bool isEscalation(ActionKind kind) {
  return rungOf(kind).climb == kind;
}

std::string_view toString(ActionKind kind) {
  const Rung& rung = rungOf(kind);
  return rung.climb == kind ? rung.climb_name : rung.release_name;
}

}  // namespace jmem::throttle
