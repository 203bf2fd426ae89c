#include "throttle/controller.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "core/text.h"
#include "policy/unit_match.h"
#include "policy/unit_pattern.h"

namespace jmem::throttle {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr seconds kRateWindow{60};

std::string mibText(std::uint64_t bytes) {
  char text[64];
  if (bytes % kMiB == 0) {
    std::snprintf(text, sizeof text, "%llu MiB", static_cast<unsigned long long>(bytes / kMiB));
  } else {
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / static_cast<double>(kMiB));
  }
  return text;
}

std::string percentText(double percent) {
  char text[32];
  std::snprintf(text, sizeof text, "%g%%", percent);
  return text;
}

std::string secondsText(Clock::duration duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s",
                static_cast<double>(duration_cast<milliseconds>(duration).count()) / 1000.0);
  return text;
}

std::vector<std::string> activeTriggers(const Snapshot& snapshot, const policy::PressurePolicy& pressure) {
  std::vector<std::string> triggers;
  if (snapshot.psi_trigger) triggers.push_back(*snapshot.psi_trigger);
  const std::uint64_t low_bytes = pressure.available_low_mib.value * kMiB;
  if (snapshot.mem_available_bytes < low_bytes) {
    triggers.push_back("MemAvailable " + mibText(snapshot.mem_available_bytes) +
                       " is below available_low_mib " + mibText(low_bytes));
  }
  if (snapshot.pressure_available) {
    if (snapshot.psi_some_avg10_permyriad > pressure.psi_some_avg10_percent.value * 100.0) {
      triggers.push_back("PSI some avg10 " + formatPermyriad(snapshot.psi_some_avg10_permyriad) +
                         " is above psi_some_avg10_percent " +
                         percentText(pressure.psi_some_avg10_percent.value));
    }
    if (snapshot.psi_full_avg10_permyriad > pressure.psi_full_avg10_percent.value * 100.0) {
      triggers.push_back("PSI full avg10 " + formatPermyriad(snapshot.psi_full_avg10_permyriad) +
                         " is above psi_full_avg10_percent " +
                         percentText(pressure.psi_full_avg10_percent.value));
    }
  }
  const std::uint64_t ceiling_bytes = pressure.nvmap_ceiling_mib.value * kMiB;
  if (ceiling_bytes > 0 && snapshot.nvmap_available && snapshot.nvmap_total_bytes > ceiling_bytes) {
    triggers.push_back("NvMap total " + mibText(snapshot.nvmap_total_bytes) + " is above nvmap_ceiling_mib " +
                       mibText(ceiling_bytes));
  }
  const std::uint64_t gpu_ceiling_bytes = pressure.gpu_ceiling_mib.value * kMiB;
  for (const GpuUse& use : snapshot.gpu_uses) {
    if (gpu_ceiling_bytes > 0 && use.bytes > gpu_ceiling_bytes) {
      triggers.push_back(use.gpu + " uses " + (use.at_least ? "at least " : "") + mibText(use.bytes) +
                         ", above gpu_ceiling_mib " + mibText(gpu_ceiling_bytes));
    }
  }
  return triggers;
}

// Why no action may be taken now under the rate limits, or nullopt.
std::optional<std::string> rateLimited(const ControllerState& state, Clock::time_point now,
                                       const policy::PressurePolicy& pressure) {
  const seconds min_interval{pressure.min_action_interval_s.value};
  if (state.last_action && now - *state.last_action < min_interval) {
    return "the last action was " + secondsText(now - *state.last_action) +
           " ago; min_action_interval_s is " + std::to_string(min_interval.count()) + " s";
  }
  if (state.recent_actions.size() >= pressure.max_actions_per_minute.value) {
    return std::to_string(state.recent_actions.size()) +
           " actions in the last minute; max_actions_per_minute is " +
           std::to_string(pressure.max_actions_per_minute.value);
  }
  return std::nullopt;
}

void recordAction(ControllerState& state, Clock::time_point now) {
  state.last_action = now;
  state.recent_actions.push_back(now);
}

