#pragma once

#include <sdbus-c++/IConnection.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compliance/applier.h"
#include "compliance/check.h"
#include "compliance/observer.h"
#include "compliance/plan.h"
#include "policy/loader.h"
#include "state/journal_view.h"

namespace jmem::compliance {

struct EnforcerPaths {
  std::filesystem::path proc = "/proc";
  std::filesystem::path state_dir = kDefaultStateDir;
  std::filesystem::path root = "/";
  // The journal as of its last open, apply or revert: shared by every enforcer made from these paths
  // (one per bus connection) and the loop that reports it.
  std::shared_ptr<JournalView> journal_view = std::make_shared<JournalView>();
};

// What one enforcement saw and did: the device observed once, the verdict of that observation, and
// the changes made from it.
struct Enforcement {
  CheckReport report;
  std::size_t planned = 0;
  std::optional<Result<std::vector<ChangeResult>>> applied;  // none: nothing to change
};

// Enforces the running policy on the device (in audit mode: checks and plans only): check, plan, apply,
// revert, over the daemon's bus connection (systemd's API) and the write-ahead journal, opened on first use.
class PolicyEnforcer {
 public:
  PolicyEnforcer(sdbus::IConnection& bus, EnforcerPaths paths);

  const policy::Policy& policy() const { return policy_; }
  void setPolicy(policy::Policy policy) { policy_ = std::move(policy); }

  CheckReport check(const Ledger* ledger);
  Plan plan(const Ledger* ledger);
  Result<std::vector<ChangeResult>> apply(const Ledger* ledger);
  Result<std::vector<ChangeResult>> revert();
  // Check, plan and apply from a single observation of the device.
  Enforcement enforce(const Ledger* ledger);

  // At start, before any enforcer: opens the journal, logs what is wrong with it and notes it in
  // paths.journal_view, and closes it again (a enforcer opens it at its first apply or revert). An
  // error only for a state directory that cannot be trusted or made, which jmemd refuses to run with;
  // a journal that cannot be opened is a problem noted, as it is for every apply and revert.
  static Status inspectJournal(const EnforcerPaths& paths, const policy::Policy& policy);
  // What is wrong with the journal ("/var/lib/jmem/changes.jsonl:7: not a JSON object", or why it
  // cannot be opened), as of the last open, apply or revert. Safe to call from any thread.
  std::vector<std::string> journalProblems() const { return paths_.journal_view->problems(); }

 private:
  Result<Applier*> applier();
  Result<std::vector<ChangeResult>> applyPlan(const Plan& plan);
  static RecordRules rulesOf(const EnforcerPaths& paths, const policy::Policy& policy);

  EnforcerPaths paths_;
  policy::Policy policy_;
  SystemdManager systemd_;
  GlobalUserUnits user_units_;
  LoginSessions sessions_;
  Observer observer_;
  std::unique_ptr<ChangeJournal> journal_;
  std::unique_ptr<Applier> applier_;
};

}  // namespace jmem::compliance
