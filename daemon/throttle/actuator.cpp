#include "throttle/actuator.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

#include "core/clock.h"
#include "throttle/journal_schema.h"

namespace jmem::throttle {
namespace {

nlohmann::json bytesOrNull(const std::optional<std::uint64_t>& bytes) {
  return bytes ? nlohmann::json(*bytes) : nlohmann::json(nullptr);
}

std::optional<std::uint64_t> bytesOf(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

std::string textOf(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The journal refusing a later line leaves the change recorded as pending: the next reconcile looks
// at it again, so a warning is enough.
void warnIfFailed(const Status& status) {
  if (!status) spdlog::warn("{}", status.error().message);
}

// The escalation a release undoes.
ActionKind undoneBy(ActionKind release) {
  switch (release) {
    case ActionKind::kThaw:
      return ActionKind::kFreeze;
    case ActionKind::kStart:
      return ActionKind::kStop;
    default:
      return ActionKind::kThrottle;
  }
}

}  // namespace

std::string_view journalKind(ActionKind kind) {
  switch (kind) {
    case ActionKind::kThrottle:
    case ActionKind::kRestoreMemoryHigh:
      return "memory_high";
    case ActionKind::kFreeze:
    case ActionKind::kThaw:
      return "freeze";
    case ActionKind::kStop:
    case ActionKind::kStart:
      return "stop";
  }
  return "unknown";
}

Result<std::unique_ptr<Actuator>> Actuator::open(UnitControl& units, SystemdManager& systemd,
                                                 const std::filesystem::path& journal_dir,
                                                 FreezeMethod freeze, std::string boot_id) {
  auto journal = ChangeJournal::open(journal_dir);
  if (!journal) return journal.error();
  for (const auto& problem : (*journal)->problems()) {
    if (problem.repaired) {
      spdlog::warn("{}", (*journal)->describe(problem));
    } else {
      spdlog::error("{} (set aside: not acted on)", (*journal)->describe(problem));
    }
  }
  return std::unique_ptr<Actuator>(
      new Actuator(units, systemd, std::move(*journal), freeze, std::move(boot_id)));
}

ActionRecord Actuator::carryOut(const Action& action, const ControllerState& after,
                                const std::string& origin) {
  ActionRecord record;
  record.action = action;
  record.origin = origin;
  record.time_usec = realtimeUsec();
  if (action.kind == ActionKind::kFreeze || action.kind == ActionKind::kThaw) {
    record.method = std::string(toString(freeze_));
  }
  const Status done =
      isEscalation(action.kind) ? escalate(action, after, origin, record) : release(action, record);
  record.ok = done.ok();
  if (!done) record.error = done.error().message;
  return record;
}

Status Actuator::escalate(const Action& action, const ControllerState& after, const std::string& origin,
                          ActionRecord& record) {
  ChangeIntent intent;
  intent.txn = ChangeJournal::newTransactionId();
  intent.kind = std::string(journalKind(action.kind));
  intent.target = action.unit;
  intent.after = {{"origin", origin}};
  if (!boot_id_.empty()) intent.after["boot_id"] = boot_id_;
  if (action.kind == ActionKind::kThrottle) {
    const UnitState* unit = after.find(action.unit);
    intent.before = {{"memory_high_bytes", bytesOrNull(unit ? unit->prior_memory_high_bytes : std::nullopt)}};
    intent.after["memory_high_bytes"] = bytesOrNull(action.memory_high_bytes);
  } else if (action.kind == ActionKind::kFreeze) {
    intent.after["method"] = record.method;
  }
  auto seq = journal_->recordIntent(intent);
  if (!seq)
    return Error{"Refusing to " + std::string(toString(action.kind)) + " " + action.unit +
                 " unrecorded: " + seq.error().message};
  const Status done = act(action, freeze_);
  // The change is made or not whatever the journal says next: an outcome it cannot take leaves the
  // intent pending, which the next reconcile checks against systemd.
  warnIfFailed(journal_->recordOutcome(*seq, done ? ChangeState::kDone : ChangeState::kFailed));
  if (!done) {
    warnIfFailed(journal_->markReverted(*seq));  // nothing to undo
    return done;
  }
  // A stopped unit is frozen no more: its freeze has nothing left to undo.
  if (action.kind == ActionKind::kStop) markRevertedAll(action.unit, "freeze");
  return done;
}

Status Actuator::release(const Action& action, ActionRecord& record) {
  // The escalation this undoes, newest first; a freeze is thawed the way it was made.
  std::optional<Change> undone;
  for (const auto& change : journal_->pendingForRevert()) {
    if (change.target == action.unit && change.kind == journalKind(undoneBy(action.kind))) {
      undone = change;
      break;
    }
  }
  FreezeMethod method = freeze_;
  if (undone && action.kind == ActionKind::kThaw) {
    method = parseFreezeMethod(textOf(undone->after, "method")).value_or(freeze_);
    record.method = std::string(toString(method));
  }
  if (undone && action.kind == ActionKind::kRestoreMemoryHigh) {
    // Someone set MemoryHigh since the throttle (systemctl set-property): theirs stands.
    const auto set = bytesOf(undone->after, "memory_high_bytes");
    if (auto now = units_.memoryHigh(action.unit); now && *now != set) {
      spdlog::info("MemoryHigh of {} was changed since jmemd throttled it: left as it is", action.unit);
      warnIfFailed(journal_->markReverted(undone->seq));
      return ok();
    }
  }
  Status done = act(action, method);
  // A unit systemd no longer has has nothing left to undo.
  if (!done && done.error().errno_value == ENOENT) done = ok();
  if (done && undone) warnIfFailed(journal_->markReverted(undone->seq));
  return done;
}

// systemd answers FreezeUnit and ThawUnit once the cgroup has settled; under memory pressure that can
// outlast the call's timeout while the change still happens: the freezer's state then says.
Status Actuator::settled(const std::string& unit, Status done, bool freezing) {
  if (done || done.error().errno_value != ETIMEDOUT) return done;
  auto state = units_.freezerState(unit);
  if (!state) return done;
  const bool reached =
      freezing ? (*state == "frozen" || *state == "freezing") : (*state == "running" || *state == "thawing");
  return reached ? ok() : done;
}

Status Actuator::act(const Action& action, FreezeMethod freeze) {
  switch (action.kind) {
    case ActionKind::kThrottle:
    case ActionKind::kRestoreMemoryHigh:
      return units_.setMemoryHigh(action.unit, action.memory_high_bytes);
    case ActionKind::kFreeze:
      if (freeze == FreezeMethod::kStopSignal) return units_.signalAll(action.unit, SIGSTOP);
      if (freeze == FreezeMethod::kCgroupFreezer)
        return settled(action.unit, units_.freeze(action.unit), true);
      return Error{"Failed to freeze " + action.unit + ": this device cannot freeze units", EOPNOTSUPP};
    case ActionKind::kThaw:
      if (freeze == FreezeMethod::kStopSignal) return units_.signalAll(action.unit, SIGCONT);
      return settled(action.unit, units_.thaw(action.unit), false);
    case ActionKind::kStop: {
      auto job = systemd_.stopUnit(action.unit);
      if (!job) return job.error();
      return ok();
    }
    case ActionKind::kStart: {
      auto job = systemd_.startUnit(action.unit);
      if (!job) return job.error();
      return ok();
    }
  }
  return ok();
}

void Actuator::markRevertedAll(const std::string& unit, std::string_view kind) {
  for (const auto& change : journal_->pendingForRevert()) {
    if (change.target == unit && change.kind == kind) warnIfFailed(journal_->markReverted(change.seq));
  }
}

Reconciled Actuator::reconcile(const policy::Policy& policy, std::string_view self_unit) {
  Reconciled result;
  for (const auto& change : journal_->pendingForRevert()) {
    if (auto why = whyRejected(change, policy, self_unit)) {
      journal_->reject(change.seq, *why);
      const std::string where = journal_->path().string() + ":" + std::to_string(change.line);
      spdlog::error("{}: {} (set aside: not acted on)", where, *why);
    }
  }
  auto pending = journal_->pendingForRevert();
  std::reverse(pending.begin(), pending.end());  // oldest first: the order they were made in
  for (const auto& change : pending) result.notes.push_back(reconcileOne(change, result.state));
  // What is adopted is in effect now; what was let go needs nothing more. Lines set aside stay.
  if (pending.size() > result.state.units.size() && !journal_->damaged()) warnIfFailed(journal_->compact());
  return result;
}

std::string Actuator::reconcileOne(const Change& change, ControllerState& state) {
  const std::string& unit = change.target;
  const bool by_operator = textOf(change.after, "origin") == "operator";
  const auto letGo = [&](const std::string& why) {
    warnIfFailed(journal_->markReverted(change.seq));
    return unit + ": " + change.kind + " is no longer in effect (" + why + ")";
  };
  if (change.state == ChangeState::kFailed) return letGo("it failed");
  // Runtime properties, freezes and stops all end with the boot they were made in.
  if (const std::string made_in = textOf(change.after, "boot_id");
      !made_in.empty() && !boot_id_.empty() && made_in != boot_id_) {
    return letGo("made before the last reboot, which ended it");
  }
  // A unit systemd does not know has nothing left in effect; any other error leaves the answer
  // unknown, and a throttle or freeze is then adopted, to be released as if it held (both are
  // idempotent), rather than left in force with nobody to lift it.
  const auto unknown = [](const Error& error) { return error.errno_value != ENOENT; };

  if (change.kind == "memory_high") {
    auto now = units_.memoryHigh(unit);
    if (!now && !unknown(now.error())) return letGo(now.error().message);
    const auto set = bytesOf(change.after, "memory_high_bytes");
    if (now && *now != set) return letGo("MemoryHigh was changed since");
    auto& adopted = state.entryFor(unit);
    adopted.memory_high_bytes = set;
    adopted.prior_memory_high_bytes = bytesOf(change.before, "memory_high_bytes");
    adopted.by_operator = adopted.by_operator || by_operator;
    if (!now) return unit + ": throttle adopted, unchecked (" + now.error().message + ")";
    return unit + ": still throttled, adopted";
  }
  if (change.kind == "freeze") {
    const auto method = parseFreezeMethod(textOf(change.after, "method")).value_or(FreezeMethod::kNone);
    if (method == FreezeMethod::kStopSignal) {
      // Stopped processes cannot be told from ones stopped by others: thaw rather than guess.
      auto thawed = units_.signalAll(unit, SIGCONT);
      return letGo(thawed ? "sent SIGCONT: a stop signal's freeze cannot be verified"
                          : thawed.error().message);
    }
    auto freezer = units_.freezerState(unit);
    if (!freezer && !unknown(freezer.error())) return letGo(freezer.error().message);
    if (freezer && *freezer != "frozen" && *freezer != "freezing") {
      return letGo("its freezer state is " + *freezer);
    }
    auto& adopted = state.entryFor(unit);
    adopted.frozen = true;
    adopted.by_operator = adopted.by_operator || by_operator;
    if (!freezer) return unit + ": freeze adopted, unchecked (" + freezer.error().message + ")";
    return unit + ": still frozen, adopted";
  }
  if (change.kind == "stop") {
    // A stop is adopted only when systemd says it holds: a release would start the unit.
    auto active = units_.activeState(unit);
    if (!active) return letGo(active.error().message);
    if (*active != "inactive" && *active != "failed" && *active != "deactivating") {
      return letGo("it is " + *active);
    }
    auto& adopted = state.entryFor(unit);
    adopted.stopped = true;
    adopted.by_operator = adopted.by_operator || by_operator;
    return unit + ": still stopped, adopted";
  }
  return letGo("unknown kind");
}

}  // namespace jmem::throttle