// The rank of the highest rung in effect on a unit, -1 for none.
int topRank(const UnitState* unit) {
  if (unit == nullptr) return -1;
  for (std::size_t rank = kRungs.size(); rank-- > 0;) {
    if (kRungs[rank].held(*unit)) return static_cast<int>(rank);
  }
  return -1;
}

struct Candidate {
  const UnitFigures* figures = nullptr;
  const policy::Workload* workload = nullptr;
  std::size_t workload_index = 0;
  std::size_t ledger_index = 0;
};

std::vector<Candidate> candidatesOf(const Snapshot& snapshot, const policy::Policy& policy) {
  std::vector<Candidate> candidates;
  for (std::size_t i = 0; i < snapshot.units.size(); ++i) {
    const auto& figures = snapshot.units[i];
    if (!mayActOn(figures.unit, figures.manager, policy, snapshot.self_unit)) continue;
    Candidate candidate;
    candidate.workload = policy::workloadFor(policy, figures.unit);
    if (candidate.workload == nullptr || candidate.workload->actions.empty()) continue;
    candidate.workload_index = static_cast<std::size_t>(candidate.workload - policy.workloads.data());
    candidate.figures = &figures;
    candidate.ledger_index = i;
    candidates.push_back(candidate);
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.workload->priority.value != b.workload->priority.value) {
      return a.workload->priority.value < b.workload->priority.value;
    }
    if (a.workload_index != b.workload_index) return a.workload_index < b.workload_index;
    return a.ledger_index < b.ledger_index;
  });
  return candidates;
}

std::uint64_t throttleTarget(const UnitFigures& figures, const policy::Workload& workload, std::string& how) {
  std::uint64_t base = figures.cost_bytes;
  if (figures.memory_high_bytes) base = std::min(base, *figures.memory_high_bytes);
  std::uint64_t target = 0;
  if (workload.throttle_memory_high_mib) {
    target = workload.throttle_memory_high_mib->value * kMiB;
    how = "as throttle_memory_high_mib says";
  } else {
    const std::uint32_t step = workload.throttle_step_percent ? workload.throttle_step_percent->value
                                                              : policy::kDefaultThrottleStepPercent;
    target = base - base * step / 100;
    how = std::to_string(step) + "% below " + mibText(base) +
          (base == figures.cost_bytes ? std::string(" (its cost)") : std::string(" (its MemoryHigh)"));
  }
  if (target < kThrottleFloorBytes) {
    target = kThrottleFloorBytes;
    how += ", raised to the floor of " + mibText(kThrottleFloorBytes);
  }
  if (figures.memory_high_bytes && target > *figures.memory_high_bytes) {
    target = *figures.memory_high_bytes;
    how += ", capped by its MemoryHigh";
  }
  return target;
}

// The next rung of `workload`'s ladder above what `state` has applied to the unit, applied to `state`;
// rungs the device cannot take are skipped and added to `unavailable`. `why` opens the reason.
std::optional<Action> climb(const UnitFigures& figures, const policy::Workload& workload,
                            const policy::Policy& policy, const Capabilities& capabilities,
                            const std::string& why, ControllerState& state,
                            std::vector<Unavailable>& unavailable, bool dry) {
  const int top = topRank(state.find(figures.unit));
  for (const auto& rung : workload.actions) {
    if (static_cast<int>(rankOf(rungOf(rung.value))) <= top) continue;
    const ActionKind kind = rungOf(rung.value).climb;
    if (rung.value == policy::WorkloadAction::kStop && !policy.pressure.allow_stop.value) continue;
    if (rung.value == policy::WorkloadAction::kThrottle && !capabilities.memory_high) {
      unavailable.push_back(
          {figures.unit, kind, "cannot throttle " + figures.unit + ": memory.high needs cgroup v2"});
      continue;
    }
    if (rung.value == policy::WorkloadAction::kFreeze && !capabilities.freeze) {
      unavailable.push_back({figures.unit, kind,
                             "cannot freeze " + figures.unit + ": this device has no way to freeze a unit"});
      continue;
    }
    Action action;
    action.unit = figures.unit;
    action.kind = kind;
    if (dry) return action;
    const std::string who = figures.unit + " (priority " + std::to_string(workload.priority.value) + ")";
    auto& unit_state = state.entryFor(figures.unit);
    switch (rung.value) {
      case policy::WorkloadAction::kThrottle: {
        std::string how;
        const std::uint64_t target = throttleTarget(figures, workload, how);
        action.memory_high_bytes = target;
        action.reason = why + ": throttling " + who + " to MemoryHigh " + mibText(target) + ", " + how;
        unit_state.prior_memory_high_bytes = figures.memory_high_bytes;
        unit_state.memory_high_bytes = target;
        break;
      }
      case policy::WorkloadAction::kFreeze:
        action.reason = why + ": freezing " + who + ", cost " + mibText(figures.cost_bytes);
        unit_state.frozen = true;
        break;
      case policy::WorkloadAction::kStop:
        action.reason = why + ": stopping " + who + ", cost " + mibText(figures.cost_bytes);
        unit_state.stopped = true;
        unit_state.frozen = false;  // systemd thaws a unit it stops
        break;
    }
    return action;
  }
  return std::nullopt;
}

