#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "throttle/room.h"

// `jmemctl explain UNIT`: what the policy says of one unit and what the throttle would do to it, with
// the place in the policy files of every rule that matches.
namespace jmem::throttle {

struct PolicyMatch {
  std::string kind;      // class, keep, workload
  std::string name;      // the class's name; the workload's or keep entry's pattern
  std::string pattern;   // the unit pattern that matched
  std::string where;     // FILE:LINE:COLUMN
  std::string detail;    // class: "mask (system)"; workload: "priority 10, throttle, freeze"; governs or not
  bool governs = false;  // the workload that governs the unit (policy::workloadFor)
};

// One step of the ladder as the controller would take it, and what it gives back.
struct LadderStep {
  std::string unit;
  std::string rung;  // throttle, freeze, stop
  std::uint64_t bytes = 0;
  bool operator==(const LadderStep&) const = default;
};

struct Explanation {
  std::string unit;
  bool in_ledger = false;
  std::uint64_t cost_bytes = 0;
  std::vector<PolicyMatch> matches;
  bool is_protected = false;
  bool kept = false;
  bool essential = false;
  std::optional<std::string> never_acted_on;  // why, when the throttle never acts on it
  std::string rung_now;                       // none, throttle, freeze, stop: the highest in effect
  std::optional<LadderStep> next;             // the next rung the policy allows here, and its yield
  std::vector<LadderStep> sequence;           // every step the controller would take, in order
};

// The steps an explanation lists at most: a reply stays far under the bus's message limit.
inline constexpr std::size_t kMaxExplainedSteps = 1024;

// Pure. `snapshot` holds the ledger's units; `state` what is in effect. `throttle_off` says why the
// throttle cannot run here ("" when it can): then it takes no step on any unit.
Explanation explainUnit(const std::string& unit, const Snapshot& snapshot, const ControllerState& state,
                        const policy::Policy& policy, const Capabilities& capabilities,
                        const std::string& throttle_off = {});

// Pure: the steps the controller would take if pressure held, in order, each with what it gives back
// (a throttle: as room.h estimates; a freeze: nothing; a stop: the cost not already given back).
std::vector<LadderStep> ladderSequence(const Snapshot& snapshot, const ControllerState& state,
                                       const policy::Policy& policy, const Capabilities& capabilities);

}  // namespace jmem::throttle
