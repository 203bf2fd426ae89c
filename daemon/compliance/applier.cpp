#include "compliance/applier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/text.h"

namespace jmem::compliance {
namespace {

// Newest first, except that units are started again only after every unit file is restored: a unit
// that was masked and then stopped cannot start before it is unmasked.
std::vector<Change> revertOrder(std::vector<Change> pending) {
  std::stable_partition(pending.begin(), pending.end(),
                        [](const Change& c) { return c.kind != "unit_active"; });
  return pending;
}

}  // namespace

bool isRunning(const std::string& active_state) {
  const std::string state = active_state.substr(0, active_state.find(' '));
  return state == "active" || state == "activating" || state == "reloading";
}

Status Applier::make(const PlannedChange& change, const std::string& txn, const std::string& active_before,
                     ChangeResult& result) {
  const auto row = std::find_if(kChangeKinds.begin(), kChangeKinds.end(),
                                [&](const ChangeKind& kind) { return kind.planned == change.kind; });
  if (row == kChangeKinds.end()) return Error{"Failed to apply " + change.subject + ": an unknown change"};
  ChangeIntent intent;
  intent.txn = txn;
  intent.kind = std::string(row->journal_kind);
  intent.target = change.subject;
  const std::function<Status()> act = (this->*row->prepare)(change, txn, active_before, intent);
  result.kind = intent.kind;
  result.planned = change.kind;
  result.target = change.subject;
  result.detail = std::string(toString(change.kind)) + " (was " + change.before + ")";
  auto seq = journal_.recordIntent(intent);
  if (!seq) return seq.error();
  const Status done = act();
  if (auto recorded = journal_.recordOutcome(*seq, done ? ChangeState::kDone : ChangeState::kFailed);
      !recorded)
    return recorded.error();
  result.ok = done.ok();
  if (!done) result.detail = done.error().message;
  return done;
}

void screenJournal(ChangeJournal& journal, const RecordRules& rules) {
  for (const Change& change : journal.pendingForRevert()) {
    if (auto why = whyRejected(change, rules)) {
      spdlog::error("{}:{}: {} (set aside: not acted on)", journal.path().string(), change.line, *why);
      journal.reject(change.seq, *why);
    }
  }
}

std::vector<ChangeResult> Applier::refusedForDamage() const {
  std::vector<ChangeResult> results;
  for (const JournalProblem& problem : journal_.problems()) {
    if (problem.repaired) continue;
    const std::string where =
        journal_.path().string() + (problem.line ? ":" + std::to_string(problem.line) : std::string());
    results.push_back({"journal", where, problem.what, false, std::nullopt});
  }
  for (const Change& change : journal_.pendingForRevert()) {
    results.push_back({change.kind, sanitizeName(change.target),
                       "not reverted: the journal has lines set aside", false, std::nullopt});
  }
  results.push_back(
      {"journal", journal_.path().string(),
       "nothing was reverted: fix or remove the lines named above, restart jmemd and revert again", false,
       std::nullopt});
  return results;
}

Result<std::vector<ChangeResult>> Applier::apply(const Plan& plan, const RecordRules& rules) {
  screenJournal(journal_, rules);
  if (journal_.damaged()) {
    const auto first = std::find_if(journal_.problems().begin(), journal_.problems().end(),
                                    [](const JournalProblem& p) { return !p.repaired; });
    return Error{"Refusing to apply: " + journal_.path().string() +
                 " has lines set aside, so it may not say everything jmemd changed (" +
                 journal_.describe(*first) + "); `jmemctl revert` lists them"};
  }
  const std::string txn = ChangeJournal::newTransactionId();
  std::map<std::string, std::string> active_before;  // a unit's state before its planned stop
  for (const PlannedChange& change : plan.changes)
    if (change.kind == PlannedChange::Kind::kStopUnit) active_before[change.subject] = change.before;
  std::vector<ChangeResult> results;
  for (const PlannedChange& change : plan.changes) {
    ChangeResult result;
    const auto was = active_before.find(change.subject);
    const Status made = make(change, txn, was == active_before.end() ? "" : was->second, result);
    results.push_back(result);
    // What was made is logged by whoever asked (change_events.h); a failure here, as it is undone.
    if (made) continue;
    spdlog::error("Failed to {} {}: {}; undoing this apply", toString(change.kind), change.subject,
                  made.error().message);
    // Undo what this transaction did, so the device is as it was.
    std::vector<std::string> to_start;
    for (const Change& pending : revertOrder(journal_.pendingForRevert())) {
      if (pending.txn != txn) continue;
      auto undone = undo(pending);
      if (undone && !undone->refused) {
        (void)journal_.markReverted(pending.seq);
        if (undone->start_after) to_start.push_back(*undone->start_after);
      } else {
        spdlog::error("Failed to undo {} {}: {}", pending.kind, pending.target,
                      undone ? undone->detail : undone.error().message);
      }
    }
    (void)startUnitsThatRan(to_start);
    return Error{"Failed to " + std::string(toString(change.kind)) + " " + change.subject + ": " +
                 made.error().message + " (the changes made before it were undone)"};
  }
  return results;
}

Result<Undone> Applier::undo(const Change& change) {
  for (const ChangeKind& kind : kChangeKinds) {
    if (kind.journal_kind == change.kind) return (this->*kind.undo)(change);
  }
  return Error{"Unknown change kind \"" + change.kind + "\" in the journal"};
}

std::vector<ChangeResult> Applier::startUnitsThatRan(const std::vector<std::string>& units) {
  std::vector<ChangeResult> results;
  for (const std::string& unit : units) {
    if (auto state = systemd_.unitState(unit); state && isRunning(state->active_state)) continue;
    const Undone started = startAgain(unit);
    if (!started.refused) continue;
    spdlog::warn("Did not start {} again: {}", unit, started.detail);
    results.push_back({"unit_active", unit, "its unit file is restored, but it ran before: " + started.detail,
                       false, std::nullopt});
  }
  return results;
}

Result<std::vector<ChangeResult>> Applier::revert(const RecordRules& rules) {
  screenJournal(journal_, rules);
  if (journal_.damaged()) {
    auto refused = refusedForDamage();
    spdlog::error("Refusing to revert: {} has lines set aside; nothing was reverted",
                  journal_.path().string());
    return refused;
  }
  std::vector<ChangeResult> results;
  std::vector<std::string> to_start;
  std::set<std::string> refused_files;  // an older edit of a file is undone only after the newer ones
  for (const Change& change : revertOrder(journal_.pendingForRevert())) {
    ChangeResult result{change.kind, change.target, "reverted", false, std::nullopt};
    Result<Undone> undone = Error{"not undone"};
    if (change.kind == "file" && refused_files.count(change.target)) {
      undone = Undone{
          "not reverted: a newer edit of this file by jmem was not reverted; revert that first", true, {}};
    } else {
      try {
        undone = undo(change);
      } catch (const nlohmann::json::exception& e) {
        undone = Error{std::string("its record does not read as expected: ") + e.what()};
      }
    }
    if (!undone) {
      result.detail = undone.error().message;
      results.push_back(result);
      return Error{"Failed to revert " + change.kind + " " + change.target + ": " + undone.error().message};
    }
    result.detail = undone->detail;
    if (undone->refused) {
      // Its record stays pending for the operator; the changes to other things are still undone.
      spdlog::warn("Did not revert {} {}: {}", change.kind, change.target, undone->detail);
      if (change.kind == "file") refused_files.insert(change.target);
      results.push_back(result);
      continue;
    }
    if (auto marked = journal_.markReverted(change.seq); !marked) return marked.error();
    result.ok = true;
    if (undone->start_after) to_start.push_back(*undone->start_after);
    results.push_back(result);
  }
  for (auto& failed : startUnitsThatRan(to_start)) results.push_back(std::move(failed));
  return results;
}

}  // namespace jmem::compliance
