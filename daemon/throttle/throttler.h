#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "policy/policy.h"
#include "system/unit_runtime.h"
#include "throttle/actuator.h"
#include "throttle/cgroup_features.h"
#include "throttle/controller.h"
#include "throttle/make_room.h"

namespace jmem::throttle {

inline constexpr std::size_t kRecentActions = 16;

// What the throttle shows on the bus, in jmemctl status and in the metrics.
struct ThrottleStatus {
  Phase phase = Phase::kCalm;
  std::vector<std::string> triggers;
  std::string waiting;
  std::vector<std::string> would;        // audit mode: the actions enforce mode would take now
  std::vector<std::string> would_units;  // the unit of each of `would`
  std::vector<std::string> would_steps;  // the same as "freeze batch.service": what changes with the decision
  std::vector<Unavailable> unavailable;
  std::vector<UnitState> units;                     // what is in effect now
  std::deque<ActionRecord> recent;                  // newest last, at most kRecentActions
  std::array<std::uint64_t, kActionKinds> taken{};  // actions carried out, by ActionKind
  std::array<std::uint64_t, kActionKinds> failed{};
  std::vector<RoomRequest> rooms;  // requests for room: the one made or held first, then those queued
};

// How a request for room ended, or its hold.
struct RoomOutcome {
  enum class Kind { kMade, kFailed, kHoldOver };
  Kind kind = Kind::kFailed;
  std::string message;
  RoomRequest request;
};

// Requests for room waiting at once, the one being made or held included.
inline constexpr std::size_t kMaxRoomRequests = 8;

// The controller with its state, its actuator and the device's controls: one decision per call, its
// action carried out, what happened kept for the status. One thread.
class Throttler {
 public:
  // drop_caches: /proc/sys/vm/drop_caches, where a request for room drops the clean page cache.
  Throttler(std::unique_ptr<Actuator> actuator, UnitRuntime& units, CgroupFeatures features,
            std::filesystem::path drop_caches = "/proc/sys/vm/drop_caches")
      : actuator_(std::move(actuator)),
        units_(units),
        features_(std::move(features)),
        drop_caches_(std::move(drop_caches)) {}

  // Adopts what a previous run left in effect; returns a sentence per journal entry looked at. Entries
  // outside what `policy` lets the throttle do are set aside, not acted on (journal_schema.h).
  std::vector<std::string> reconcile(const policy::Policy& policy, std::string_view self_unit);
  // What is wrong with the throttle's journal, one message per problem ("FILE:LINE: why").
  // Its journal's history and problems, for the loop to report (GetChanges, StateProblems).
  void publishJournal(JournalView& view) const { actuator_->publishJournal(view); }

  // One decision on `snapshot` under `policy`; the actions it takes, if any, up to the first that
  // failed. In audit mode (`act` false) no escalation is carried out and none recorded as applied:
  // status().would says what enforce mode would do. Releases still are: what a previous run or
  // enforce mode left in effect is lifted once the pressure passes, never kept by audit mode.
  // Then, when the controller took no action, the next step of the request for room at the head of
  // the queue (make_room.h), or the end of its hold.
  std::vector<ActionRecord> step(Snapshot snapshot, const policy::Policy& policy, bool act);

  // A request for room (its id the caller's), queued behind those before it; its answer comes from a later
  // step() through takeRoomOutcomes(). In audit mode it is answered at once from `snapshot` (auditRoom).
  // Refused when kMaxRoomRequests wait already.
  Result<std::optional<RoomOutcome>> askRoom(RoomRequest request, Snapshot snapshot,
                                             const policy::Policy& policy, bool act);
  // The requests answered, and the holds ended, since the last call.
  std::vector<RoomOutcome> takeRoomOutcomes() { return std::exchange(room_outcomes_, {}); }

  // An operator's throttle and release of one unit (see decideOperatorThrottle/-Release).
  Result<std::vector<ActionRecord>> throttleUnit(const std::string& unit, const Ledger* ledger,
                                                 const policy::Policy& policy, const std::string& self_unit);
  Result<std::vector<ActionRecord>> releaseUnit(const std::string& unit);

  // At a clean stop: restores MemoryHigh and thaws everywhere, newest first, so that no unit stays
  // frozen while no governor runs. Stopped units stay stopped, and the journal keeps them for the next
  // run.
  std::vector<ActionRecord> releaseForShutdown();

  const ThrottleStatus& status() const { return status_; }
  const CgroupFeatures& features() const { return features_; }

 private:
  ActionRecord carryOut(const Action& action, const ControllerState& after, const std::string& origin);
  void readMemoryHigh(Snapshot& snapshot, const std::vector<std::string>& units);
  void show(const Decision& decision);
  void audit(const Decision& decision);
  std::vector<ActionRecord> carryOutStep(Decision decision);
  // Counts the record and keeps it among the recent ones GetThrottle shows.
  ActionRecord remember(ActionRecord record);
  Result<std::vector<ActionRecord>> carryOutForOperator(OperatorDecision decision);
  void stepRoom(Snapshot& snapshot, const policy::Policy& policy, std::vector<ActionRecord>& records);
  void endRoom(RoomOutcome::Kind kind, std::string message);
  Status dropCache() const;

  std::unique_ptr<Actuator> actuator_;
  UnitRuntime& units_;
  CgroupFeatures features_;
  std::filesystem::path drop_caches_;
  ControllerState state_;
  ThrottleStatus status_;
  std::deque<RoomRequest> rooms_;
  std::vector<RoomOutcome> room_outcomes_;
};

}  // namespace jmem::throttle