// The next rung of the first candidate not at the top of its ladder, applied to `decision.state`.
std::optional<Action> escalate(const Snapshot& snapshot, const policy::Policy& policy,
                               const Capabilities& capabilities, Decision& decision, bool dry) {
  const std::string trigger_text = join(decision.triggers, "; ");
  for (const auto& candidate : candidatesOf(snapshot, policy)) {
    if (auto action = climb(*candidate.figures, *candidate.workload, policy, capabilities, trigger_text,
                            decision.state, decision.unavailable, dry)) {
      return action;
    }
  }
  return std::nullopt;
}

// Undoes one action in effect on state.units[index], the throttle first: a unit is released whole,
// and lifting its MemoryHigh before the thaw or start spares it the over-high penalty (see decide).
Action releaseOne(ControllerState& state, std::size_t index, const std::string& why) {
  auto& unit = state.units[index];
  const auto held = std::find_if(kRungs.begin(), kRungs.end(), [&](const Rung& r) { return r.held(unit); });
  const Rung& rung = held != kRungs.end() ? *held : kRungs.back();
  Action action;
  action.unit = unit.unit;
  action.kind = rung.release;
  switch (rung.release) {
    case ActionKind::kRestoreMemoryHigh:
      action.memory_high_bytes = unit.prior_memory_high_bytes;
      action.reason =
          why + ": restoring MemoryHigh of " + unit.unit + " to " +
          (unit.prior_memory_high_bytes ? mibText(*unit.prior_memory_high_bytes) : std::string("infinity"));
      break;
    case ActionKind::kThaw:
      action.reason = why + ": thawing " + unit.unit;
      break;
    default:
      action.reason = why + ": starting " + unit.unit + " again";
      break;
  }
  rung.lift(unit);
  if (!unit.anyApplied()) state.units.erase(state.units.begin() + static_cast<std::ptrdiff_t>(index));
  return action;
}

// The unit the controller releases next: the newest it acted on itself.
std::optional<std::size_t> nextToRelease(const ControllerState& state) {
  for (std::size_t i = state.units.size(); i-- > 0;) {
    if (!state.units[i].by_operator) return i;
  }
  return std::nullopt;
}

}  // namespace

Snapshot snapshotOf(const Ledger& ledger, Clock::time_point now) {
  Snapshot snapshot;
  snapshot.now = now;
  setSystemFigures(snapshot, ledger.system);
  snapshot.units.reserve(ledger.units.size());
  for (const auto& unit : ledger.units) {
    snapshot.units.push_back(UnitFigures{unit.unit, unit.manager, unit.memory.costBytes(), std::nullopt});
  }
  return snapshot;
}

