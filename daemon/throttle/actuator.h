#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "state/change_journal.h"
#include "state/journal_view.h"
#include "system/systemd_manager.h"
#include "system/unit_runtime.h"
#include "throttle/cgroup_features.h"
#include "throttle/controller.h"

namespace jmem::throttle {

// One action as carried out.
struct ActionRecord {
  Action action;
  std::string origin;  // "pressure", "operator", "shutdown"
  std::string method;  // how a freeze or thaw was done: "cgroup-freezer" or "stop-signal"
  bool ok = false;
  std::string error;  // "Failed to freeze batch.service: ..." when !ok
  std::uint64_t time_usec = 0;
};

// What a previous run left in effect, as found at start.
struct Reconciled {
  ControllerState state;           // the actions still in effect, adopted in the order they were made
  std::vector<std::string> notes;  // one sentence per journal entry looked at
};

// Carries the controller's actions out through systemd. Every escalation (throttle, freeze, stop) is
// recorded in the write-ahead journal (its own directory: policy reverts never touch it) before it is
// made, with what it replaced; a release makes its change and then marks the escalation it undoes
// reverted. A run that dies leaves the journal saying what may still be in effect: reconcile() checks
// each entry against systemd and adopts what still holds.
class Actuator {
 public:
  // `boot_id` (/proc/sys/kernel/random/boot_id) goes with each escalation: at reconcile, one made in
  // another boot is over. Empty: not known, every entry is checked against systemd.
  static Result<std::unique_ptr<Actuator>> open(UnitRuntime& units, SystemdManager& systemd,
                                                const std::filesystem::path& journal_dir, FreezeMethod freeze,
                                                std::string boot_id);

  // `after` is the controller's state once the action is done (it holds a throttle's prior MemoryHigh).
  ActionRecord carryOut(const Action& action, const ControllerState& after, const std::string& origin);

  // Adopts what still holds. A record outside what an escalation may say under `policy`
  // (journal_schema.h) is set aside and reported, never acted on.
  Reconciled reconcile(const policy::Policy& policy, std::string_view self_unit);

  FreezeMethod freezeMethod() const { return freeze_; }
  // What is wrong with the journal: "DIR/throttle/changes.jsonl:3: why", as journal problems.
  void publishJournal(JournalView& view) const { view.publish(*journal_); }

 private:
  Actuator(UnitRuntime& units, SystemdManager& systemd, std::unique_ptr<ChangeJournal> journal,
           FreezeMethod freeze, std::string boot_id)
      : units_(units),
        systemd_(systemd),
        journal_(std::move(journal)),
        freeze_(freeze),
        boot_id_(std::move(boot_id)) {}

  // What reconcile finds of a change: still held (adopted into the state; `note` says so) or not.
  struct Found {
    bool held = false;
    std::string note;  // why it is no longer in effect when !held
  };
  // How one rung's change is journaled, made, undone and, at start, adopted: one row per rung.
  struct ChangeKind {
    policy::WorkloadAction rung;
    // Adds what the change replaces and how it is made to the journal's intent.
    void (Actuator::*intend)(const Action&, const ControllerState& after, ChangeIntent&, ActionRecord&);
    Status (Actuator::*make)(const Action&);
    // `made` is the journal's record of the change undone, when there is one.
    Status (Actuator::*undo)(const Action&, const std::optional<Change>& made, ActionRecord&);
    Found (Actuator::*adopt)(const Change&, ControllerState&);
  };
  static const std::array<ChangeKind, kRungCount> kChangeKinds;
  static const ChangeKind& changeKindOf(const Rung& rung);

  Status escalate(const Action& action, const ControllerState& after, const std::string& origin,
                  ActionRecord& record);
  Status release(const Action& action, ActionRecord& record);
  Status settled(const std::string& unit, Status done, bool freezing);
  std::string reconcileOne(const Change& change, ControllerState& state);
  void markRevertedAll(const std::string& unit, std::string_view kind);

  void intendMemoryHigh(const Action& action, const ControllerState& after, ChangeIntent& intent,
                        ActionRecord& record);
  Status setMemoryHigh(const Action& action);
  Status restoreMemoryHigh(const Action& action, const std::optional<Change>& made, ActionRecord& record);
  Found adoptMemoryHigh(const Change& change, ControllerState& state);
  void intendFreeze(const Action& action, const ControllerState& after, ChangeIntent& intent,
                    ActionRecord& record);
  Status freeze(const Action& action);
  Status thaw(const Action& action, const std::optional<Change>& made, ActionRecord& record);
  Found adoptFreeze(const Change& change, ControllerState& state);
  void intendStop(const Action& action, const ControllerState& after, ChangeIntent& intent,
                  ActionRecord& record);
  Status stop(const Action& action);
  Status start(const Action& action, const std::optional<Change>& made, ActionRecord& record);
  Found adoptStop(const Change& change, ControllerState& state);

  UnitRuntime& units_;
  SystemdManager& systemd_;
  std::unique_ptr<ChangeJournal> journal_;
  FreezeMethod freeze_;
  std::string boot_id_;
};

}  // namespace jmem::throttle
