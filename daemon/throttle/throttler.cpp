#include "throttle/throttler.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/clock.h"
#include "core/file_writer.h"
#include "core/text.h"
#include "core/unique_fd.h"

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
  // Audit mode makes no room: requests of enforce mode end with it.
  while (!act && !rooms_.empty()) {
    const bool held = rooms_.front().phase == RoomPhase::kHolding;
    endRoom(
        held ? RoomOutcome::Kind::kHoldOver : RoomOutcome::Kind::kFailed,
        std::string(held ? "The room held" : "The request for room") + " ends: jmemd is in audit mode now");
  }
  const Capabilities capabilities = features_.capabilities();
  // Observe, then decide once on what was seen.
  readMemoryHigh(snapshot, memoryHighWanted(snapshot, state_, policy, capabilities));
  Decision decision = decide(snapshot, state_, policy, capabilities);
  show(decision);
  const bool releasing = !decision.actions.empty() && !isEscalation(decision.actions.front().kind);
  if (!act && !releasing) {
    audit(decision);
    status_.rooms.clear();
    return {};
  }
  auto records = carryOutStep(std::move(decision));
  if (act) stepRoom(snapshot, policy, records);
  status_.rooms.assign(rooms_.begin(), rooms_.end());
  return records;
}

Result<std::optional<RoomOutcome>> Throttler::askRoom(RoomRequest request, Snapshot snapshot,
                                                      const policy::Policy& policy, bool act) {
  if (!act) {
    const RoomDecision d = auditRoom(snapshot, state_, request, policy, features_.capabilities());
    return std::optional(
        RoomOutcome{d.step == RoomStep::kMade ? RoomOutcome::Kind::kMade : RoomOutcome::Kind::kFailed,
                    d.message, request});
  }
  if (rooms_.size() >= kMaxRoomRequests) {
    return Error{
        .message = "Refusing to make room: " + std::to_string(rooms_.size()) + " requests wait already",
        .errno_value = EBUSY,
        .kind = ErrorKind::kBusy};
  }
  rooms_.push_back(std::move(request));
  status_.rooms.assign(rooms_.begin(), rooms_.end());
  return std::optional<RoomOutcome>();
}

Status Throttler::dropCache() const {
  UniqueFd fd(::open(drop_caches_.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return Error{"cannot open " + drop_caches_.string() + ": " + std::strerror(errno), errno};
  return writeAll(fd.get(), "1\n", drop_caches_.string());
}

void Throttler::endRoom(RoomOutcome::Kind kind, std::string message) {
  RoomRequest& head = rooms_.front();
  // A failed request holds nothing; an ended hold lets go. What was acted on is the controller's to
  // release, as pressure allows.
  if (kind != RoomOutcome::Kind::kMade) {
    std::erase_if(state_.held, [&](const std::string& unit) {
      return std::find(head.units.begin(), head.units.end(), unit) != head.units.end();
    });
  }
  room_outcomes_.push_back({kind, std::move(message), head});
  // Room that was there already holds nothing: the next request need not wait.
  if (kind != RoomOutcome::Kind::kMade || head.units.empty()) rooms_.pop_front();
}

void Throttler::stepRoom(Snapshot& snapshot, const policy::Policy& policy,
                         std::vector<ActionRecord>& records) {
  // Those waiting behind another run out of time as they wait: their callers stop waiting too.
  for (auto it = rooms_.size() > 1 ? rooms_.begin() + 1 : rooms_.end(); it != rooms_.end();) {
    if (snapshot.now - it->asked_at < it->timeout) {
      ++it;
      continue;
    }
    room_outcomes_.push_back({RoomOutcome::Kind::kFailed,
                              "No room for " + roomFor(*it) + " within " +
                                  std::to_string(it->timeout.count()) +
                                  " s: it waited behind another request for room",
                              *it});
    it = rooms_.erase(it);
  }
  if (rooms_.empty()) return;
  RoomRequest& head = rooms_.front();
  if (head.phase == RoomPhase::kHolding) {
    if (holdOver(snapshot, head)) {
      endRoom(
          RoomOutcome::Kind::kHoldOver,
          "The room held for " + roomFor(head) + " is let go" +
              (head.units.empty() ? ""
                                  : ": " + join(head.units, ", ") + " may be released as pressure allows"));
    }
    return;
  }
  if (!records.empty()) return;  // one action a step: the controller's came first
  const Capabilities capabilities = features_.capabilities();
  if (auto unit = roomMemoryHighWanted(snapshot, state_, head, policy, capabilities))
    readMemoryHigh(snapshot, {*unit});
  RoomDecision d = decideRoom(snapshot, state_, head, policy, capabilities);
  switch (d.step) {
    case RoomStep::kWait:
      head = std::move(d.request);
      return;
    case RoomStep::kDropCache: {
      const Status dropped = dropCache();
      d.request.steps.push_back(dropped ? "dropped the clean page cache"
                                        : "could not drop the page cache (" + dropped.error().message + ")");
      head = std::move(d.request);
      return;
    }
    case RoomStep::kAct: {
      ActionRecord record = carryOut(*d.action, d.state, "make-room");
      records.push_back(record);
      if (!record.ok) {
        head = std::move(d.request);
        endRoom(RoomOutcome::Kind::kFailed,
                "No room made for " + roomFor(head) + ": " + record.error +
                    (head.steps.size() > 1 ? "; done before: " + join(head.steps, "; ") : ""));
        return;
      }
      state_ = std::move(d.state);
      if (std::find(state_.held.begin(), state_.held.end(), record.action.unit) == state_.held.end())
        state_.held.push_back(record.action.unit);
      status_.units = state_.units;
      head = std::move(d.request);
      return;
    }
    case RoomStep::kMade:
      head = std::move(d.request);
      endRoom(RoomOutcome::Kind::kMade, d.message);
      return;
    case RoomStep::kFailed:
      head = std::move(d.request);
      endRoom(RoomOutcome::Kind::kFailed, d.message);
      return;
  }
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