void setSystemFigures(Snapshot& snapshot, const SystemFigures& system) {
  snapshot.mem_available_bytes = system.meminfo.mem_available_bytes;
  snapshot.pressure_available = system.pressure.available;
  snapshot.psi_some_avg10_permyriad = system.pressure.some.avg10_permyriad;
  snapshot.psi_full_avg10_permyriad = system.pressure.full.avg10_permyriad;
  snapshot.nvmap_available = system.nvmap.available;
  snapshot.nvmap_total_bytes = system.nvmap.total_bytes;
  snapshot.gpu_uses.clear();
  for (const GpuDevice& gpu : system.gpus.devices) {
    std::string name = "GPU " + std::to_string(gpu.index) + (gpu.name.empty() ? "" : " (" + gpu.name + ")");
    if (const auto used_bytes = gpuUsedBytes(gpu)) {
      snapshot.gpu_uses.push_back({std::move(name), *used_bytes, false});
    } else if (gpu.integrated && gpu.attributed_bytes > 0) {
      snapshot.gpu_uses.push_back({std::move(name), gpu.attributed_bytes, true});
    }
  }
}

std::string_view toString(Phase phase) {
  switch (phase) {
    case Phase::kCalm:
      return "calm";
    case Phase::kPressure:
      return "pressure";
    case Phase::kHolding:
      return "holding";
    case Phase::kReleasing:
      return "releasing";
  }
  return "unknown";
}

UnitState& ControllerState::entryFor(std::string_view unit) {
  for (auto& entry : units) {
    if (entry.unit == unit) return entry;
  }
  UnitState added;
  added.unit = std::string(unit);
  units.push_back(std::move(added));
  return units.back();
}

const UnitState* ControllerState::find(std::string_view unit) const {
  for (const auto& entry : units) {
    if (entry.unit == unit) return &entry;
  }
  return nullptr;
}

std::optional<std::string> whyNotActedOn(std::string_view unit, std::string_view manager,
                                         const policy::Policy& policy, std::string_view self_unit) {
  const std::string name(unit);
  if (!isSystemManager(manager))
    return name + " belongs to " + std::string(manager) + ", not the system manager";
  if (policy::isEssentialUnit(unit)) return name + " is essential to the system";
  if (unit.ends_with(".slice")) return name + " is a slice: it holds other units";
  if (!self_unit.empty() && unit == self_unit) return name + " is jmemd's own unit";
  if (policy::isKept(policy, unit)) return name + " is in the policy's keep list";
  if (policy::isProtected(policy, unit)) return name + " is a protected workload";
  return std::nullopt;
}

Decision decide(const Snapshot& snapshot, const ControllerState& state, const policy::Policy& policy,
                const Capabilities& capabilities) {
  const auto& pressure = policy.pressure;
  const Clock::time_point now = snapshot.now;

  Decision decision;
  decision.state = state;
  auto& next = decision.state;
  std::erase_if(next.recent_actions, [&](Clock::time_point at) { return now - at >= kRateWindow; });

  decision.triggers = activeTriggers(snapshot, pressure);
  const std::uint64_t high_bytes = pressure.available_high_mib.value * kMiB;
  const bool release_holds = decision.triggers.empty() && snapshot.mem_available_bytes > high_bytes;

  if (decision.triggers.empty()) {
    next.trigger_since.reset();
  } else if (!next.trigger_since) {
    next.trigger_since = now;
  }
  if (!release_holds) {
    next.release_since.reset();
  } else if (!next.release_since) {
    next.release_since = now;
  }

  if (!decision.triggers.empty()) {
    decision.phase = Phase::kPressure;
    const seconds min_interval{pressure.min_action_interval_s.value};
    // Flapping is a release followed at once by a new escalation; a minute after the last action
    // a new trigger is news, not flapping.
    const bool recent_release = next.releasing && next.last_action && now - *next.last_action < kRateWindow;
    if (recent_release && now - *next.trigger_since < min_interval) {
      decision.waiting = "a release has begun: the trigger has held " +
                         secondsText(now - *next.trigger_since) + " of the " +
                         std::to_string(min_interval.count()) + " s it must hold before a new action";
      return decision;
    }
    if (auto limited = rateLimited(next, now, pressure)) {
      // Report what the next step would skip, without taking it.
      const bool due = escalate(snapshot, policy, capabilities, decision, true).has_value();
      decision.waiting = due ? *limited : "no workload left to act on";
      return decision;
    }
    auto action = escalate(snapshot, policy, capabilities, decision, false);
    if (!action) {
      decision.waiting = "no workload left to act on";
      return decision;
    }
    recordAction(next, now);
    next.releasing = false;
    decision.actions.push_back(std::move(*action));
    return decision;
  }

  const auto releasable = nextToRelease(next);
  if (!releasable) {
    decision.phase = Phase::kCalm;
    return decision;
  }
  decision.phase = Phase::kHolding;
  if (!release_holds) return decision;
  const seconds hold{pressure.release_hold_s.value};
  const Clock::duration held = now - *next.release_since;
  if (held < hold) {
    decision.waiting = "release after " + std::to_string(hold.count()) +
                       " s above available_high_mib; held " + secondsText(held);
    return decision;
  }
  decision.phase = Phase::kReleasing;
  if (auto limited = rateLimited(next, now, pressure)) {
    decision.waiting = *limited;
    return decision;
  }
  const std::string why = "MemAvailable " + mibText(snapshot.mem_available_bytes) +
                          " has stayed above available_high_mib " + mibText(high_bytes) +
                          " with no trigger for " + secondsText(held);
  // A unit is released whole in one step, its MemoryHigh lifted before the thaw: a task frozen over
  // its MemoryHigh would otherwise sleep off the kernel's over-high penalty (up to 2 s of memory stall)
  // as soon as it is thawed, and that stall is pressure again.
  const std::string unit = next.units[*releasable].unit;
  while (*releasable < next.units.size() && next.units[*releasable].unit == unit) {
    decision.actions.push_back(releaseOne(next, *releasable, why));
  }
  recordAction(next, now);
  next.releasing = true;
  return decision;
}

