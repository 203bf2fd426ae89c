#include "throttle/make_room.h"

#include <catch2/catch.hpp>

#include "support/policy_text.h"

using namespace jmem;
using namespace jmem::throttle;

namespace {

// The loader (priority 50) asks; batch (10) may be throttled, frozen and stopped, camera (20) only
// frozen, the recorder (80) is above the loader, the inference protected.
const char* kPolicy = R"([pressure]
available_low_mib = 200
allow_stop = true

[[workloads]]
unit = "inference.service"
protected = true

[[workloads]]
unit = "loader.service"
priority = 50
actions = ["throttle"]

[[workloads]]
unit = "batch.service"
priority = 10
actions = ["throttle", "freeze", "stop"]
throttle_memory_high_mib = 128

[[workloads]]
unit = "camera.service"
priority = 20
actions = ["freeze"]

[[workloads]]
unit = "recorder.service"
priority = 80
actions = ["freeze"]
)";

SnapshotUnit unit(const std::string& name, std::uint64_t cost_mib) {
  SnapshotUnit figures;
  figures.unit = name;
  figures.cost_bytes = cost_mib * kMiB;
  figures.anon_bytes = figures.cost_bytes;
  figures.memory_high = OwnMemoryHigh::read(std::nullopt);
  return figures;
}

Snapshot snapshot(std::uint64_t available_mib, Clock::time_point now) {
  Snapshot s;
  s.now = now;
  s.mem_available_bytes = available_mib * kMiB;
  s.units = {unit("batch.service", 900), unit("inference.service", 600), unit("recorder.service", 300),
             unit("camera.service", 200), unit("loader.service", 20)};
  return s;
}

RoomRequest request(std::uint64_t mib, const std::string& requester = "loader.service") {
  RoomRequest r;
  r.id = 1;
  r.requester = requester;
  r.bytes = mib * kMiB;
  r.timeout = std::chrono::seconds(60);
  return r;
}

}  // namespace

TEST_CASE("room already there is made at once, and nothing is done for it", "[throttle][room]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const Clock::time_point t0{};
  const RoomDecision d = decideRoom(snapshot(1000, t0), {}, request(700), policy, {});
  CHECK(d.step == RoomStep::kMade);
  CHECK(d.request.phase == RoomPhase::kHolding);
  CHECK(d.request.steps.empty());
  CHECK(d.message.find("it was there already") != std::string::npos);
}

TEST_CASE(
    "room is made cheapest first: the page cache, then the ladder of lower priorities, waiting a sample "
    "between steps",
    "[throttle][room]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  Clock::time_point now{};
  ControllerState state;
  RoomRequest r = request(700);

  RoomDecision d = decideRoom(snapshot(300, now), state, r, policy, {});
  REQUIRE(d.step == RoomStep::kDropCache);
  CHECK(d.request.headroom_at_start_bytes == 100 * kMiB);
  r = d.request;
  r.steps.push_back("dropped the clean page cache");

  // The same tick's figures again: the drop has not shown yet.
  d = decideRoom(snapshot(300, now), state, r, policy, {});
  CHECK(d.step == RoomStep::kWait);

  now += std::chrono::seconds(1);
  d = decideRoom(snapshot(320, now), state, r, policy, {});
  REQUIRE(d.step == RoomStep::kAct);
  CHECK(d.action->unit == "batch.service");  // priority 10, the lowest
  CHECK(d.action->kind == ActionKind::kThrottle);
  CHECK(d.action->memory_high_bytes == 128 * kMiB);  // the policy's throttle, never harder
  CHECK(d.action->reason.find("making room for loader.service") != std::string::npos);
  CHECK(d.request.units == std::vector<std::string>{"batch.service"});
  state = d.state;
  r = d.request;

  now += std::chrono::seconds(1);
  d = decideRoom(snapshot(500, now), state, r, policy, {});
  REQUIRE(d.step == RoomStep::kAct);
  CHECK(d.action->kind == ActionKind::kFreeze);  // the batch's next rung, before the next unit
  state = d.state;
  r = d.request;

  now += std::chrono::seconds(1);
  d = decideRoom(snapshot(950, now), state, r, policy, {});
  CHECK(d.step == RoomStep::kMade);
  CHECK(d.message.find("750.0M above the low watermark of 700.0M asked") != std::string::npos);
  CHECK(d.message.find("throttling batch.service") != std::string::npos);
}

TEST_CASE("room is never made from the requester, a higher priority or a protected unit",
          "[throttle][room]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  Clock::time_point now{};
  ControllerState state;
  RoomRequest r = request(2000);
  r.cache_dropped = true;
  std::vector<std::string> acted;
  for (int i = 0; i < 10; ++i) {
    now += std::chrono::seconds(1);
    const RoomDecision d = decideRoom(snapshot(300, now), state, r, policy, {});
    if (d.step != RoomStep::kAct) {
      REQUIRE(d.step == RoomStep::kFailed);
      CHECK(d.message.find("no workload of the policy below priority 50") != std::string::npos);
      CHECK(d.message.find("100.0M above the low watermark of 2.0G asked") != std::string::npos);
      break;
    }
    acted.push_back(std::string(toString(d.action->kind)) + " " + d.action->unit);
    state = d.state;
    r = d.request;
  }
  CHECK(acted == std::vector<std::string>{"throttle batch.service", "freeze batch.service",
                                          "stop batch.service", "freeze camera.service"});
}

