#pragma once

#include <sdbus-c++/IConnection.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "compliance/applier.h"
#include "compliance/check.h"
#include "compliance/observer.h"
#include "compliance/plan.h"
#include "policy/loader.h"

namespace jmem::compliance {

struct KeeperPaths {
  std::filesystem::path proc = "/proc";
  std::filesystem::path state_dir = kDefaultStateDir;
  std::filesystem::path root = "/";
};

// Holds the device to the running policy: check, plan, apply, revert, over the daemon's bus
// connection (systemd's API) and the write-ahead journal, opened on first use.
class PolicyKeeper {
 public:
  PolicyKeeper(sdbus::IConnection& bus, KeeperPaths paths);

  const policy::Policy& policy() const { return policy_; }
  void setPolicy(policy::Policy policy) { policy_ = std::move(policy); }

  CheckReport check(const Ledger* ledger);
  Plan plan(const Ledger* ledger);
  Result<std::vector<ChangeResult>> apply(const Ledger* ledger);
  Result<std::vector<ChangeResult>> revert();

 private:
  Result<Applier*> applier();

  KeeperPaths paths_;
  policy::Policy policy_;
  SystemdManager systemd_;
  GlobalUserUnits user_units_;
  Observer observer_;
  std::unique_ptr<ChangeJournal> journal_;
  std::unique_ptr<Applier> applier_;
};

}  // namespace jmem::compliance
