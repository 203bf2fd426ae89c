#include "bus/throttle_records.h"

#include <catch2/catch.hpp>

using namespace jmem;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

}  // namespace

TEST_CASE("a throttled unit survives the bus with every field, an infinite prior MemoryHigh absent",
          "[bus]") {
  const ThrottleUnitRecord sent{"batch.service", 900 * kMiB, std::nullopt, true, false, true};
  const BusRecord record = encodeThrottleUnit(sent);
  CHECK(record.contains("memory_high_bytes"));
  CHECK_FALSE(record.contains("prior_memory_high_bytes"));
  CHECK(decodeThrottleUnit(record) == sent);

  const ThrottleUnitRecord frozen_only{"cam.service", std::nullopt, 2000 * kMiB, true, true, false};
  CHECK(decodeThrottleUnit(encodeThrottleUnit(frozen_only)) == frozen_only);
}

TEST_CASE("a throttle action and a control survive the bus with every field", "[bus]") {
  const ThrottleActionRecord sent{1'700'000'000'000'000,
                                  "batch.service",
                                  "throttle",
                                  "operator",
                                  512 * kMiB,
                                  false,
                                  "Failed to set MemoryHigh: Access denied"};
  CHECK(decodeThrottleAction(encodeThrottleAction(sent)) == sent);
  ThrottleActionRecord thaw = sent;
  thaw.action = "thaw";
  thaw.memory_high_bytes.reset();
  thaw.ok = true;
  const BusRecord record = encodeThrottleAction(thaw);
  CHECK_FALSE(record.contains("memory_high_bytes"));
  CHECK(decodeThrottleAction(record) == thaw);

  const ThrottleControlRecord control{"freeze", false, "cgroup v1: no freezer controller"};
  CHECK(decodeThrottleControl(encodeThrottleControl(control)) == control);
}

TEST_CASE("headroom survives the bus with each unit in order, and an empty record reads as none", "[bus]") {
  const RoomRecord sent{
      2000, 512, 1488, 1100, {{"batch.service", "stop", 1000}, {"camera.service", "throttle", 100}}};
  CHECK(decodeRoom(encodeRoom(sent)) == sent);
  CHECK(decodeRoom(BusRecord{}) == RoomRecord{});
}