OperatorDecision decideOperatorThrottle(const UnitFigures& unit, const ControllerState& state,
                                        const policy::Policy& policy, const Capabilities& capabilities,
                                        std::string_view self_unit, Clock::time_point now) {
  OperatorDecision decision;
  decision.state = state;
  if (auto why = whyNotActedOn(unit.unit, unit.manager, policy, self_unit)) {
    decision.refusal = "Refusing to throttle " + unit.unit + ": " + *why;
    return decision;
  }
  const policy::Workload* named = policy::workloadFor(policy, unit.unit);
  policy::Workload fallback;
  fallback.actions = {{policy::WorkloadAction::kThrottle, {}}, {policy::WorkloadAction::kFreeze, {}}};
  const policy::Workload& workload = named != nullptr && !named->actions.empty() ? *named : fallback;
  std::vector<Unavailable> unavailable;
  auto action =
      climb(unit, workload, policy, capabilities, "asked by an operator", decision.state, unavailable, false);
  if (!action) {
    decision.refusal =
        unavailable.empty() ? unit.unit + " is already at the top of its ladder" : unavailable.back().reason;
    return decision;
  }
  for (auto& entry : decision.state.units) {
    if (entry.unit == unit.unit) entry.by_operator = true;
  }
  // The operator asked for the next rung: say which were passed over, and why.
  for (const auto& skipped : unavailable) action->reason += "; skipped: " + skipped.reason;
  recordAction(decision.state, now);
  decision.actions.push_back(std::move(*action));
  return decision;
}

OperatorDecision decideOperatorRelease(std::string_view unit, const ControllerState& state) {
  OperatorDecision decision;
  decision.state = state;
  auto& units = decision.state.units;
  const auto found =
      std::find_if(units.begin(), units.end(), [&](const UnitState& u) { return u.unit == unit; });
  if (found == units.end()) {
    decision.refusal = std::string(unit) + " is not throttled, frozen or stopped by jmemd";
    return decision;
  }
  // Move it last, so that releaseOne undoes it alone, its throttle first.
  std::rotate(found, found + 1, units.end());
  const std::size_t index = units.size() - 1;
  while (!units.empty() && units.back().unit == unit && units.back().anyApplied()) {
    decision.actions.push_back(releaseOne(decision.state, index, "asked by an operator"));
    if (index >= units.size()) break;
  }
  return decision;
}

}  // namespace jmem::throttle
