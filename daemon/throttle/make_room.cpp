#include "throttle/make_room.h"

#include <algorithm>
#include <limits>

#include "core/text.h"
#include "policy/unit_match.h"
#include "throttle/room.h"

namespace jmem::throttle {
namespace {

constexpr std::int64_t kNoClaim = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kAnyWorkload = std::numeric_limits<std::int64_t>::max();

std::string doneSoFar(const RoomRequest& request) {
  return request.steps.empty() ? "nothing was done" : "done: " + join(request.steps, "; ");
}

std::string secondsOf(Clock::duration d) {
  const auto tenths = std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

// The units that may be acted on for the request, in the order pressure would climb them: below the
// requester's priority, never the requester itself.
std::vector<Climbable> eligible(const Snapshot& snapshot, const ControllerState& state,
                                const RoomRequest& request, const policy::Policy& policy,
                                const Capabilities& capabilities) {
  const auto below = requesterPriority(policy, request.requester);
  std::vector<Climbable> found = climbable(snapshot, state, policy, capabilities);
  std::erase_if(found, [&](const Climbable& c) {
    return c.unit->unit == request.requester || c.workload->priority.value >= below;
  });
  return found;
}

std::string nothingLeft(const RoomRequest& request, const policy::Policy& policy) {
  const auto below = requesterPriority(policy, request.requester);
  if (below == kNoClaim)
    return roomFor(request) + " is no workload of the policy, which gives it no claim on any";
  if (below == kAnyWorkload) return "no workload of the policy has a rung left";
  return "no workload of the policy below priority " + std::to_string(below) + " (" + request.requester +
         "'s) has a rung left";
}

}  // namespace

std::string roomFor(const RoomRequest& request) {
  return request.requester.empty() ? std::string("a load") : request.requester;
}

std::string_view toString(RoomPhase phase) {
  switch (phase) {
    case RoomPhase::kQueued:
      return "queued";
    case RoomPhase::kMaking:
      return "making";
    case RoomPhase::kHolding:
      break;
  }
  return "holding";
}

std::uint64_t roomNow(const Snapshot& snapshot, const policy::Policy& policy) {
  return headroomAboveLowBytes(snapshot.mem_available_bytes, policy.pressure);
}

std::int64_t requesterPriority(const policy::Policy& policy, const std::string& requester) {
  const policy::Workload* workload = requester.empty() ? nullptr : policy::workloadFor(policy, requester);
  if (workload == nullptr) return kNoClaim;
  return workload->is_protected.value ? kAnyWorkload : workload->priority.value;
}

std::optional<std::string> roomMemoryHighWanted(const Snapshot& snapshot, const ControllerState& state,
                                                const RoomRequest& request, const policy::Policy& policy,
                                                const Capabilities& capabilities) {
  const auto found = eligible(snapshot, state, request, policy, capabilities);
  if (found.empty() || !found.front().rungs.front()->reads_memory_high) return std::nullopt;
  return found.front().unit->unit;
}

RoomDecision decideRoom(const Snapshot& snapshot, const ControllerState& state, const RoomRequest& request,
                        const policy::Policy& policy, const Capabilities& capabilities) {
  RoomDecision d{RoomStep::kWait, request, state, std::nullopt, {}};
  RoomRequest& r = d.request;
  const Clock::time_point now = snapshot.now;
  const std::uint64_t room = roomNow(snapshot, policy);
  if (!r.started_at) {
    r.started_at = now;
    r.phase = RoomPhase::kMaking;
    r.headroom_at_start_bytes = room;
  }
  const std::string have = formatIec(room) + " above the low watermark of " + formatIec(r.bytes) + " asked";
  if (room >= r.bytes) {
    d.step = RoomStep::kMade;
    r.phase = RoomPhase::kHolding;
    r.made_at = now;
    for (const SnapshotUnit& u : snapshot.units) {
      if (u.unit == r.requester) r.requester_grown_bytes = u.cost_bytes;
    }
    d.message = "Room made for " + roomFor(r) + ": " + have + " in " + secondsOf(now - *r.started_at) + "; " +
                (r.steps.empty() ? "it was there already" : doneSoFar(r));
    return d;
  }
  if (now - r.asked_at >= r.timeout) {
    d.step = RoomStep::kFailed;
    d.message = "No room for " + roomFor(r) + " within " + std::to_string(r.timeout.count()) + " s: " + have +
                "; " + doneSoFar(r);
    return d;
  }
  if (r.last_step && now - *r.last_step < kRoomSettle) {
    d.message = "waiting for the last step to show in a sample";
    return d;
  }
  if (!r.cache_dropped) {
    d.step = RoomStep::kDropCache;
    r.cache_dropped = true;
    r.last_step = now;
    return d;
  }
  const auto found = eligible(snapshot, state, r, policy, capabilities);
  if (found.empty()) {
    d.step = RoomStep::kFailed;
    d.message = "Not enough room can be made for " + roomFor(r) + " under the policy: " + have + "; " +
                doneSoFar(r) + "; " + nothingLeft(r, policy);
    return d;
  }
  const Climbable& next = found.front();
  const Rung& rung = *next.rungs.front();
  const SnapshotUnit& figures = *next.unit;
  if (rung.reads_memory_high && !figures.memory_high.known) {
    d.step = RoomStep::kFailed;
    d.message = "Not enough room for " + roomFor(r) + ": " + have + "; " + doneSoFar(r) + "; cannot " +
                std::string(rung.climb_name) + " " + figures.unit + " without its own MemoryHigh: " +
                (figures.memory_high.error.empty() ? "not read" : figures.memory_high.error);
    return d;
  }
  Action action;
  action.unit = figures.unit;
  action.kind = rung.climb;
  const std::string who = figures.unit + " (priority " + std::to_string(next.workload->priority.value) + ")";
  const std::string taken = rung.take(figures, *next.workload, who, d.state.entryFor(figures.unit), action);
  action.reason = "making room for " + roomFor(r) + ", " + have + ": " + taken;
  d.state.last_action = now;
  d.state.recent_actions.push_back(now);
  if (std::find(r.units.begin(), r.units.end(), figures.unit) == r.units.end())
    r.units.push_back(figures.unit);
  r.steps.push_back(taken);
  r.last_step = now;
  d.step = RoomStep::kAct;
  d.action = std::move(action);
  return d;
}

RoomDecision auditRoom(const Snapshot& snapshot, const ControllerState& state, const RoomRequest& request,
                       const policy::Policy& policy, const Capabilities& capabilities) {
  RoomDecision d{RoomStep::kFailed, request, state, std::nullopt, {}};
  const std::uint64_t room = roomNow(snapshot, policy);
  const std::string have =
      formatIec(room) + " above the low watermark of " + formatIec(request.bytes) + " asked";
  if (room >= request.bytes) {
    d.step = RoomStep::kMade;
    d.message = "Room there for " + roomFor(request) + ": " + have + "; audit mode did nothing";
    return d;
  }
  const auto below = requesterPriority(policy, request.requester);
  const Room ladder = roomOf(snapshot, state, policy, capabilities);
  std::vector<std::string> would{"drop the clean page cache"};
  std::uint64_t estimate = room;
  for (const RoomUnit& unit : ladder.units) {
    if (estimate >= request.bytes) break;
    if (unit.unit == request.requester) continue;
    const policy::Workload* workload = policy::workloadFor(policy, unit.unit);
    if (workload == nullptr || workload->priority.value >= below) continue;
    would.push_back(unit.rung + " " + unit.unit + " (about " + formatIec(unit.bytes) + ")");
    estimate += unit.bytes;
  }
  d.message = "Audit mode: no room made for " + roomFor(request) + ", " + have + "; enforce mode would " +
              join(would, ", then ") +
              (estimate >= request.bytes ? ", about enough"
                                         : ", about " + formatIec(estimate) + " in all: not enough");
  return d;
}

bool holdOver(const Snapshot& snapshot, RoomRequest& request) {
  if (!request.made_at) return false;
  const Clock::time_point now = snapshot.now;
  const auto it = std::find_if(snapshot.units.begin(), snapshot.units.end(),
                               [&](const SnapshotUnit& u) { return u.unit == request.requester; });
  const bool present = it != snapshot.units.end();
  const std::uint64_t cost = present ? it->cost_bytes : 0;
  // A requester seen and then gone for kRoomSteady (it died, or was stopped) needs no room; a moment
  // without a process is the unit between ExecStartPre= and ExecStart=.
  if (present) {
    request.requester_seen = true;
    request.requester_gone_at.reset();
  } else if (request.requester_seen) {
    if (!request.requester_gone_at) request.requester_gone_at = now;
    if (now - *request.requester_gone_at >= kRoomSteady) return true;
  }
  if (request.hold) return now - *request.made_at >= *request.hold;
  if (now - *request.made_at >= kRoomGrowthHoldMax) return true;
  // Its load starts after ExecStartPre=: the steady time counts from its first growth past its cost
  // when the room was made, and a requester that never grows is let go after kRoomStartWait.
  if (!request.requester_grew_at) {
    if (cost > request.requester_grown_bytes + kRoomGrowthBytes) {
      request.requester_grew_at = now;
      request.requester_grown_bytes = cost;
      return false;
    }
    return now - *request.made_at >= kRoomStartWait;
  }
  if (cost > request.requester_grown_bytes + kRoomGrowthBytes) {
    request.requester_grew_at = now;
    request.requester_grown_bytes = cost;
  }
  return now - *request.requester_grew_at >= kRoomSteady;
}

}  // namespace jmem::throttle
