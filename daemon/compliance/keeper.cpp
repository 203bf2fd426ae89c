#include "compliance/keeper.h"

namespace jmem::compliance {

PolicyKeeper::PolicyKeeper(sdbus::IConnection& bus, KeeperPaths paths)
    : paths_(std::move(paths)),
      systemd_(bus),
      user_units_(paths_.root),
      observer_(systemd_, user_units_, paths_.proc, paths_.root) {}

CheckReport PolicyKeeper::check(const Ledger* ledger) {
  return checkCompliance(policy_, observer_.observe(policy_), ledger);
}

Plan PolicyKeeper::plan(const Ledger* ledger) {
  const ObservedState observed = observer_.observe(policy_);
  return planChanges(policy_, checkCompliance(policy_, observed, ledger), observed);
}

Result<Applier*> PolicyKeeper::applier() {
  if (!applier_) {
    auto journal = ChangeJournal::open(paths_.state_dir);
    if (!journal) return journal.error();
    journal_ = std::move(*journal);
    applier_ = std::make_unique<Applier>(systemd_, user_units_, *journal_, paths_.state_dir, paths_.root);
  }
  return applier_.get();
}

Result<std::vector<ChangeResult>> PolicyKeeper::apply(const Ledger* ledger) {
  auto applying = applier();
  if (!applying) return applying.error();
  return (*applying)->apply(plan(ledger));
}

Result<std::vector<ChangeResult>> PolicyKeeper::revert() {
  auto applying = applier();
  if (!applying) return applying.error();
  return (*applying)->revert();
}

}  // namespace jmem::compliance
