#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "compliance/plan.h"
#include "metrics/metrics_input.h"
#include "throttle/controller.h"

namespace jmem::metrics {

// The actions jmemd took since it started, for jmem_actions_total and jmem_action_failures_total.
// Every known action starts at zero so its series exists before the first one (rate() needs it), and
// the set of series stays fixed: two sources of six actions each.
class ActionCounters {
 public:
  ActionCounters();

  // An action of the throttling controller, once the actuator has carried it out or failed to.
  void recordThrottle(throttle::ActionKind kind, bool ok);
  // A change made in enforcing the policy (source "policy").
  void recordPolicyChange(compliance::PlannedChange::Kind kind, bool ok);

  // One entry per (source, action), by source then action.
  std::vector<ActionCount> counts() const;

 private:
  void record(std::string_view source, std::string_view action, bool ok);

  struct Tally {
    std::uint64_t taken = 0;
    std::uint64_t failed = 0;
  };
  std::map<std::pair<std::string, std::string>, Tally, std::less<>> tallies_;
};

}  // namespace jmem::metrics
