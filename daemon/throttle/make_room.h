#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "throttle/controller.h"
#include "throttle/snapshot.h"

// Room before a load: a workload asks for SIZE bytes above the policy's low watermark before it loads,
// and jmemd makes them, cheapest first and never past the policy: the clean page cache dropped once,
// then the ladder (throttle, freeze, stop where allow_stop) on workloads of lower priority than the
// requester, the same ladder pressure climbs. Then the room is held: what was acted on for it is not
// released until the hold ends (a fixed time, or once the requester's memory stops growing), and
// other requests wait behind it. The hold always ends by itself.
namespace jmem::throttle {

// Longest a request may wait for room, and hold it.
inline constexpr std::chrono::seconds kMaxRoomTimeout{600};
inline constexpr std::chrono::seconds kMaxRoomHold{3600};
// After an action, the kernel's reclaim shows in the next sample: one more is waited for.
inline constexpr std::chrono::seconds kRoomSettle{1};
// A hold without a fixed time ends once the requester's cost has not grown by more than
// kRoomGrowthBytes for kRoomSteady, or after kRoomGrowthHoldMax.
inline constexpr std::chrono::seconds kRoomSteady{5};
inline constexpr std::uint64_t kRoomGrowthBytes = 4 * kMiB;
inline constexpr std::chrono::seconds kRoomGrowthHoldMax{600};
// ... and after this, when it has not begun to grow at all.
inline constexpr std::chrono::seconds kRoomStartWait{30};

enum class RoomPhase { kQueued, kMaking, kHolding };
std::string_view toString(RoomPhase phase);  // queued, making, holding

struct RoomRequest {
  std::uint64_t id = 0;
  std::string requester;  // the unit room is made for ("loader.service"); "" for none named
  std::uint64_t bytes = 0;
  std::uint32_t caller_uid = 0;
  Clock::time_point asked_at{};
  std::chrono::seconds timeout{60};
  std::optional<std::chrono::seconds> hold;  // none: until the requester's memory stops growing

  // As it goes.
  RoomPhase phase = RoomPhase::kQueued;
  std::optional<Clock::time_point> started_at;  // when it became the one being made
  std::uint64_t headroom_at_start_bytes = 0;
  bool cache_dropped = false;
  std::optional<Clock::time_point> last_step;
  std::vector<std::string> steps;  // what was done for it, as sentences
  std::vector<std::string> units;  // units acted on for it: the hold keeps them
  std::optional<Clock::time_point> made_at;
  // The requester's cost when the room was made, then when it last grew by more than kRoomGrowthBytes,
  // and when; whether it was ever seen in the ledger.
  std::uint64_t requester_grown_bytes = 0;
  bool requester_seen = false;
  std::optional<Clock::time_point> requester_gone_at;
  std::optional<Clock::time_point> requester_grew_at;
};

// Where a request is, and what is done next.
enum class RoomStep {
  kWait,       // the last step's effect is not in a sample yet
  kDropCache,  // drop the clean page cache (once)
  kAct,        // `action`, one rung of a lower-priority workload's ladder
  kMade,       // the room is there: answer, and hold
  kFailed,     // no more can be made under the policy, or the time is up: answer with why
};

struct RoomDecision {
  RoomStep step = RoomStep::kWait;
  RoomRequest request;    // after the step
  ControllerState state;  // after the step (kAct: the rung applied)
  std::optional<Action> action;
  std::string message;  // kMade, kFailed: the answer; kWait: what it waits for
};

// Whom the room is for, as messages name it: the requester, or "a load".
std::string roomFor(const RoomRequest& request);

// MemAvailable above the low watermark: the room there is.
std::uint64_t roomNow(const Snapshot& snapshot, const policy::Policy& policy);

// The priority units must be below to be acted on for `requester`: its workload's; above every
// priority for a protected workload (any workload may give it room); below every priority for a unit
// no workload names, or none (the policy gives it no claim on any workload: only the page cache).
std::int64_t requesterPriority(const policy::Policy& policy, const std::string& requester);

// The unit whose own MemoryHigh decideRoom needs read into the snapshot first (the next rung is a
// throttle), if any.
std::optional<std::string> roomMemoryHighWanted(const Snapshot& snapshot, const ControllerState& state,
                                                const RoomRequest& request, const policy::Policy& policy,
                                                const Capabilities& capabilities);

// Pure: the next step of the request being made.
RoomDecision decideRoom(const Snapshot& snapshot, const ControllerState& state, const RoomRequest& request,
                        const policy::Policy& policy, const Capabilities& capabilities);

// Pure, audit mode: what making the room would take, estimated from the ladder (roomOf), done nowhere.
// kMade when the room is there already, else kFailed with what enforce mode would do.
RoomDecision auditRoom(const Snapshot& snapshot, const ControllerState& state, const RoomRequest& request,
                       const policy::Policy& policy, const Capabilities& capabilities);

// Pure: whether a held request's hold is over: its time passed, or (without one) the requester's cost
// stopped growing, or the requester is gone. Updates the growth it tracks.
bool holdOver(const Snapshot& snapshot, RoomRequest& request);

}  // namespace jmem::throttle
