#include "compliance/enforcer.h"

#include <spdlog/spdlog.h>

namespace jmem::compliance {

PolicyEnforcer::PolicyEnforcer(sdbus::IConnection& bus, EnforcerPaths paths)
    : paths_(std::move(paths)),
      systemd_(bus),
      user_units_(paths_.root),
      sessions_(bus),
      observer_(systemd_, user_units_, sessions_, paths_.proc, paths_.root) {}

CheckReport PolicyEnforcer::check(const Ledger* ledger) {
  CheckReport report = checkCompliance(policy_, observer_.observe(policy_), ledger);
  observer_.observeDesktop(report);
  return report;
}

Plan PolicyEnforcer::plan(const Ledger* ledger) {
  const ObservedState observed = observer_.observe(policy_);
  return planChanges(policy_, checkCompliance(policy_, observed, ledger), observed);
}

namespace {

void logProblems(const ChangeJournal& journal) {
  for (const auto& problem : journal.problems()) {
    if (problem.repaired) {
      spdlog::warn("{}", journal.describe(problem));
    } else {
      spdlog::error("{} (set aside: jmemd applies and reverts nothing until it is resolved)",
                    journal.describe(problem));
    }
  }
}

}  // namespace

RecordRules PolicyEnforcer::rulesOf(const EnforcerPaths& paths, const policy::Policy& policy) {
  return RecordRules{policy.boot.extlinux.value, paths.state_dir / kBackupDirectory};
}

Status PolicyEnforcer::inspectJournal(const EnforcerPaths& paths, const policy::Policy& policy) {
  // The directory first, alone: the one failure jmemd does not run with.
  if (auto dir = openStateDirectory(paths.state_dir); !dir) return dir.error();
  auto journal = ChangeJournal::open(paths.state_dir);
  if (!journal) {
    spdlog::error("{}", journal.error().message);
    paths.journal_view->publishProblem(journal.error().message);
    return ok();
  }
  logProblems(**journal);
  screenJournal(**journal, rulesOf(paths, policy));
  paths.journal_view->publish(**journal);
  return ok();
}

Result<Applier*> PolicyEnforcer::applier() {
  if (!applier_) {
    auto journal = ChangeJournal::open(paths_.state_dir);
    if (!journal) {
      paths_.journal_view->publishProblem(journal.error().message);
      return journal.error();
    }
    journal_ = std::move(*journal);
    logProblems(*journal_);
    applier_ = std::make_unique<Applier>(systemd_, user_units_, *journal_, paths_.state_dir, paths_.root);
    screenJournal(*journal_, rulesOf(paths_, policy_));
    paths_.journal_view->publish(*journal_);
  }
  return applier_.get();
}

Result<std::vector<ChangeResult>> PolicyEnforcer::applyPlan(const Plan& plan) {
  auto applying = applier();
  if (!applying) return applying.error();
  auto applied = (*applying)->apply(plan, rulesOf(paths_, policy_));
  paths_.journal_view->publish(*journal_);
  return applied;
}

Result<std::vector<ChangeResult>> PolicyEnforcer::apply(const Ledger* ledger) {
  return applyPlan(plan(ledger));
}

Enforcement PolicyEnforcer::enforce(const Ledger* ledger) {
  const ObservedState observed = observer_.observe(policy_);
  Enforcement done;
  done.report = checkCompliance(policy_, observed, ledger);
  observer_.observeDesktop(done.report);
  const Plan planned = planChanges(policy_, done.report, observed);
  done.planned = planned.changes.size();
  if (done.planned > 0) done.applied = applyPlan(planned);
  return done;
}

Result<std::vector<ChangeResult>> PolicyEnforcer::revert() {
  auto applying = applier();
  if (!applying) return applying.error();
  auto reverted = (*applying)->revert(rulesOf(paths_, policy_));
  paths_.journal_view->publish(*journal_);
  return reverted;
}

}  // namespace jmem::compliance
