#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compliance/journal_schema.h"
#include "compliance/plan.h"
#include "state/change_journal.h"
#include "system/global_user_units.h"
#include "system/systemd_manager.h"

namespace jmem::compliance {

struct ChangeResult {
  std::string kind;  // the journal's kind: default_target, unit_file, unit_active, global_user_mask, file
  std::string target;
  std::string detail;  // "mask", "graphical.target -> multi-user.target", an error
  bool ok = false;
  std::optional<PlannedChange::Kind> planned;  // what apply was asked to do; empty for a revert
};

// What undoing one change did ("reverted; gdm3.service is active again"). A refusal leaves its record
// pending and the revert goes on with the others: something changed since that a person must decide
// on (the default target or extlinux.conf set otherwise), or a unit that does not come up again.
struct Undone {
  std::string detail;
  bool refused = false;
  std::optional<std::string> start_after;  // a unit that ran: start it once every unit file is restored
};

// Where systemctl set-default puts its link.
inline constexpr const char* kEtcDefaultTarget = "/etc/systemd/system/default.target";

// Makes planned changes and undoes them. Every change is recorded in the journal before it is made
// (write-ahead), so `revert` restores the prior state exactly, also after a crash halfway. A change
// that fails makes apply undo the changes of its own transaction: a failed apply leaves the device as
// it was.
//
// The journal is trusted only as far as it checks out: each pending record must be one apply could
// have written under `rules` (journal_schema.h), or it is set aside as damage. A journal with damage
// may not say everything that was done, so neither apply nor revert changes anything while it has
// any: revert answers with an item that failed for each line set aside ("changes.jsonl:7: why") and
// for each change it left alone, so that `jmemctl revert`, and the package removal behind it, stop.
class Applier {
 public:
  Applier(SystemdManager& systemd, const GlobalUserUnits& user_units, ChangeJournal& journal,
          std::filesystem::path state_dir, std::filesystem::path root = "/")
      : systemd_(systemd),
        user_units_(user_units),
        journal_(journal),
        state_dir_(std::move(state_dir)),
        root_(std::move(root)) {}

  Result<std::vector<ChangeResult>> apply(const Plan& plan, const RecordRules& rules);
  // Undoes every change not yet reverted, newest first; stops at the first that cannot be undone, but
  // goes on past an extlinux.conf edited since jmem wrote it (that item fails and stays pending).
  Result<std::vector<ChangeResult>> revert(const RecordRules& rules);

 private:
  std::vector<ChangeResult> refusedForDamage() const;
  // One row per planned change: its kind as journaled, how to make it (what the journal records
  // before it, then the change itself) and how to undo a record of it.
  struct ChangeKind {
    PlannedChange::Kind planned;
    std::string_view journal_kind;
    std::function<Status()> (Applier::*prepare)(const PlannedChange& change, const std::string& txn,
                                                const std::string& active_before, ChangeIntent& intent);
    Result<Undone> (Applier::*undo)(const Change& change);
  };
  static const std::array<ChangeKind, 6> kChangeKinds;

  Status make(const PlannedChange& change, const std::string& txn, const std::string& active_before,
              ChangeResult& result);
  Result<Undone> undo(const Change& change);
  std::function<Status()> setDefaultTarget(const PlannedChange& change, const std::string& txn,
                                           const std::string& active_before, ChangeIntent& intent);
  Result<Undone> undoDefaultTarget(const Change& change);
  std::function<Status()> changeUnitFile(const PlannedChange& change, const std::string& txn,
                                         const std::string& active_before, ChangeIntent& intent);
  Result<Undone> undoUnitFile(const Change& change);
  std::function<Status()> stopUnit(const PlannedChange& change, const std::string& txn,
                                   const std::string& active_before, ChangeIntent& intent);
  Result<Undone> undoStopUnit(const Change& change);
  std::function<Status()> maskUserUnit(const PlannedChange& change, const std::string& txn,
                                       const std::string& active_before, ChangeIntent& intent);
  Result<Undone> undoMaskUserUnit(const Change& change);
  std::function<Status()> editBootArguments(const PlannedChange& change, const std::string& txn,
                                            const std::string& active_before, ChangeIntent& intent);
  Result<Undone> undoFile(const Change& change);
  Undone startAgain(const std::string& unit);
  // Starts again each unit that is not running; a failed item for each that does not come up.
  std::vector<ChangeResult> startUnitsThatRan(const std::vector<std::string>& units);
  std::filesystem::path onRoot(const std::string& path) const;

  SystemdManager& systemd_;
  const GlobalUserUnits& user_units_;
  ChangeJournal& journal_;
  std::filesystem::path state_dir_;
  std::filesystem::path root_;
};

// An active state in which a unit runs. Records of jmem 0.1.0 say "active (loaded)": the load state
// in parentheses is not part of it.
bool isRunning(const std::string& active_state);

// Sets aside every pending record of `journal` outside `rules` (journal_schema.h), logging each.
void screenJournal(ChangeJournal& journal, const RecordRules& rules);

}  // namespace jmem::compliance
