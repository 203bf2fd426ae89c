#include "throttle/throttler.h"

#include <algorithm>

#include "core/clock.h"

namespace jmem::throttle {
namespace {

// An operator's request jmemd will not carry out: a decision, which the bus answers as Refused.
Error refused(std::string message) {
  return Error{.message = std::move(message), .kind = ErrorKind::kRefused};
}

}  // namespace

std::vector<std::string> Throttler::reconcile(const policy::Policy& policy, std::string_view self_unit) {
  Reconciled reconciled = actuator_->reconcile(policy, self_unit);
  state_.units = std::move(reconciled.state.units);
  status_.units = state_.units;
  return std::move(reconciled.notes);
}

// The units' own MemoryHigh, which a throttle must not raise and a release restores, read from systemd
// into the snapshot before the decision. Its MemoryHigh property, not the cgroup's memory.high: that
// is what a release puts back and what it checks for an operator's change, exactly as set (the
// kernel rounds memory.high to pages), and memory.high holds whatever anyone wrote there.
void Throttler::readMemoryHigh(Snapshot& snapshot, const std::vector<std::string>& units) {
  for (auto& figures : snapshot.units) {
    if (std::find(units.begin(), units.end(), figures.unit) == units.end()) continue;
    auto current = units_.memoryHigh(figures.unit);
    figures.memory_high =
        current ? OwnMemoryHigh::read(*current) : OwnMemoryHigh::unreadable(current.error().message);
  }
}

ActionRecord Throttler::remember(ActionRecord record) {
  const auto kind = static_cast<std::size_t>(record.action.kind);
  ++(record.ok ? status_.taken : status_.failed)[kind];
  status_.recent.push_back(record);
  while (status_.recent.size() > kRecentActions) status_.recent.pop_front();
  return record;
}

ActionRecord Throttler::carryOut(const Action& action, const ControllerState& after,
                                 const std::string& origin) {
  return remember(actuator_->carryOut(action, after, origin));
}

std::vector<ActionRecord> Throttler::step(Snapshot snapshot, const policy::Policy& policy, bool act) {
  const Capabilities capabilities = features_.capabilities();
  // Observe, then decide once on what was seen.
  readMemoryHigh(snapshot, memoryHighWanted(snapshot, state_, policy, capabilities));
  Decision decision = decide(snapshot, state_, policy, capabilities);
  show(decision);
  const bool releasing = !decision.actions.empty() && !isEscalation(decision.actions.front().kind);
  if (!act && !releasing) {
    audit(decision);
    return {};
  }
  return carryOutStep(std::move(decision));
}

void Throttler::show(const Decision& decision) {
  status_.phase = decision.phase;
  status_.triggers = decision.triggers;
  status_.waiting = decision.waiting;
  status_.unavailable = decision.unavailable;
  status_.would.clear();
  status_.would_units.clear();
  status_.would_steps.clear();
}

// Audit mode: what enforce mode would do is shown; only the timing of the triggers moves on, and
// nothing counts as applied.
void Throttler::audit(const Decision& decision) {
  for (const auto& action : decision.actions) {
    status_.would.push_back(action.reason);
    status_.would_units.push_back(action.unit);
    status_.would_steps.push_back(std::string(toString(action.kind)) + " " + action.unit);
  }
  if (decision.unobserved) {
    status_.would.push_back(decision.unobserved->action.reason + ": " + decision.unobserved->error);
    status_.would_units.push_back(decision.unobserved->action.unit);
  }
  state_.trigger_since = decision.state.trigger_since;
  state_.release_since = decision.state.release_since;
  state_.headroom = decision.state.headroom;
}

std::vector<ActionRecord> Throttler::carryOutStep(Decision decision) {
  std::vector<ActionRecord> records;
  if (decision.unobserved) {
    ActionRecord failed{decision.unobserved->action, "pressure",    "", false,
                        decision.unobserved->error,  realtimeUsec()};
    records.push_back(remember(std::move(failed)));
  }
  for (const auto& action : decision.actions) {
    if (!records.empty() && !records.back().ok) break;  // the rest would act on a half-done step
    records.push_back(carryOut(action, decision.state, "pressure"));
  }
  const bool all_ok = std::all_of(records.begin(), records.end(), [](const auto& r) { return r.ok; });
  // A failed action changed nothing: keep what is applied, but count the attempt against the rate
  // limits so that a failing unit is not retried every tick.
  if (!all_ok) decision.state.units = state_.units;
  state_ = std::move(decision.state);
  status_.units = state_.units;
  return records;
}

Result<std::vector<ActionRecord>> Throttler::throttleUnit(const std::string& unit, const Ledger* ledger,
                                                          const policy::Policy& policy,
                                                          const std::string& self_unit) {
  Snapshot snapshot;
  if (ledger) snapshot = snapshotOf(*ledger, Clock::now());
  snapshot.now = Clock::now();
  auto figures = std::find_if(snapshot.units.begin(), snapshot.units.end(), [&](const SnapshotUnit& f) {
    return f.unit == unit && isSystemManager(f.manager);
  });
  if (figures == snapshot.units.end()) {
    return refused("Refusing to throttle " + unit + ": no process of the system manager runs in it");
  }
  const Capabilities capabilities = features_.capabilities();
  // As in step(): observe, then decide once.
  if (operatorThrottleReadsMemoryHigh(*figures, state_, policy, capabilities, self_unit))
    readMemoryHigh(snapshot, {unit});
  OperatorDecision decision =
      decideOperatorThrottle(*figures, state_, policy, capabilities, self_unit, snapshot.now);
  if (decision.refusal) return refused(*decision.refusal);
  if (decision.unobserved) {
    return Error{"Refusing to throttle " + unit +
                 " without its own MemoryHigh: " + decision.unobserved->error};
  }
  return carryOutForOperator(std::move(decision));
}

Result<std::vector<ActionRecord>> Throttler::releaseUnit(const std::string& unit) {
  OperatorDecision decision = decideOperatorRelease(unit, state_);
  if (decision.refusal) return refused(*decision.refusal);
  return carryOutForOperator(std::move(decision));
}

Result<std::vector<ActionRecord>> Throttler::carryOutForOperator(OperatorDecision decision) {
  std::vector<ActionRecord> records;
  for (const auto& action : decision.actions) {
    records.push_back(carryOut(action, decision.state, "operator"));
    // The state stays as it was: every step is idempotent, so asking again retries what failed.
    if (!records.back().ok) return Error{records.back().error};
  }
  state_ = std::move(decision.state);
  status_.units = state_.units;
  return records;
}

std::vector<ActionRecord> Throttler::releaseForShutdown() {
  std::vector<ActionRecord> records;
  for (auto it = state_.units.rbegin(); it != state_.units.rend(); ++it) {
    const OperatorDecision decision = decideOperatorRelease(it->unit, state_);
    for (const auto& action : decision.actions) {
      if (rungOf(action.kind).kept_at_shutdown) continue;
      records.push_back(carryOut(action, decision.state, "shutdown"));
    }
  }
  return records;
}

}  // namespace jmem::throttle
