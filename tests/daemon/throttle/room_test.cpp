#include "throttle/room.h"

#include <catch2/catch.hpp>

#include "support/policy_text.h"

using namespace jmem;
using namespace jmem::throttle;

namespace {

// batch may be stopped, camera only throttled then frozen, logger only frozen; inference protected.
const char* kPolicy = R"([pressure]
available_low_mib = 512
allow_stop = true

[[workloads]]
unit = "inference.service"
protected = true

[[workloads]]
unit = "batch.service"
priority = 10
actions = ["throttle", "freeze", "stop"]

[[workloads]]
unit = "camera.service"
priority = 20
actions = ["throttle", "freeze"]
throttle_memory_high_mib = 300

[[workloads]]
unit = "logger.service"
priority = 30
actions = ["freeze"]
)";

SnapshotUnit unit(const std::string& name, std::uint64_t file_mib, std::uint64_t anon_mib) {
  SnapshotUnit figures;
  figures.unit = name;
  figures.file_bytes = file_mib * kMiB;
  figures.anon_bytes = anon_mib * kMiB;
  figures.cost_bytes = figures.file_bytes + figures.anon_bytes;
  return figures;
}

Snapshot snapshot(std::uint64_t available_mib, std::optional<std::uint64_t> swap_free_mib) {
  Snapshot s;
  s.mem_available_bytes = available_mib * kMiB;
  if (swap_free_mib) s.swap_free_bytes = *swap_free_mib * kMiB;
  s.units = {unit("inference.service", 100, 2900), unit("batch.service", 200, 800),
             unit("camera.service", 100, 400), unit("logger.service", 50, 50)};
  return s;
}

std::uint64_t given(const Room& room, const std::string& unit) {
  for (const auto& u : room.units) {
    if (u.unit == unit) return u.bytes;
  }
  return 0;
}

}  // namespace

TEST_CASE("headroom is MemAvailable above the policy's low watermark, and none below it", "[throttle]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  Room room = roomOf(snapshot(2000, std::nullopt), {}, policy, {});
  CHECK(room.mem_available_bytes == 2000 * kMiB);
  CHECK(room.low_watermark_bytes == 512 * kMiB);
  CHECK(room.headroom_bytes == (2000 - 512) * kMiB);
  room = roomOf(snapshot(400, std::nullopt), {}, policy, {});
  CHECK(room.headroom_bytes == 0);
}

TEST_CASE("a stop gives a unit's whole cost, a throttle without swap only its file pages, a freeze nothing",
          "[throttle]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const Room room = roomOf(snapshot(2000, std::nullopt), {}, policy, {});
  CHECK(given(room, "batch.service") == 1000 * kMiB);
  // MemoryHigh 300 MiB squeezes 200 MiB out of 500; without swap only its 100 MiB of file pages move.
  CHECK(given(room, "camera.service") == 100 * kMiB);
  CHECK(given(room, "logger.service") == 0);
  CHECK(given(room, "inference.service") == 0);
  CHECK(room.throttle_bytes == 1100 * kMiB);
  // In the order the throttle climbs: the lowest priority first.
  REQUIRE(room.units.size() == 2);
  CHECK(room.units[0].unit == "batch.service");
  CHECK(room.units[0].rung == "stop");
  CHECK(room.units[1].rung == "throttle");
}

TEST_CASE("with zram a throttle moves anonymous pages for what compression saves, within what zram has left",
          "[throttle]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  Snapshot s = snapshot(2000, 1000);
  s.zram.devices = 1;
  s.zram.disksize_bytes = 1000 * kMiB;  // all of swap is zram, empty: compression assumed 2:1
  const Room room = roomOf(s, {}, policy, {});
  // 200 MiB squeezed: 100 MiB of file pages back whole, 100 MiB of anonymous ones into zram at 2:1.
  CHECK(given(room, "camera.service") == 150 * kMiB);
  s.zram.orig_data_bytes = 990 * kMiB;  // zram nearly full: 10 MiB of capacity left, 5 MiB saved
  s.swap_free_bytes = 10 * kMiB;
  CHECK(given(roomOf(s, {}, policy, {}), "camera.service") == 105 * kMiB);
}

TEST_CASE("a throttle squeezes a unit's pages, not its NvMap buffers", "[throttle]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  Snapshot s = snapshot(2000, std::nullopt);
  // camera: 100 MiB of file pages and 2 GiB of NvMap: MemoryHigh 300 MiB is above its pages.
  s.units[2] = unit("camera.service", 100, 0);
  s.units[2].cost_bytes += 2048 * kMiB;
  CHECK(given(roomOf(s, {}, policy, {}), "camera.service") == 0);
}

TEST_CASE("a unit at the top of what the ladder allows gives nothing more, nor one the device cannot act on",
          "[throttle]") {
  const auto policy = test::parsePolicyOrFail(kPolicy);
  ControllerState state;
  state.entryFor("camera.service").memory_high_bytes = 300 * kMiB;  // throttled: only the freeze is left
  Room room = roomOf(snapshot(2000, std::nullopt), state, policy, {});
  CHECK(given(room, "camera.service") == 0);
  // cgroup v1: no MemoryHigh; the stop is still there.
  room = roomOf(snapshot(2000, std::nullopt), {}, policy, Capabilities{false, false});
  CHECK(given(room, "camera.service") == 0);
  CHECK(given(room, "batch.service") == 1000 * kMiB);
}

TEST_CASE("without allow_stop a stop on the ladder gives nothing and the throttle below it counts",
          "[throttle]") {
  std::string text = kPolicy;
  text.replace(text.find("allow_stop = true"), 17, "allow_stop = false");
  const auto policy = test::parsePolicyOrFail(text);
  const Room room = roomOf(snapshot(2000, std::nullopt), {}, policy, {});
  // 10% below its 1000 MiB cost: 100 MiB squeezed, within its 200 MiB of file pages.
  CHECK(given(room, "batch.service") == 100 * kMiB);
}
