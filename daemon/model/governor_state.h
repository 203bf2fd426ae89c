#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "ledger/ledger.h"
#include "model/health_figures.h"
#include "model/ledger_figures.h"
#include "model/self_stats.h"
#include "throttle/throttler.h"

namespace jmem {

// What the governor knows now. The service owns it and writes it on its loop; the bus object, the
// status line and the metrics read it.
struct GovernorState {
  // None before the first sample. Never changed once built: the workers' jobs share it, each tick
  // replaces it.
  std::shared_ptr<const Ledger> ledger;
  LedgerFigures figures;
  std::string mode = "audit";
  std::vector<std::string> policy_files;  // read, in the order merged ("<built-in>" for the default)
  std::string policy_fingerprint;         // policy::policyFingerprint of the policy in force
  std::chrono::microseconds sample_interval{std::chrono::seconds(1)};
  SelfStats self_stats;
  HealthFigures health;  // whether the ledger is current; the policy's last verdict
  throttle::ThrottleStatus throttle;
  throttle::CgroupFeatures cgroup_features;  // what the throttle can do here
  // Why the throttle cannot run at all (its journal cannot open); empty when it runs.
  std::string throttle_off;
};

}  // namespace jmem
