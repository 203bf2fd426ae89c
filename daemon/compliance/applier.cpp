#include "compliance/applier.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <set>

#include "compliance/boot_revert.h"
#include "core/file_reader.h"
#include "core/text.h"
#include "sources/atomic_file.h"
#include "sources/extlinux.h"

namespace jmem::compliance {
namespace {

using Kind = PlannedChange::Kind;
using nlohmann::json;

// Newest first, except that units are started again only after every unit file is restored: a unit
// that was masked and then stopped cannot start before it is unmasked.
std::vector<Change> revertOrder(std::vector<Change> pending) {
  std::stable_partition(pending.begin(), pending.end(),
                        [](const Change& c) { return c.kind != "unit_active"; });
  return pending;
}

template <typename T>
Status asStatus(const Result<T>& result) {
  if (!result) return result.error();
  return ok();
}

// Records of jmem 0.1.0 say "active (loaded)": the load state in parentheses is not part of it.
bool isRunning(const std::string& active_state) {
  const std::string state = active_state.substr(0, active_state.find(' '));
  return state == "active" || state == "activating" || state == "reloading";
}

// The link an operator or a package may have set; "" when there is none, nullopt when something else
// (a file, an unreadable directory) is there and the record cannot promise to restore it.
std::optional<std::string> etcDefaultTargetLink(const std::filesystem::path& path) {
  std::array<char, 4096> buffer{};
  const ssize_t length = ::readlink(path.c_str(), buffer.data(), buffer.size());
  if (length >= 0 && static_cast<std::size_t>(length) < buffer.size())
    return std::string(buffer.data(), static_cast<std::size_t>(length));
  if (length < 0 && errno == ENOENT) return std::string();
  return std::nullopt;
}

}  // namespace

std::filesystem::path Applier::onRoot(const std::string& path) const {
  return root_ / std::filesystem::path(path).relative_path();
}

// kSetDefaultTarget, journaled as default_target: systemctl set-default and back.
std::function<Status()> Applier::setDefaultTarget(const PlannedChange& change, const std::string&,
                                                  const std::string&, ChangeIntent& intent) {
  intent.before = {{"target", change.before}};
  // Revert restores the link's absence too, not only the target it resolves to.
  if (auto link = etcDefaultTargetLink(onRoot(kEtcDefaultTarget)))
    if (link->empty() || link->ends_with("/" + change.before)) intent.before["etc_link"] = *link;
  intent.after = {{"target", change.after}};
  return [this, &change] { return asStatus(systemd_.setDefaultTarget(change.after)); };
}

// kMaskUnit and kDisableUnit, journaled as unit_file: unmasked or enabled again on revert.
std::function<Status()> Applier::changeUnitFile(const PlannedChange& change, const std::string&,
                                                const std::string& active_before, ChangeIntent& intent) {
  const bool mask = change.kind == Kind::kMaskUnit;
  // Whether it ran: a crash between this change and the stop leaves no stop to undo, and unmasking
  // a masked unit that still runs leaves systemd thinking it stopped.
  intent.before = {{"unit_file_state", change.before}, {"active_state", active_before}};
  intent.after = {{"action", mask ? "mask" : "disable"}};
  return [this, &change, mask] {
    auto done = mask ? asStatus(systemd_.maskUnitFiles({change.subject}))
                     : asStatus(systemd_.disableUnitFiles({change.subject}));
    if (!done) return done;
    return systemd_.reload();
  };
}

// kStopUnit, journaled as unit_active: started again on revert if it ran.
std::function<Status()> Applier::stopUnit(const PlannedChange& change, const std::string&, const std::string&,
                                          ChangeIntent& intent) {
  intent.before = {{"active_state", change.before}};
  intent.after = {{"active_state", "inactive"}};
  return [this, &change] { return asStatus(systemd_.stopUnit(change.subject, std::chrono::seconds(60))); };
}

Result<Undone> Applier::undoStopUnit(const Change& change) {
  if (!isRunning(change.before.value("active_state", ""))) return Undone{"reverted", false, {}};
  return startAgain(change.target);
}

// kMaskUserUnit, journaled as global_user_mask: a mask in the global user unit directory.
std::function<Status()> Applier::maskUserUnit(const PlannedChange& change, const std::string&,
                                              const std::string&, ChangeIntent& intent) {
  intent.before = {{"masked", false}};
  intent.after = {{"masked", true}};
  return [this, &change] { return asStatus(user_units_.maskGlobal(change.subject)); };
}

Result<Undone> Applier::undoMaskUserUnit(const Change& change) {
  if (change.before.value("masked", false)) return Undone{"reverted", false, {}};
  if (auto unmasked = user_units_.unmaskGlobal(change.target); !unmasked) return unmasked.error();
  return Undone{"reverted", false, {}};
}

// kEditBootArguments, journaled as file: extlinux.conf written with a backup to revert from.
std::function<Status()> Applier::editBootArguments(const PlannedChange& change, const std::string& txn,
                                                   const std::string&, ChangeIntent& intent) {
  const auto backup = state_dir_ / kBackupDirectory / backupName(txn);
  intent.before = {{"backup", backup.string()}, {"append", change.before}};
  intent.after = {{"append", change.after}};
  if (auto config = readExtlinux(onRoot(change.subject)))
    intent.after["label"] = config->defaultEntry()->label.text;
  return [this, &change, backup]() -> Status {
    // Made 0700 or checked as the state directory is: the backup is written there as root.
    auto backups =
        openPrivateDirectoryAt(journal_.directoryFd(), kBackupDirectory, backup.parent_path().string());
    if (!backups) return backups.error();
    auto config = readExtlinux(onRoot(change.subject));
    if (!config) return config.error();
    auto text = withDefaultAppend(*config, change.after);
    if (!text) return text.error();
    return writeFileAtomically(onRoot(change.subject), *text, backup);
  };
}

const std::array<Applier::ChangeKind, 6> Applier::kChangeKinds{{
    {Kind::kSetDefaultTarget, "default_target", &Applier::setDefaultTarget, &Applier::undoDefaultTarget},
    {Kind::kMaskUnit, "unit_file", &Applier::changeUnitFile, &Applier::undoUnitFile},
    {Kind::kDisableUnit, "unit_file", &Applier::changeUnitFile, &Applier::undoUnitFile},
    {Kind::kStopUnit, "unit_active", &Applier::stopUnit, &Applier::undoStopUnit},
    {Kind::kMaskUserUnit, "global_user_mask", &Applier::maskUserUnit, &Applier::undoMaskUserUnit},
    {Kind::kEditBootArguments, "file", &Applier::editBootArguments, &Applier::undoFile},
}};

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
    if (change.kind == Kind::kStopUnit) active_before[change.subject] = change.before;
  std::vector<ChangeResult> results;
  for (const PlannedChange& change : plan.changes) {
    ChangeResult result;
    const auto was = active_before.find(change.subject);
    const Status made = make(change, txn, was == active_before.end() ? "" : was->second, result);
    results.push_back(result);
    if (made) {
      spdlog::info("Applied {} {} (was {})", toString(change.kind), change.subject, change.before);
      continue;
    }
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

Undone Applier::startAgain(const std::string& unit) {
  auto started = systemd_.startUnit(unit, std::chrono::seconds(60));
  // A unit uninstalled since has nothing left to start: the stop is as undone as it can be.
  if (!started && started.error().kind == ErrorKind::kNotFound)
    return Undone{unit + " is no longer installed: nothing to start", false, {}};
  if (!started) return Undone{"not started again: " + started.error().message, true, {}};
  const std::string now = started->unit ? started->unit->active_state : std::string("unknown");
  if (!isRunning(now)) return Undone{"started " + unit + " again, but it is " + now, true, {}};
  return Undone{"reverted; " + unit + " is " + now + " again", false, {}};
}

Result<Undone> Applier::undoDefaultTarget(const Change& change) {
  const std::string before = change.before.value("target", "");
  const std::string after = change.after.value("target", "");
  auto current = systemd_.defaultTarget();
  if (!current) return current.error();
  if (*current != after && *current != before)
    return Undone{"not reverted: the default target was set to " + *current + " after jmem set " + after +
                      "; left as it is (before jmem's change it was " + before + ")",
                  true,
                  {}};
  Status status = ok();
  if (change.before.contains("etc_link") && change.before.value("etc_link", "").empty()) {
    // There was no link in /etc: the vendor's default.target decided. Remove the link set_default made.
    status = asStatus(systemd_.disableUnitFiles({"default.target"}));
    if (status) status = systemd_.reload();
  } else {
    status = asStatus(systemd_.setDefaultTarget(before));
  }
  if (!status) return status.error();
  auto now = systemd_.defaultTarget();
  if (!now) return now.error();
  if (*now != before) return Error{"the default target is " + *now + " after the revert, not " + before};
  return Undone{"reverted; the default target is " + before + " again", false, {}};
}

Result<Undone> Applier::undoUnitFile(const Change& change) {
  const std::string action = change.after.value("action", "");
  const std::string before = change.before.value("unit_file_state", "");
  Status status = ok();
  if (action == "mask" && before != "masked") status = asStatus(systemd_.unmaskUnitFiles({change.target}));
  if (status && (before == "enabled" || before == "enabled-runtime") && action == "disable")
    status = asStatus(systemd_.enableUnitFiles({change.target}));
  if (status) status = systemd_.reload();
  if (!status) return status.error();
  // Started, if it ran, only once every unit file is restored: its dependencies may be masked still.
  if (isRunning(change.before.value("active_state", ""))) return Undone{"reverted", false, change.target};
  return Undone{"reverted", false, {}};
}

Result<Undone> Applier::undoFile(const Change& change) {
  // The record names its backup STATE_DIR/backup/extlinux.conf.TXN (screened); it is read through
  // the checked directory, never following a link.
  const std::filesystem::path backup = change.before.value("backup", "");
  const std::string backups_display = (state_dir_ / kBackupDirectory).string();
  auto backups = openPrivateDirectoryAt(journal_.directoryFd(), kBackupDirectory, backups_display);
  if (!backups) return backups.error();
  auto content = readPrivateFileAt(backups->get(), backupName(change.txn), kMaxBackupBytes, backup.string());
  if (!content && content.error().kind == ErrorKind::kNotFound) {
    // The backup is written before the file: without it, an edit that was not done never happened,
    // but one that was done cannot be undone.
    if (change.state != ChangeState::kDone) return Undone{"nothing was written", false, {}};
    return Undone{"not reverted: its backup " + backup.string() + " is gone, so jmem's edit of " +
                      change.target + " (" + change.after.value("append", "") +
                      ") cannot be undone; edit the file by hand",
                  true,
                  {}};
  }
  if (!content) return content.error();
  const auto path = onRoot(change.target);
  auto current = readWholeFile(path, kMaxExtlinuxBytes);
  if (!current) return current.error();
  std::optional<std::string> label;
  if (change.after.contains("label")) label = change.after.value("label", "");
  auto how = planBootRevert(*content, *current, change.before.value("append", ""),
                            change.after.value("append", ""), label);
  if (!how) return how.error();
  if (how->kind == BootRevert::Kind::kAlreadyUndone)
    return Undone{"nothing to undo: " + how->detail, false, {}};
  if (how->kind == BootRevert::Kind::kConflict)
    return Undone{"not reverted: " + change.target + " changed since jmem wrote it: " + how->detail +
                      "; nothing was written. The file before jmem's change is " + backup.string() +
                      "; edit the file by hand, then revert again",
                  true,
                  {}};
  const std::string kept = backup.string() + ".before-revert";
  if (auto written = writeFileAtomically(path, how->text, kept); !written) return written.error();
  return Undone{how->detail + " (the file as it was: " + kept + ")", false, {}};
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
    spdlog::info("Reverted {} {}: {}", change.kind, change.target, undone->detail);
    results.push_back(result);
  }
  for (auto& failed : startUnitsThatRan(to_start)) results.push_back(std::move(failed));
  return results;
}

}  // namespace jmem::compliance
