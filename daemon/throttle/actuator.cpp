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

}  // namespace

Result<std::unique_ptr<Actuator>> Actuator::open(UnitRuntime& units, SystemdManager& systemd,
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
  const Status done =
      isEscalation(action.kind) ? escalate(action, after, origin, record) : release(action, record);
  record.ok = done.ok();
  if (!done) record.error = done.error().message;
  return record;
}

Status Actuator::escalate(const Action& action, const ControllerState& after, const std::string& origin,
                          ActionRecord& record) {
  const Rung& rung = rungOf(action.kind);
  const ChangeKind& change = changeKindOf(rung);
  ChangeIntent intent;
  intent.txn = ChangeJournal::newTransactionId();
  intent.kind = std::string(rung.journal_kind);
  intent.target = action.unit;
  intent.after = {{"origin", origin}};
  if (!boot_id_.empty()) intent.after["boot_id"] = boot_id_;
  (this->*change.intend)(action, after, intent, record);
  auto seq = journal_->recordIntent(intent);
  if (!seq)
    return Error{"Refusing to " + std::string(toString(action.kind)) + " " + action.unit +
                 " unrecorded: " + seq.error().message};
  const Status done = (this->*change.make)(action);
  // The change is made or not whatever the journal says next: an outcome it cannot take leaves the
  // intent pending, which the next reconcile checks against systemd.
  warnIfFailed(journal_->recordOutcome(*seq, done ? ChangeState::kDone : ChangeState::kFailed));
  if (!done) {
    warnIfFailed(journal_->markReverted(*seq));  // nothing to undo
    return done;
  }
  // What this rung ends has nothing left to undo: a stopped unit is frozen no more.
  if (rung.ends) markRevertedAll(action.unit, rungOf(*rung.ends).journal_kind);
  return done;
}