TEST_CASE(
    "a protected requester may have room made from any workload, one the policy does not name from none",
    "[throttle][room]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  CHECK(requesterPriority(policy, "loader.service") == 50);
  CHECK(requesterPriority(policy, "inference.service") > 80);
  CHECK(requesterPriority(policy, "") < 10);
  CHECK(requesterPriority(policy, "unknown.service") < 10);
  RoomRequest r = request(700, "unknown.service");
  r.cache_dropped = true;
  const RoomDecision d = decideRoom(snapshot(300, Clock::time_point{}), {}, r, policy, {});
  CHECK(d.step == RoomStep::kFailed);
  CHECK(d.message.find("unknown.service is no workload of the policy") != std::string::npos);
  RoomRequest protected_one = request(700, "inference.service");
  protected_one.cache_dropped = true;
  const RoomDecision any = decideRoom(snapshot(300, Clock::time_point{}), {}, protected_one, policy, {});
  REQUIRE(any.step == RoomStep::kAct);
  CHECK(any.action->unit == "batch.service");
}

TEST_CASE("a request that runs out of time fails with what it got", "[throttle][room]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  RoomRequest r = request(700);
  r.timeout = std::chrono::seconds(5);
  RoomDecision d = decideRoom(snapshot(300, Clock::time_point{}), {}, r, policy, {});
  d = decideRoom(snapshot(300, Clock::time_point{} + std::chrono::seconds(5)), d.state, d.request, policy,
                 {});
  CHECK(d.step == RoomStep::kFailed);
  CHECK(d.message.find("within 5 s") != std::string::npos);
}

TEST_CASE("a throttle needs the unit's own MemoryHigh, or the request fails saying so", "[throttle][room]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  Snapshot s = snapshot(300, Clock::time_point{});
  s.units[0].memory_high = OwnMemoryHigh::unreadable("Failed to read MemoryHigh of batch.service: timeout");
  RoomRequest r = request(700);
  r.cache_dropped = true;
  CHECK(roomMemoryHighWanted(s, {}, r, policy, {}) == "batch.service");
  const RoomDecision d = decideRoom(s, {}, r, policy, {});
  CHECK(d.step == RoomStep::kFailed);
  CHECK(d.message.find("timeout") != std::string::npos);
}

TEST_CASE("audit mode says what enforce mode would do and does nothing", "[throttle][room]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const RoomDecision d = auditRoom(snapshot(300, Clock::time_point{}), {}, request(700), policy, {});
  CHECK(d.step == RoomStep::kFailed);
  CHECK_FALSE(d.action);
  CHECK(d.message.starts_with("Audit mode: no room made for loader.service"));
  CHECK(d.message.find("stop batch.service") != std::string::npos);
  CHECK(d.message.find("recorder") == std::string::npos);
  CHECK(auditRoom(snapshot(1000, Clock::time_point{}), {}, request(700), policy, {}).step == RoomStep::kMade);
}

TEST_CASE("a hold ends after its time, or once the requester stops growing, or is gone", "[throttle][room]") {
  Clock::time_point now{};
  RoomRequest fixed = request(700);
  fixed.made_at = now;
  fixed.hold = std::chrono::seconds(10);
  CHECK_FALSE(holdOver(snapshot(300, now + std::chrono::seconds(9)), fixed));
  CHECK(holdOver(snapshot(300, now + std::chrono::seconds(10)), fixed));

  RoomRequest growing = request(700);
  growing.made_at = now;
  Snapshot s = snapshot(300, now);
  for (int second = 1; second <= 8; ++second) {
    s.now = now + std::chrono::seconds(second);
    s.units.back().cost_bytes += 50 * kMiB;  // the loader grows 50 MiB a second
    CHECK_FALSE(holdOver(s, growing));
  }
  for (int second = 9; second <= 13; ++second) {
    s.now = now + std::chrono::seconds(second);
    s.units.back().cost_bytes += kMiB / 2;  // then barely: settled
    CHECK(holdOver(s, growing) == (second == 13));
  }

  // Never seen (it never started): let go once it has not grown for kRoomStartWait.
  RoomRequest never = request(700);
  never.made_at = now;
  Snapshot without = snapshot(300, now);
  without.units.pop_back();
  without.now = now + kRoomSteady;
  CHECK_FALSE(holdOver(without, never));
  without.now = now + kRoomStartWait;
  CHECK(holdOver(without, never));

  // Seen, then gone (it died): let go once it stayed gone for kRoomSteady, a fixed hold too. A moment
  // without a process (between ExecStartPre= and ExecStart=) is not gone.
  RoomRequest died = request(700);
  died.made_at = now;
  died.hold = std::chrono::seconds(3600);
  CHECK_FALSE(holdOver(snapshot(300, now + std::chrono::seconds(1)), died));
  without.now = now + std::chrono::seconds(2);
  CHECK_FALSE(holdOver(without, died));
  CHECK_FALSE(holdOver(snapshot(300, now + std::chrono::seconds(3)), died));
  without.now = now + std::chrono::seconds(4);
  CHECK_FALSE(holdOver(without, died));
  without.now = now + std::chrono::seconds(4) + kRoomSteady;
  CHECK(holdOver(without, died));
}

TEST_CASE("units a request holds are not released until its hold ends", "[throttle][room]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  ControllerState state;
  UnitState& batch = state.entryFor("batch.service");
  batch.memory_high_bytes = 128 * kMiB;
  state.release_since = Clock::time_point{};
  state.held = {"batch.service"};
  Snapshot calm = snapshot(3000, Clock::time_point{} + std::chrono::seconds(60));
  Decision d = decide(calm, state, policy, {});
  CHECK(d.actions.empty());
  CHECK(d.phase == Phase::kHolding);
  CHECK(d.waiting.find("holding batch.service") != std::string::npos);
  state.held.clear();
  d = decide(calm, state, policy, {});
  REQUIRE(d.actions.size() == 1);
  CHECK(d.actions[0].kind == ActionKind::kRestoreMemoryHigh);
}
