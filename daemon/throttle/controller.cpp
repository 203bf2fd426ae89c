#include "throttle/controller.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "core/text.h"
#include "policy/unit_match.h"
#include "policy/unit_pattern.h"

namespace jmem::throttle {
namespace {

using std::chrono::seconds;

constexpr seconds kRateWindow{60};

std::vector<std::string> activeTriggers(const Snapshot& snapshot, const policy::PressurePolicy& pressure) {
  std::vector<std::string> triggers;
  if (snapshot.psi_trigger) triggers.push_back(*snapshot.psi_trigger);
  const std::uint64_t low_bytes = pressure.available_low_mib.value * kMiB;
  if (snapshot.mem_available_bytes < low_bytes) {
    triggers.push_back("MemAvailable " + formatIec(snapshot.mem_available_bytes) +
                       " is below available_low_mib " + formatIec(low_bytes));
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
    triggers.push_back("NvMap total " + formatIec(snapshot.nvmap_total_bytes) +
                       " is above nvmap_ceiling_mib " + formatIec(ceiling_bytes));
  }
  const std::uint64_t gpu_ceiling_bytes = pressure.gpu_ceiling_mib.value * kMiB;
  for (const GpuUse& use : snapshot.gpu_uses) {
    if (gpu_ceiling_bytes > 0 && use.bytes > gpu_ceiling_bytes) {
      triggers.push_back(use.gpu + " uses " + (use.at_least ? "at least " : "") + formatIec(use.bytes) +
                         ", above gpu_ceiling_mib " + formatIec(gpu_ceiling_bytes));
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

struct Candidate {
  const SnapshotUnit* figures = nullptr;
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

// The next rung of `workload`'s ladder above what `unit` holds that the policy allows; rungs the device
// cannot take are passed over and added to `unavailable` when it is given.
const Rung* nextRung(const std::string& unit_name, const UnitState* unit, const policy::Workload& workload,
                     const policy::Policy& policy, const Capabilities& capabilities,
                     std::vector<Unavailable>* unavailable) {
  const int top = topRank(unit);
  for (const auto& step : workload.actions) {
    const Rung& rung = rungOf(step.value);
    if (static_cast<int>(rankOf(rung)) <= top || !rung.allowed(policy)) continue;
    if (const std::string_view lacking = rung.lacking(capabilities); !lacking.empty()) {
      if (unavailable != nullptr) {
        unavailable->push_back(
            {unit_name, rung.climb,
             "cannot " + std::string(rung.climb_name) + " " + unit_name + ": " + std::string(lacking)});
      }
      continue;
    }
    return &rung;
  }
  return nullptr;
}

// Where and how a climb is decided.
struct Ladder {
  const policy::Policy& policy;
  const Capabilities& capabilities;
  std::string why;   // opens each reason: the triggers, or "asked by an operator"
  bool dry = false;  // only whether a rung is left: nothing applied, nothing checked
};

// The next rung of `workload`'s ladder above what `state` has applied to the unit, applied to `state`;
// rungs the device cannot take are added to `unavailable`. A rung that needs what `figures` lacks is
// not applied: `unobserved` says why.
std::optional<Action> climb(const SnapshotUnit& figures, const policy::Workload& workload,
                            const Ladder& ladder, ControllerState& state,
                            std::vector<Unavailable>& unavailable, std::optional<Unobserved>& unobserved) {
  const Rung* rung = nextRung(figures.unit, state.find(figures.unit), workload, ladder.policy,
                              ladder.capabilities, &unavailable);
  if (rung == nullptr) return std::nullopt;
  Action action;
  action.unit = figures.unit;
  action.kind = rung->climb;
  if (ladder.dry) return action;
  const std::string who = figures.unit + " (priority " + std::to_string(workload.priority.value) + ")";
  if (rung->reads_memory_high && !figures.memory_high.known) {
    action.reason =
        ladder.why + ": " + std::string(rung->climb_name) + " " + who + " needs its own MemoryHigh";
    const std::string& error = figures.memory_high.error;
    unobserved =
        Unobserved{action, error.empty() ? "MemoryHigh of " + figures.unit + " was not read" : error};
    return action;
  }
  action.reason =
      ladder.why + ": " + rung->take(figures, workload, who, state.entryFor(figures.unit), action);
  return action;
}

// The next rung of the first candidate not at the top of its ladder, applied to `decision.state`.
std::optional<Action> escalate(const Snapshot& snapshot, const policy::Policy& policy,
                               const Capabilities& capabilities, Decision& decision, bool dry) {
  const Ladder ladder{policy, capabilities, join(decision.triggers, "; "), dry};
  for (const auto& candidate : candidatesOf(snapshot, policy)) {
    if (auto action = climb(*candidate.figures, *candidate.workload, ladder, decision.state,
                            decision.unavailable, decision.unobserved)) {
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
  action.reason = why + ": " + rung.describe_release(unit, action);
  rung.lift(unit);
  if (!unit.anyApplied()) state.units.erase(state.units.begin() + static_cast<std::ptrdiff_t>(index));
  return action;
}

bool held(const ControllerState& state, const std::string& unit) {
  return std::find(state.held.begin(), state.held.end(), unit) != state.held.end();
}

// The unit the controller releases next: the newest it acted on itself that no request holds.
std::optional<std::size_t> nextToRelease(const ControllerState& state) {
  for (std::size_t i = state.units.size(); i-- > 0;) {
    if (!state.units[i].by_operator && !held(state, state.units[i].unit)) return i;
  }
  return std::nullopt;
}

// The stages of decide().

// Under a trigger, memory running out within the horizon at the rate it falls.
bool emergency(const Decision& decision, const policy::PressurePolicy& pressure) {
  const auto horizon_s = pressure.exhaustion_horizon_s.value;
  return horizon_s > 0 && decision.exhaustion_s && *decision.exhaustion_s < horizon_s;
}

// Adds the snapshot's headroom to the window and measures its fall since the last action, whose
// effect the samples before it cannot show.
void measureHeadroom(const Snapshot& snapshot, Clock::duration window, Decision& decision) {
  auto& samples = decision.state.headroom;
  const std::uint64_t bytes =
      headroomBytes(snapshot.mem_available_bytes, snapshot.swap_free_bytes, snapshot.zram);
  const std::uint64_t basis = headroomBasis(snapshot.zram);
  std::erase_if(samples, [&](const HeadroomSample& s) { return snapshot.now - s.at > window; });
  // A clock that went back, or headroom made of other parts, starts the window afresh.
  if (!samples.empty() && (samples.back().at > snapshot.now || samples.back().basis != basis))
    samples.clear();
  samples.push_back({snapshot.now, bytes, basis});
  const auto& last_action = decision.state.last_action;
  const auto first = std::find_if(samples.begin(), samples.end(), [&](const HeadroomSample& s) {
    return !last_action || s.at >= *last_action;
  });
  decision.exhaustion_s = secondsToExhaustion({first, samples.end()});
}

// Moves the timing of the triggers and of the release condition on to the snapshot's time.
void timeTriggers(const Snapshot& snapshot, const policy::Policy& policy, Decision& decision) {
  const policy::PressurePolicy& pressure = policy.pressure;
  const Clock::time_point now = snapshot.now;
  auto& next = decision.state;
  std::erase_if(next.recent_actions, [&](Clock::time_point at) { return now - at >= kRateWindow; });
  measureHeadroom(snapshot, headroomWindow(policy.sample_interval.value), decision);
  decision.triggers = activeTriggers(snapshot, pressure);
  const bool release_holds =
      decision.triggers.empty() && snapshot.mem_available_bytes > pressure.available_high_mib.value * kMiB;
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
}

// Why an escalation due under pressure waits: a release has just begun, or a rate limit holds.
struct Wait {
  std::string why;
  bool rate_limited = false;
};

std::optional<Wait> escalationWait(const Decision& decision, Clock::time_point now,
                                   const policy::PressurePolicy& pressure) {
  const ControllerState& next = decision.state;
  const seconds min_interval{pressure.min_action_interval_s.value};
  // Flapping is a release followed at once by a new escalation; a minute after the last action
  // a new trigger is news, not flapping.
  const bool recent_release = next.releasing && next.last_action && now - *next.last_action < kRateWindow;
  if (recent_release && now - *next.trigger_since < min_interval) {
    return Wait{"a release has begun: the trigger has held " + secondsText(now - *next.trigger_since) +
                    " of the " + std::to_string(min_interval.count()) + " s it must hold before a new action",
                false};
  }
  // In an emergency the rate limits would let memory run out between two rungs. The fall is measured
  // since the last action (measureHeadroom), over kHeadroomMinSpan: each action is seen before the next.
  if (emergency(decision, pressure)) return std::nullopt;
  if (auto limited = rateLimited(next, now, pressure)) return Wait{*limited, true};
  return std::nullopt;
}

// Under a trigger: one rung climbed, unless something says wait.
void escalateUnderPressure(const Snapshot& snapshot, const policy::Policy& policy,
                           const Capabilities& capabilities, Decision& decision) {
  decision.phase = Phase::kPressure;
  auto& next = decision.state;
  if (auto wait = escalationWait(decision, snapshot.now, policy.pressure)) {
    // Under a rate limit, say what the next step would be, without taking it.
    const bool due = !wait->rate_limited || escalate(snapshot, policy, capabilities, decision, true);
    decision.waiting = due ? wait->why : "no workload left to act on";
    return;
  }
  auto action = escalate(snapshot, policy, capabilities, decision, false);
  if (!action) {
    decision.waiting = "no workload left to act on";
    return;
  }
  recordAction(next, snapshot.now);
  next.releasing = false;
  if (!decision.unobserved) decision.actions.push_back(std::move(*action));
}

// Without a trigger: the newest unit the controller acted on released whole, once the release
// condition has held for release_hold_s.
void releaseWhenDue(const Snapshot& snapshot, const policy::PressurePolicy& pressure, Decision& decision) {
  auto& next = decision.state;
  const auto releasable = nextToRelease(next);
  if (!releasable) {
    const bool holding = std::any_of(next.units.begin(), next.units.end(),
                                     [&](const UnitState& u) { return held(next, u.unit); });
    decision.phase = holding ? Phase::kHolding : Phase::kCalm;
    if (holding) decision.waiting = "holding " + join(next.held, ", ") + " for a request for room";
    return;
  }
  decision.phase = Phase::kHolding;
  if (!next.release_since) return;
  const seconds hold{pressure.release_hold_s.value};
  const Clock::duration held = snapshot.now - *next.release_since;
  if (held < hold) {
    decision.waiting = "release after " + std::to_string(hold.count()) +
                       " s above available_high_mib; held " + secondsText(held);
    return;
  }
  decision.phase = Phase::kReleasing;
  if (auto limited = rateLimited(next, snapshot.now, pressure)) {
    decision.waiting = *limited;
    return;
  }
  const std::string why =
      "MemAvailable " + formatIec(snapshot.mem_available_bytes) + " has stayed above available_high_mib " +
      formatIec(pressure.available_high_mib.value * kMiB) + " with no trigger for " + secondsText(held);
  // A unit is released whole in one step, its MemoryHigh lifted before the thaw: a task frozen over
  // its MemoryHigh would otherwise sleep off the kernel's over-high penalty (up to 2 s of memory stall)
  // as soon as it is thawed, and that stall is pressure again.
  const std::string unit = next.units[*releasable].unit;
  while (*releasable < next.units.size() && next.units[*releasable].unit == unit) {
    decision.actions.push_back(releaseOne(next, *releasable, why));
  }
  recordAction(next, snapshot.now);
  next.releasing = true;
}

// The ladder of an operator's throttle: the unit's workload's, or throttle then freeze for a unit no
// workload with actions names.
const policy::Workload& operatorLadder(const policy::Policy& policy, std::string_view unit) {
  static const policy::Workload fallback = [] {
    policy::Workload workload;
    workload.actions = {{policy::WorkloadAction::kThrottle, {}}, {policy::WorkloadAction::kFreeze, {}}};
    return workload;
  }();
  const policy::Workload* named = policy::workloadFor(policy, unit);
  return named != nullptr && !named->actions.empty() ? *named : fallback;
}

}  // namespace

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

std::vector<std::string> memoryHighWanted(const Snapshot& snapshot, const ControllerState& state,
                                          const policy::Policy& policy, const Capabilities& capabilities) {
  // The stages decide() goes through before it climbs, on the same figures: it climbs when this asks,
  // and the unit asked for.
  Decision timing;
  timing.state = state;
  timeTriggers(snapshot, policy, timing);
  if (timing.triggers.empty() || escalationWait(timing, snapshot.now, policy.pressure)) return {};
  for (const auto& candidate : candidatesOf(snapshot, policy)) {
    const std::string& unit = candidate.figures->unit;
    const Rung* rung = nextRung(unit, state.find(unit), *candidate.workload, policy, capabilities, nullptr);
    if (rung == nullptr) continue;  // at the top of its ladder: the next candidate climbs
    if (rung->reads_memory_high) return {unit};
    return {};
  }
  return {};
}

std::vector<Climbable> climbable(const Snapshot& snapshot, const ControllerState& state,
                                 const policy::Policy& policy, const Capabilities& capabilities) {
  std::vector<Climbable> found;
  for (const auto& candidate : candidatesOf(snapshot, policy)) {
    Climbable entry{candidate.figures, candidate.workload, {}};
    const int top = topRank(state.find(candidate.figures->unit));
    for (const auto& step : candidate.workload->actions) {
      const Rung& rung = rungOf(step.value);
      if (static_cast<int>(rankOf(rung)) > top && rung.allowed(policy) && rung.lacking(capabilities).empty())
        entry.rungs.push_back(&rung);
    }
    if (!entry.rungs.empty()) found.push_back(std::move(entry));
  }
  return found;
}

Decision decide(const Snapshot& snapshot, const ControllerState& state, const policy::Policy& policy,
                const Capabilities& capabilities) {
  Decision decision;
  decision.state = state;
  timeTriggers(snapshot, policy, decision);
  if (!decision.triggers.empty()) {
    escalateUnderPressure(snapshot, policy, capabilities, decision);
  } else {
    releaseWhenDue(snapshot, policy.pressure, decision);
  }
  return decision;
}

bool operatorThrottleReadsMemoryHigh(const SnapshotUnit& unit, const ControllerState& state,
                                     const policy::Policy& policy, const Capabilities& capabilities,
                                     std::string_view self_unit) {
  if (!mayActOn(unit.unit, unit.manager, policy, self_unit)) return false;
  const Rung* rung = nextRung(unit.unit, state.find(unit.unit), operatorLadder(policy, unit.unit), policy,
                              capabilities, nullptr);
  return rung != nullptr && rung->reads_memory_high;
}

OperatorDecision decideOperatorThrottle(const SnapshotUnit& unit, const ControllerState& state,
                                        const policy::Policy& policy, const Capabilities& capabilities,
                                        std::string_view self_unit, Clock::time_point now) {
  OperatorDecision decision;
  decision.state = state;
  if (auto why = whyNotActedOn(unit.unit, unit.manager, policy, self_unit)) {
    decision.refusal = "Refusing to throttle " + unit.unit + ": " + *why;
    return decision;
  }
  std::vector<Unavailable> unavailable;
  const Ladder ladder{policy, capabilities, "asked by an operator", false};
  auto action = climb(unit, operatorLadder(policy, unit.unit), ladder, decision.state, unavailable,
                      decision.unobserved);
  if (!action) {
    decision.refusal =
        unavailable.empty() ? unit.unit + " is already at the top of its ladder" : unavailable.back().reason;
    return decision;
  }
  if (decision.unobserved) return decision;
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
