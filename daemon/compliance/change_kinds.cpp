// How each planned change is made (what the journal records before it, then the change) and how a
// record of it is undone: one pair per change kind, and the table that names them.
#include <unistd.h>

#include <array>
#include <cerrno>

#include "compliance/applier.h"
#include "compliance/boot_revert.h"
#include "core/file_reader.h"
#include "sources/atomic_file.h"
#include "sources/extlinux.h"

namespace jmem::compliance {
namespace {

using Kind = PlannedChange::Kind;

template <typename T>
Status asStatus(const Result<T>& result) {
  if (!result) return result.error();
  return ok();
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

}  // namespace jmem::compliance