Status Actuator::release(const Action& action, ActionRecord& record) {
  // The escalation this undoes, newest first.
  const Rung& rung = rungOf(action.kind);
  std::optional<Change> made;
  for (const auto& change : journal_->pendingForRevert()) {
    if (change.target == action.unit && change.kind == rung.journal_kind) {
      made = change;
      break;
    }
  }
  Status done = (this->*changeKindOf(rung).undo)(action, made, record);
  // A unit systemd no longer has has nothing left to undo.
  if (!done && done.error().kind == ErrorKind::kNotFound) {
    spdlog::info("{}, ignoring", done.error().message);
    done = ok();
  }
  if (done && made) warnIfFailed(journal_->markReverted(made->seq));
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

// memory_high: MemoryHigh set, the one it replaced kept to be put back.

void Actuator::intendMemoryHigh(const Action& action, const ControllerState& after, ChangeIntent& intent,
                                ActionRecord&) {
  const UnitState* unit = after.find(action.unit);
  intent.before = {{"memory_high_bytes", bytesOrNull(unit ? unit->prior_memory_high_bytes : std::nullopt)}};
  intent.after["memory_high_bytes"] = bytesOrNull(action.memory_high_bytes);
}

Status Actuator::setMemoryHigh(const Action& action) {
  return units_.setMemoryHigh(action.unit, action.memory_high_bytes);
}

Status Actuator::restoreMemoryHigh(const Action& action, const std::optional<Change>& made, ActionRecord&) {
  if (made) {
    // Someone set MemoryHigh since the throttle (systemctl set-property): theirs stands.
    const auto set = bytesOf(made->after, "memory_high_bytes");
    if (auto now = units_.memoryHigh(action.unit); now && *now != set) {
      spdlog::info("MemoryHigh of {} was changed since jmemd throttled it: left as it is", action.unit);
      return ok();
    }
  }
  return setMemoryHigh(action);
}

Actuator::Found Actuator::adoptMemoryHigh(const Change& change, ControllerState& state) {
  const std::string& unit = change.target;
  auto now = units_.memoryHigh(unit);
  if (!now && now.error().kind == ErrorKind::kNotFound) return {false, now.error().message};
  const auto set = bytesOf(change.after, "memory_high_bytes");
  if (now && *now != set) return {false, "MemoryHigh was changed since"};
  auto& adopted = state.entryFor(unit);
  adopted.memory_high_bytes = set;
  adopted.prior_memory_high_bytes = bytesOf(change.before, "memory_high_bytes");
  if (!now) return {true, unit + ": throttle adopted, unchecked (" + now.error().message + ")"};
  return {true, unit + ": still throttled, adopted"};
}

// freeze: by the device's freeze method, recorded so that the thaw is done the same way.

void Actuator::intendFreeze(const Action&, const ControllerState&, ChangeIntent& intent,
                            ActionRecord& record) {
  record.method = std::string(toString(freeze_));
  intent.after["method"] = record.method;
}

Status Actuator::freeze(const Action& action) {
  if (freeze_ == FreezeMethod::kStopSignal) return units_.signalAll(action.unit, SIGSTOP);
  if (freeze_ == FreezeMethod::kCgroupFreezer) return settled(action.unit, units_.freeze(action.unit), true);
  return Error{.message = "Failed to freeze " + action.unit + ": this device cannot freeze units",
               .kind = ErrorKind::kUnavailable};
}

Status Actuator::thaw(const Action& action, const std::optional<Change>& made, ActionRecord& record) {
  FreezeMethod method = freeze_;
  if (made) method = parseFreezeMethod(textOf(made->after, "method")).value_or(freeze_);
  record.method = std::string(toString(method));
  if (method == FreezeMethod::kStopSignal) return units_.signalAll(action.unit, SIGCONT);
  return settled(action.unit, units_.thaw(action.unit), false);
}

Actuator::Found Actuator::adoptFreeze(const Change& change, ControllerState& state) {
  const std::string& unit = change.target;
  const auto method = parseFreezeMethod(textOf(change.after, "method")).value_or(FreezeMethod::kNone);
  if (method == FreezeMethod::kStopSignal) {
    // Stopped processes cannot be told from ones stopped by others: thaw rather than guess.
    auto thawed = units_.signalAll(unit, SIGCONT);
    return {false,
            thawed ? "sent SIGCONT: a stop signal's freeze cannot be verified" : thawed.error().message};
  }
  auto freezer = units_.freezerState(unit);
  if (!freezer && freezer.error().kind == ErrorKind::kNotFound) return {false, freezer.error().message};
  if (freezer && *freezer != "frozen" && *freezer != "freezing") {
    return {false, "its freezer state is " + *freezer};
  }
  state.entryFor(unit).frozen = true;
  if (!freezer) return {true, unit + ": freeze adopted, unchecked (" + freezer.error().message + ")"};
  return {true, unit + ": still frozen, adopted"};
}

// stop: a stop job, undone by a start job.

void Actuator::intendStop(const Action&, const ControllerState&, ChangeIntent&, ActionRecord&) {}

Status Actuator::stop(const Action& action) {
  auto job = systemd_.stopUnit(action.unit);
  if (!job) return job.error();
  return ok();
}

Status Actuator::start(const Action& action, const std::optional<Change>&, ActionRecord&) {
  auto job = systemd_.startUnit(action.unit);
  if (!job) return job.error();
  return ok();
}

Actuator::Found Actuator::adoptStop(const Change& change, ControllerState& state) {
  const std::string& unit = change.target;
  // A stop is adopted only when systemd says it holds: a release would start the unit.
  auto active = units_.activeState(unit);
  if (!active) return {false, active.error().message};
  if (*active != "inactive" && *active != "failed" && *active != "deactivating") {
    return {false, "it is " + *active};
  }
  state.entryFor(unit).stopped = true;
  return {true, unit + ": still stopped, adopted"};
}

const std::array<Actuator::ChangeKind, kRungCount> Actuator::kChangeKinds = [] {
  const ChangeKind rows[] = {
      {policy::WorkloadAction::kThrottle, &Actuator::intendMemoryHigh, &Actuator::setMemoryHigh,
       &Actuator::restoreMemoryHigh, &Actuator::adoptMemoryHigh},
      {policy::WorkloadAction::kFreeze, &Actuator::intendFreeze, &Actuator::freeze, &Actuator::thaw,
       &Actuator::adoptFreeze},
      {policy::WorkloadAction::kStop, &Actuator::intendStop, &Actuator::stop, &Actuator::start,
       &Actuator::adoptStop},
  };
  // A rung without a row would not build, rather than be carried out by another rung's functions.
  static_assert(sizeof rows / sizeof rows[0] == kRungCount, "every rung needs a change kind");
  std::array<ChangeKind, kRungCount> table{};
  std::copy(std::begin(rows), std::end(rows), table.begin());
  return table;
}();

const Actuator::ChangeKind& Actuator::changeKindOf(const Rung& rung) {
  for (const ChangeKind& kind : kChangeKinds) {
    if (kind.rung == rung.action) return kind;
  }
  return kChangeKinds.back();
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
  const Rung* rung = rungOfJournalKind(change.kind);
  if (rung == nullptr) return letGo("unknown kind");
  // A unit systemd does not know has nothing left in effect; any other error leaves the answer
  // unknown, and a throttle or freeze is then adopted, to be released as if it held (both are
  // idempotent), rather than left in force with nobody to lift it.
  const Found found = (this->*changeKindOf(*rung).adopt)(change, state);
  if (!found.held) return letGo(found.note);
  auto& adopted = state.entryFor(unit);
  adopted.by_operator = adopted.by_operator || textOf(change.after, "origin") == "operator";
  return found.note;
}

}  // namespace jmem::throttle
