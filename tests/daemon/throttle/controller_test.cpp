#include "throttle/controller.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "support/policy_text.h"

using namespace jmem;
using namespace jmem::throttle;

namespace {

policy::Policy parse(const std::string& text) {
  return test::parsePolicyOrFail(text);
}

// Two workloads that climb throttle then freeze, one protected, stopping not allowed.
const char* kPolicy = R"(keep = ["ssh.service"]

[pressure]
available_low_mib = 512
available_high_mib = 1024
release_hold_s = 30
psi_some_avg10_percent = 40
psi_full_avg10_percent = 10
nvmap_ceiling_mib = 0
min_action_interval_s = 5
max_actions_per_minute = 6

[[workloads]]
unit = "inference.service"
protected = true

[[workloads]]
unit = "camera.service"
priority = 20
actions = ["throttle", "freeze"]
throttle_memory_high_mib = 300

[[workloads]]
unit = "batch.service"
priority = 10
actions = ["throttle", "freeze"]
)";

Clock::time_point at(double seconds) {
  return Clock::time_point{} + std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

SnapshotUnit unit(const std::string& name, std::uint64_t cost_mib,
                  std::optional<std::uint64_t> memory_high_mib = std::nullopt) {
  SnapshotUnit figures;
  figures.unit = name;
  figures.cost_bytes = cost_mib * kMiB;
  // As read before the decision: infinity unless given.
  figures.memory_high =
      OwnMemoryHigh::read(memory_high_mib ? std::optional(*memory_high_mib * kMiB) : std::nullopt);
  return figures;
}

// MemAvailable in MiB, everything else calm; units by cost, largest first.
Snapshot snapshot(double seconds, std::uint64_t available_mib) {
  Snapshot s;
  s.now = at(seconds);
  s.mem_available_bytes = available_mib * kMiB;
  s.pressure_available = true;
  s.units = {unit("inference.service", 3000), unit("batch.service", 1000), unit("camera.service", 500),
             unit("ssh.service", 10)};
  return s;
}

// Drives the controller the way jmemd does: each decision's state feeds the next call.
struct Controller {
  policy::Policy policy;
  Capabilities capabilities;
  ControllerState state;

  Decision tick(const Snapshot& s) {
    auto decision = decide(s, state, policy, capabilities);
    state = decision.state;
    return decision;
  }
};

std::string describe(const Decision& decision) {
  if (decision.actions.empty()) return "-";
  std::string text;
  for (const auto& action : decision.actions) {
    if (!text.empty()) text += ", ";
    text += std::string(toString(action.kind)) + " " + action.unit;
  }
  return text;
}

bool hasUnavailable(const Decision& decision, const std::string& unit_name, ActionKind kind) {
  for (const auto& entry : decision.unavailable) {
    if (entry.unit == unit_name && entry.kind == kind) return true;
  }
  return false;
}

}  // namespace

TEST_CASE(
    "MemAvailable below the low watermark alone throttles the lowest-priority workload 10% below its cost",
    "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  const auto decision = controller.tick(snapshot(0, 256));
  CHECK(decision.phase == Phase::kPressure);
  REQUIRE(decision.triggers.size() == 1);
  CHECK(decision.triggers[0] == "MemAvailable 256.0M is below available_low_mib 512.0M");
  REQUIRE(decision.actions.size() == 1);
  const auto& action = decision.actions[0];
  CHECK(action.unit == "batch.service");
  CHECK(action.kind == ActionKind::kThrottle);
  CHECK(action.memory_high_bytes == 900 * kMiB);
  CHECK_THAT(action.reason, Catch::StartsWith("MemAvailable 256.0M is below available_low_mib 512.0M: "
                                              "throttling batch.service (priority 10) to MemoryHigh 900.0M"));
  REQUIRE(decision.state.find("batch.service"));
  CHECK(decision.state.find("batch.service")->memory_high_bytes == 900 * kMiB);
  CHECK_FALSE(decision.state.find("batch.service")->prior_memory_high_bytes);
}

TEST_CASE("MemAvailable exactly at the low watermark is no trigger", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  const auto decision = controller.tick(snapshot(0, 512));
  CHECK(decision.triggers.empty());
  CHECK(decision.actions.empty());
  CHECK(decision.phase == Phase::kCalm);
}

TEST_CASE("PSI some avg10 above its threshold alone is a trigger", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  auto s = snapshot(0, 4000);
  s.psi_some_avg10_permyriad = 4000;  // 40.00%: not above 40%
  CHECK(controller.tick(s).triggers.empty());
  s.psi_some_avg10_permyriad = 4001;
  const auto decision = controller.tick(s);
  REQUIRE(decision.triggers.size() == 1);
  CHECK(decision.triggers[0] == "PSI some avg10 40.01% is above psi_some_avg10_percent 40%");
  REQUIRE(decision.actions.size() == 1);
  CHECK_THAT(decision.actions[0].reason, Catch::StartsWith("PSI some avg10 40.01% is above"));
}

TEST_CASE("PSI full avg10 above its threshold alone is a trigger", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  auto s = snapshot(0, 4000);
  s.psi_full_avg10_permyriad = 1250;
  const auto decision = controller.tick(s);
  REQUIRE(decision.triggers.size() == 1);
  CHECK(decision.triggers[0] == "PSI full avg10 12.50% is above psi_full_avg10_percent 10%");
  CHECK(describe(decision) == "throttle batch.service");
}

TEST_CASE("PSI figures are ignored when the kernel has no PSI", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  auto s = snapshot(0, 4000);
  s.pressure_available = false;
  s.psi_some_avg10_permyriad = 9000;
  s.psi_full_avg10_permyriad = 9000;
  const auto decision = controller.tick(s);
  CHECK(decision.triggers.empty());
  CHECK(decision.actions.empty());
}

TEST_CASE("the NvMap total above its ceiling alone is a trigger, and a ceiling of 0 is off", "[throttle]") {
  auto policy = parse(kPolicy);
  auto s = snapshot(0, 4000);
  s.nvmap_available = true;
  s.nvmap_total_bytes = 5000 * kMiB;
  {
    Controller controller{policy, {}, {}};
    CHECK(controller.tick(s).triggers.empty());
  }
  policy.pressure.nvmap_ceiling_mib.value = 2048;
  {
    Controller controller{policy, {}, {}};
    const auto decision = controller.tick(s);
    REQUIRE(decision.triggers.size() == 1);
    CHECK(decision.triggers[0] == "NvMap total 4.9G is above nvmap_ceiling_mib 2.0G");
    CHECK(describe(decision) == "throttle batch.service");
  }
  {
    Controller controller{policy, {}, {}};
    s.nvmap_available = false;
    CHECK(controller.tick(s).triggers.empty());
  }
}

TEST_CASE("any GPU's use above its ceiling alone is a trigger, and a ceiling of 0 is off", "[throttle]") {
  auto policy = parse(kPolicy);
  auto s = snapshot(0, 4000);
  s.gpu_uses = {{"GPU 0 (NVIDIA H100 80GB HBM3)", 1000 * kMiB}, {"GPU 1 (NVIDIA Thor)", 6000 * kMiB}};
  {
    Controller controller{policy, {}, {}};
    CHECK(controller.tick(s).triggers.empty());
  }
  policy.pressure.gpu_ceiling_mib.value = 4096;
  {
    Controller controller{policy, {}, {}};
    const auto decision = controller.tick(s);
    REQUIRE(decision.triggers.size() == 1);
    CHECK(decision.triggers[0] == "GPU 1 (NVIDIA Thor) uses 5.9G, above gpu_ceiling_mib 4.0G");
    CHECK(describe(decision) == "throttle batch.service");
  }
  {
    Controller controller{policy, {}, {}};
    s.gpu_uses[1].bytes = 4096 * kMiB;  // at the ceiling is not above it
    CHECK(controller.tick(s).triggers.empty());
  }
}

TEST_CASE(
    "the controller's snapshot takes each GPU whose use is known, an integrated one's from its processes, "
    "as a lower bound when one process's bytes are unknown",
    "[throttle]") {
  Ledger ledger;
  GpuDevice h100;
  h100.index = 0;
  h100.name = "NVIDIA H100 80GB HBM3";
  h100.used_bytes = 3 * 1024 * kMiB;
  GpuDevice thor;
  thor.index = 1;
  thor.name = "NVIDIA Thor";
  thor.integrated = true;
  thor.processes_complete = true;
  thor.attributed_bytes = 700 * kMiB;
  GpuDevice lost;
  lost.index = 2;
  GpuDevice orin = thor;  // one of its processes has bytes NVML cannot give
  orin.index = 3;
  orin.name = "Orin";
  orin.processes = {{40, 500 * kMiB, true, false}, {41, std::nullopt, false, true}};
  orin.attributed_bytes = 500 * kMiB;
  ledger.system.gpus.available = true;
  ledger.system.gpus.devices = {h100, thor, lost, orin};
  const Snapshot s = snapshotOf(ledger, Clock::time_point{});
  CHECK(s.gpu_uses == std::vector<GpuUse>{{"GPU 0 (NVIDIA H100 80GB HBM3)", 3 * 1024 * kMiB, false},
                                          {"GPU 1 (NVIDIA Thor)", 700 * kMiB, false},
                                          {"GPU 3 (Orin)", 500 * kMiB, true}});
}

TEST_CASE("fresher system figures replace a snapshot's memory and pressure and keep the ledger's units",
          "[throttle]") {
  Ledger ledger;
  ledger.system.meminfo.mem_available_bytes = 900 * kMiB;
  LedgerUnit unit;
  unit.unit = "batch.service";
  unit.manager = "system";
  unit.memory.pss_bytes = 300 * kMiB;
  ledger.units = {unit};
  Snapshot s = snapshotOf(ledger, Clock::time_point{});
  SystemFigures fresh;
  fresh.meminfo.mem_available_bytes = 100 * kMiB;
  fresh.pressure.available = true;
  fresh.pressure.some.avg10_permyriad = 4200;
  setSystemFigures(s, fresh);
  CHECK(s.mem_available_bytes == fresh.meminfo.mem_available_bytes);
  CHECK(s.pressure_available);
  CHECK(s.psi_some_avg10_permyriad == fresh.pressure.some.avg10_permyriad);
  REQUIRE(s.units.size() == 1);
  CHECK(s.units[0].cost_bytes == unit.memory.costBytes());
}

TEST_CASE("a lower bound of a GPU's use above its ceiling is a trigger that says at least", "[throttle]") {
  auto policy = parse(kPolicy);
  policy.pressure.gpu_ceiling_mib.value = 4096;
  auto s = snapshot(0, 4000);
  s.gpu_uses = {{"GPU 0 (NVIDIA Thor)", 5000 * kMiB, true}};
  Controller controller{policy, {}, {}};
  const auto decision = controller.tick(s);
  REQUIRE(decision.triggers.size() == 1);
  CHECK(decision.triggers[0] == "GPU 0 (NVIDIA Thor) uses at least 4.9G, above gpu_ceiling_mib 4.0G");
}

TEST_CASE("every trigger that holds is named in the reason", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  auto s = snapshot(0, 100);
  s.psi_some_avg10_permyriad = 5000;
  s.psi_full_avg10_permyriad = 2000;
  const auto decision = controller.tick(s);
  CHECK(decision.triggers.size() == 3);
  REQUIRE(decision.actions.size() == 1);
  CHECK_THAT(decision.actions[0].reason, Catch::Contains("MemAvailable 100.0M") &&
                                             Catch::Contains("; PSI some avg10 50.00%") &&
                                             Catch::Contains("; PSI full avg10 20.00%"));
}

TEST_CASE("workloads climb one rung per action, lowest priority first, the next only once one is at the top",
          "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  std::vector<std::string> steps;
  for (int i = 0; i < 5; ++i) {
    const auto decision = controller.tick(snapshot(i * 5.0, 256));
    CHECK(decision.actions.size() <= 1);
    steps.push_back(describe(decision));
  }
  CHECK(steps == std::vector<std::string>{"throttle batch.service", "freeze batch.service",
                                          "throttle camera.service", "freeze camera.service", "-"});
  const auto last = controller.tick(snapshot(30, 256));
  CHECK(last.actions.empty());
  CHECK(last.waiting == "no workload left to act on");
  CHECK_FALSE(controller.state.find("inference.service"));
  CHECK_FALSE(controller.state.find("ssh.service"));
  REQUIRE(controller.state.units.size() == 2);
  CHECK(controller.state.units[0].unit == "batch.service");
  CHECK(controller.state.units[1].unit == "camera.service");
}

TEST_CASE("a throttle takes throttle_memory_high_mib when the workload sets it", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  auto s = snapshot(0, 256);
  s.units = {unit("camera.service", 500)};
  const auto decision = controller.tick(s);
  REQUIRE(decision.actions.size() == 1);
  CHECK(decision.actions[0].memory_high_bytes == 300 * kMiB);
  CHECK_THAT(decision.actions[0].reason, Catch::Contains("as throttle_memory_high_mib says"));
}

TEST_CASE("a throttle steps by throttle_step_percent, never below the floor, never raising a MemoryHigh",
          "[throttle]") {
  auto policy = parse(kPolicy);
  policy.workloads[2].throttle_step_percent = policy::Located<std::uint32_t>{20};
  auto throttleOf = [&](SnapshotUnit figures) {
    Controller controller{policy, {}, {}};
    auto s = snapshot(0, 256);
    s.units = {std::move(figures)};
    const auto decision = controller.tick(s);
    REQUIRE(decision.actions.size() == 1);
    REQUIRE(decision.actions[0].kind == ActionKind::kThrottle);
    return *decision.actions[0].memory_high_bytes;
  };
  CHECK(throttleOf(unit("batch.service", 1000)) == 800 * kMiB);
  CHECK(throttleOf(unit("batch.service", 50)) == kThrottleFloorBytes);
  CHECK(throttleOf(unit("batch.service", 0)) == kThrottleFloorBytes);
  // An existing, lower MemoryHigh is the base of the step.
  CHECK(throttleOf(unit("batch.service", 1000, 500)) == 400 * kMiB);
  // The floor never lifts an existing MemoryHigh below it.
  CHECK(throttleOf(unit("batch.service", 1000, 32)) == 32 * kMiB);
  // Nor does an explicit value above it.
  CHECK(throttleOf(unit("camera.service", 1000, 200)) == 200 * kMiB);
}

TEST_CASE("the default step is kDefaultThrottleStepPercent", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  auto s = snapshot(0, 256);
  s.units = {unit("batch.service", 2000)};
  const auto decision = controller.tick(s);
  REQUIRE(decision.actions.size() == 1);
  CHECK(decision.actions[0].memory_high_bytes ==
        2000 * kMiB * (100 - policy::kDefaultThrottleStepPercent) / 100);
}

TEST_CASE("ties in priority follow the order written, then the ledger's order of cost", "[throttle]") {
  auto policy = parse(R"(
[[workloads]]
unit = "worker-*.service"
actions = ["throttle"]

[[workloads]]
unit = "logger.service"
actions = ["throttle"]
)");
  policy.pressure.min_action_interval_s.value = 0;
  Controller controller{policy, {}, {}};
  auto s = snapshot(0, 256);
  s.units = {unit("logger.service", 2000), unit("worker-b.service", 900), unit("worker-a.service", 100)};
  std::vector<std::string> steps;
  for (int i = 0; i < 4; ++i) {
    s.now = at(i);
    steps.push_back(describe(controller.tick(s)));
  }
  CHECK(steps == std::vector<std::string>{"throttle worker-b.service", "throttle worker-a.service",
                                          "throttle logger.service", "-"});
}

TEST_CASE("an exact workload governs its unit before a glob that also matches it", "[throttle]") {
  auto policy = parse(R"(
[[workloads]]
unit = "batch-*.service"
priority = 1
actions = ["throttle"]

[[workloads]]
unit = "batch-keep.service"
priority = 5
actions = ["freeze"]
)");
  Controller controller{policy, {}, {}};
  auto s = snapshot(0, 256);
  s.units = {unit("batch-keep.service", 900)};
  CHECK(describe(controller.tick(s)) == "freeze batch-keep.service");
}

TEST_CASE("protected, kept and essential units, slices, jmemd's own unit and user units are never acted on",
          "[throttle]") {
  auto policy = parse(kPolicy);
  // A workload matching everything, as a careless glob would.
  policy::Workload everything;
  everything.unit = policy::UnitPattern{"*", true, {}};
  everything.actions = {{policy::WorkloadAction::kThrottle},
                        {policy::WorkloadAction::kFreeze},
                        {policy::WorkloadAction::kStop}};
  policy.workloads.insert(policy.workloads.begin(), everything);
  policy.pressure.allow_stop.value = true;
  policy.pressure.min_action_interval_s.value = 0;
  policy.pressure.max_actions_per_minute.value = 600;
  Controller controller{policy, {}, {}};

  auto s = snapshot(0, 100);
  SnapshotUnit user_unit = unit("pipewire.service", 300);
  user_unit.manager = "user@1000.service";
  s.units = {unit("inference.service", 3000),
             unit("ssh.service", 10),
             unit("dbus.service", 5),
             unit("systemd-journald.service", 50),
             unit("init.scope", 20),
             unit("-.slice", 4000),
             unit("system.slice", 3500),
             unit("jmemd.service", 8),
             unit("robot-governor.service", 8),
             user_unit,
             unit("victim.service", 700)};
  s.self_unit = "robot-governor.service";
  for (int i = 0; i < 20; ++i) {
    s.now = at(i);
    for (const auto& action : controller.tick(s).actions) CHECK(action.unit == "victim.service");
  }
  REQUIRE(controller.state.units.size() == 1);
  CHECK(controller.state.units[0].stopped);

  CHECK(whyNotActedOn("inference.service", "system", policy, "") ==
        "inference.service is a protected workload");
  CHECK(whyNotActedOn("ssh.service", "system", policy, "") == "ssh.service is in the policy's keep list");
  CHECK(whyNotActedOn("init.scope", "system", policy, "") == "init.scope is essential to the system");
  CHECK(whyNotActedOn("-.slice", "system", policy, "") == "-.slice is essential to the system");
  CHECK(whyNotActedOn("jmemd.service", "system", policy, "") == "jmemd.service is essential to the system");
  CHECK(whyNotActedOn("dbus.service", "system", policy, ""));
  CHECK(whyNotActedOn("systemd-journald.service", "system", policy, ""));
  CHECK(whyNotActedOn("user.slice", "system", policy, "") == "user.slice is a slice: it holds other units");
  CHECK(whyNotActedOn("robot.service", "system", policy, "robot.service") ==
        "robot.service is jmemd's own unit");
  CHECK(whyNotActedOn("pipewire.service", "user@1000.service", policy, ""));
  CHECK(mayActOn("victim.service", "system", policy, ""));
}

TEST_CASE("release waits for MemAvailable above the high watermark, held for release_hold_s", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  REQUIRE(describe(controller.tick(snapshot(0, 256))) == "throttle batch.service");

  // Between the watermarks: no trigger, no release.
  auto between = controller.tick(snapshot(10, 800));
  CHECK(between.phase == Phase::kHolding);
  CHECK(between.actions.empty());
  CHECK_FALSE(between.state.release_since);
  // Exactly at the high watermark is not above it.
  CHECK_FALSE(controller.tick(snapshot(12, 1024)).state.release_since);

  auto above = controller.tick(snapshot(20, 1100));
  CHECK(above.actions.empty());
  CHECK(above.state.release_since == at(20));
  CHECK_THAT(above.waiting, Catch::StartsWith("release after 30 s above available_high_mib"));
  CHECK(controller.tick(snapshot(49.9, 1100)).actions.empty());

  const auto release = controller.tick(snapshot(50, 1100));
  CHECK(release.phase == Phase::kReleasing);
  REQUIRE(release.actions.size() == 1);
  CHECK(release.actions[0].kind == ActionKind::kRestoreMemoryHigh);
  CHECK_FALSE(release.actions[0].memory_high_bytes);
  CHECK(release.actions[0].reason ==
        "MemAvailable 1.1G has stayed above available_high_mib 1.0G with no trigger for 30.0 s: "
        "restoring MemoryHigh of batch.service to infinity");
  CHECK(release.state.units.empty());
  CHECK(controller.tick(snapshot(60, 1100)).phase == Phase::kCalm);
}

TEST_CASE("a dip below the high watermark or a trigger restarts the hold time", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  controller.tick(snapshot(0, 256));
  controller.tick(snapshot(10, 1100));
  controller.tick(snapshot(35, 1000));  // dip: the hold starts over
  CHECK(controller.tick(snapshot(40, 1100)).state.release_since == at(40));
  CHECK(controller.tick(snapshot(69, 1100)).actions.empty());
  auto psi = snapshot(69.5, 1100);
  psi.psi_some_avg10_permyriad = 4500;  // above the watermark, but PSI says pressure
  const auto pressured = controller.tick(psi);
  CHECK_FALSE(pressured.state.release_since);
  CHECK(describe(pressured) == "freeze batch.service");
  CHECK(controller.tick(snapshot(80, 1100)).actions.empty());
  CHECK(describe(controller.tick(snapshot(110, 1100))) ==
        "restore_memory_high batch.service, thaw batch.service");
}

TEST_CASE(
    "release undoes a unit at a time, newest first, lifting its throttle and then thawing it in one step, "
    "and restores the prior MemoryHigh",
    "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  auto s = snapshot(0, 256);
  s.units = {unit("batch.service", 1000, 2000), unit("camera.service", 500)};
  for (int i = 0; i < 3; ++i) {
    s.now = at(i * 5);
    REQUIRE(controller.tick(s).actions.size() == 1);
  }
  REQUIRE(controller.state.find("batch.service")->prior_memory_high_bytes == 2000 * kMiB);

  std::vector<std::string> steps;
  std::vector<std::optional<std::uint64_t>> restored;
  CHECK(controller.tick(snapshot(20, 2000)).actions.empty());
  for (int i = 0; i < 5; ++i) {
    const auto decision = controller.tick(snapshot(45 + i * 5, 2000));
    steps.push_back(describe(decision));
    for (const auto& action : decision.actions) {
      if (action.kind == ActionKind::kRestoreMemoryHigh) restored.push_back(action.memory_high_bytes);
    }
  }
  // The hold starts at 20: nothing before 50, then one step every min_action_interval_s.
  CHECK(steps == std::vector<std::string>{"-", "restore_memory_high camera.service",
                                          "restore_memory_high batch.service, thaw batch.service", "-", "-"});
  CHECK(restored == std::vector<std::optional<std::uint64_t>>{std::nullopt, 2000 * kMiB});
  CHECK(controller.state.units.empty());
}

TEST_CASE("MemAvailable hovering at the low watermark escalates but never flaps into a release",
          "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  int escalations = 0;
  for (int i = 0; i < 600; ++i) {
    const auto decision = controller.tick(snapshot(i, i % 2 == 0 ? 500 : 530));
    for (const auto& action : decision.actions) {
      CHECK((action.kind == ActionKind::kThrottle || action.kind == ActionKind::kFreeze));
      ++escalations;
    }
  }
  CHECK(escalations == 4);
}

TEST_CASE("after a release begins, a new trigger must hold for min_action_interval_s before a new action",
          "[throttle]") {
  auto policy = parse(kPolicy);
  policy.pressure.release_hold_s.value = 0;
  // The ticks below are seconds apart: a fall measured across such a gap is an emergency, whose
  // rule is tested apart.
  policy.pressure.exhaustion_horizon_s.value = 0;
  Controller controller{policy, {}, {}};
  controller.tick(snapshot(0, 256));
  controller.tick(snapshot(5, 256));  // batch throttled and frozen
  REQUIRE(describe(controller.tick(snapshot(10, 2000))) ==
          "restore_memory_high batch.service, thaw batch.service");
  CHECK(controller.state.releasing);

  // A trigger blinking on and off never acts: it never holds for 5 s.
  for (int i = 0; i < 10; ++i) {
    const auto decision = controller.tick(snapshot(20 + i, i % 2 == 0 ? 500 : 800));
    CHECK(decision.actions.empty());
    if (i % 2 == 0) CHECK_THAT(decision.waiting, Catch::StartsWith("a release has begun"));
  }
  // A trigger that holds acts once it has held 5 s.
  CHECK(controller.tick(snapshot(40, 500)).actions.empty());
  CHECK(controller.tick(snapshot(44.9, 500)).actions.empty());
  const auto decision = controller.tick(snapshot(45, 500));
  CHECK(describe(decision) == "throttle batch.service");
  CHECK_FALSE(decision.state.releasing);
}

TEST_CASE("actions are at least min_action_interval_s apart", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  CHECK(controller.tick(snapshot(0, 256)).actions.size() == 1);
  const auto early = controller.tick(snapshot(4.9, 256));
  CHECK(early.actions.empty());
  CHECK(early.waiting == "the last action was 4.9 s ago; min_action_interval_s is 5 s");
  CHECK(controller.tick(snapshot(5, 256)).actions.size() == 1);
}

TEST_CASE("at most max_actions_per_minute actions in any 60 s", "[throttle]") {
  auto policy = parse(kPolicy);
  policy.pressure.min_action_interval_s.value = 0;
  policy.pressure.max_actions_per_minute.value = 3;
  Controller controller{policy, {}, {}};
  std::vector<double> acted_at;
  for (int i = 0; i < 70; ++i) {
    const auto decision = controller.tick(snapshot(i, 256));
    if (!decision.actions.empty()) acted_at.push_back(i);
    if (i == 3) CHECK(decision.waiting == "3 actions in the last minute; max_actions_per_minute is 3");
  }
  CHECK(acted_at == std::vector<double>{0, 1, 2, 60});
}

TEST_CASE("memory falling fast is measured, but no trigger on its own", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  // 200 MiB a second, from 2000 MiB: nothing before the fall spans 2 s.
  CHECK_FALSE(controller.tick(snapshot(0, 2000)).exhaustion_s);
  CHECK_FALSE(controller.tick(snapshot(1, 1800)).exhaustion_s);
  const auto decision = controller.tick(snapshot(2, 1600));
  REQUIRE(decision.exhaustion_s);
  CHECK(*decision.exhaustion_s == Approx(8.0));
  CHECK(decision.triggers.empty());
  CHECK(decision.actions.empty());
}

TEST_CASE(
    "under a trigger, memory running out within the horizon escalates every 2 s, past "
    "min_action_interval_s and max_actions_per_minute",
    "[throttle]") {
  auto policy = parse(kPolicy);
  policy.pressure.max_actions_per_minute.value = 2;
  Controller controller{policy, {}, {}};
  std::vector<std::pair<int, std::string>> taken;
  for (int tick = 0; tick <= 7; ++tick) {
    // Below the low watermark and falling 50 MiB a second: at 2 s, 400 MiB last 8 s.
    const auto decision = controller.tick(snapshot(tick, 500 - 50 * static_cast<std::uint64_t>(tick)));
    if (!decision.actions.empty()) taken.emplace_back(tick, describe(decision));
    // The second after an action has not measured it yet: the rate limits hold.
    if (tick == 1 || tick == 3) CHECK_FALSE(decision.exhaustion_s);
    if (tick == 1) CHECK(decision.waiting == "the last action was 1.0 s ago; min_action_interval_s is 5 s");
    if (tick == 2) CHECK(decision.exhaustion_s == Approx(8.0));
  }
  CHECK(taken == std::vector<std::pair<int, std::string>>{{0, "throttle batch.service"},
                                                          {2, "freeze batch.service"},
                                                          {4, "throttle camera.service"},
                                                          {6, "freeze camera.service"}});
}

TEST_CASE("a fall that stops after an action ends the emergency: the rate limits hold again", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  for (int tick = 0; tick <= 2; ++tick)
    controller.tick(snapshot(tick, 500 - 50 * static_cast<std::uint64_t>(tick)));
  REQUIRE(controller.state.last_action == at(2));
  // The freeze at 2 s stopped the fall at 400 MiB.
  for (int tick = 3; tick <= 6; ++tick) {
    const auto decision = controller.tick(snapshot(tick, 400));
    CHECK_FALSE(decision.exhaustion_s);
    CHECK(decision.actions.empty());
  }
  CHECK(describe(controller.tick(snapshot(7, 400))) == "throttle camera.service");
}

TEST_CASE("headroom made of other parts (zram set up, its ratio first measured) is measured anew",
          "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  Decision decision;
  for (int tick = 0; tick <= 3; ++tick) {
    auto s = snapshot(tick, 500);
    s.swap_free_bytes = 2000 * kMiB;
    // zram appears at 3 s with nothing stored: its 2000 MiB count half (assumed 2:1), a drop of 1000.
    if (tick == 3) s.zram = ZramTotals{1, 2000 * kMiB, 0, 0, 0};
    decision = controller.tick(s);
  }
  CHECK_FALSE(decision.exhaustion_s);
  REQUIRE(controller.state.headroom.size() == 1);
  CHECK(controller.state.headroom.back().bytes == 1500 * kMiB);
}

TEST_CASE("a slow fall, or a horizon of 0, keeps the rate limits under a trigger", "[throttle]") {
  Controller slow{parse(kPolicy), {}, {}};
  for (int tick = 0; tick <= 4; ++tick) {
    // Below the low watermark, falling 10 MiB a second: 40 s and more to go.
    const auto decision = slow.tick(snapshot(tick, 500 - 10 * static_cast<std::uint64_t>(tick)));
    CHECK(decision.actions.size() == (tick == 0 ? 1u : 0u));
    if (tick >= 2) CHECK((decision.exhaustion_s && *decision.exhaustion_s > 15));
  }
  auto off = parse(kPolicy);
  off.pressure.exhaustion_horizon_s.value = 0;
  Controller controller{off, {}, {}};
  for (int tick = 0; tick <= 4; ++tick) {
    const auto decision = controller.tick(snapshot(tick, 500 - 50 * static_cast<std::uint64_t>(tick)));
    CHECK(decision.actions.size() == (tick == 0 ? 1u : 0u));
  }
}

TEST_CASE("a sampling interval longer than the window still measures the fall over four samples",
          "[throttle]") {
  auto policy = parse(kPolicy);
  policy.sample_interval.value = std::chrono::seconds{15};
  Controller controller{policy, {}, {}};
  // 10 MiB a second, from 2000 MiB, sampled every 15 s: 150 MiB a tick.
  CHECK_FALSE(controller.tick(snapshot(0, 2000)).exhaustion_s);
  const auto decision = controller.tick(snapshot(15, 1850));
  REQUIRE(decision.exhaustion_s);
  CHECK(*decision.exhaustion_s == Approx(185.0));
  for (int tick = 2; tick <= 5; ++tick)
    controller.tick(snapshot(15 * tick, 2000 - 150 * static_cast<std::uint64_t>(tick)));
  // The window is 60 s: the sample at 0 s has left it, the one at 15 s has not.
  REQUIRE(controller.state.headroom.size() == 5u);
  CHECK(controller.state.headroom.front().at == at(15));
}

TEST_CASE("free swap counts in the headroom whose fall is measured, zram's at its compression",
          "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  Decision decision;
  for (int tick = 0; tick <= 2; ++tick) {
    // MemAvailable falls 200 MiB a second, but 4 GiB of swap on disk stay free: 20 s and more to go.
    auto s = snapshot(tick, 1000 - 200 * static_cast<std::uint64_t>(tick));
    s.swap_free_bytes = 4096 * kMiB;
    decision = controller.tick(s);
  }
  REQUIRE(decision.exhaustion_s);
  CHECK(*decision.exhaustion_s == Approx((600.0 + 4096.0) / 200.0));
  CHECK(decision.triggers.empty());
}

TEST_CASE("on cgroup v1 throttle and freeze are reported unavailable and never pretended", "[throttle]") {
  Controller controller{parse(kPolicy), Capabilities{false, false}, {}};
  const auto decision = controller.tick(snapshot(0, 256));
  CHECK(decision.actions.empty());
  CHECK(decision.waiting == "no workload left to act on");
  CHECK(hasUnavailable(decision, "batch.service", ActionKind::kThrottle));
  CHECK(hasUnavailable(decision, "batch.service", ActionKind::kFreeze));
  CHECK(hasUnavailable(decision, "camera.service", ActionKind::kThrottle));
  CHECK(hasUnavailable(decision, "camera.service", ActionKind::kFreeze));
  CHECK(decision.state.units.empty());
  CHECK_FALSE(decision.state.last_action);
}

TEST_CASE("without a freezer the throttle is taken and the freeze skipped", "[throttle]") {
  auto policy = parse(kPolicy);
  Controller controller{policy, Capabilities{true, false}, {}};
  CHECK(describe(controller.tick(snapshot(0, 256))) == "throttle batch.service");
  const auto second = controller.tick(snapshot(5, 256));
  CHECK(describe(second) == "throttle camera.service");
  CHECK(hasUnavailable(second, "batch.service", ActionKind::kFreeze));
  CHECK_FALSE(controller.state.find("batch.service")->frozen);
}

TEST_CASE("on cgroup v1 with stopping allowed, stop is the only rung taken", "[throttle]") {
  auto policy = parse(R"(
[pressure]
allow_stop = true

[[workloads]]
unit = "batch.service"
actions = ["throttle", "freeze", "stop"]
)");
  Controller controller{policy, Capabilities{false, false}, {}};
  const auto decision = controller.tick(snapshot(0, 256));
  CHECK(describe(decision) == "stop batch.service");
  CHECK(hasUnavailable(decision, "batch.service", ActionKind::kThrottle));
  CHECK(hasUnavailable(decision, "batch.service", ActionKind::kFreeze));
}

TEST_CASE("stop is taken only when the policy allows it, and release starts the unit again", "[throttle]") {
  const char* ladder = R"(
[[workloads]]
unit = "batch.service"
actions = ["throttle", "freeze", "stop"]
)";
  {
    Controller controller{parse(ladder), {}, {}};
    std::vector<std::string> steps;
    for (int i = 0; i < 4; ++i) steps.push_back(describe(controller.tick(snapshot(i * 5.0, 256))));
    CHECK(steps == std::vector<std::string>{"throttle batch.service", "freeze batch.service", "-", "-"});
  }
  auto policy = parse(ladder);
  policy.pressure.allow_stop.value = true;
  Controller controller{policy, {}, {}};
  std::vector<std::string> steps;
  for (int i = 0; i < 3; ++i) steps.push_back(describe(controller.tick(snapshot(i * 5.0, 256))));
  CHECK(steps ==
        std::vector<std::string>{"throttle batch.service", "freeze batch.service", "stop batch.service"});
  const auto* batch = controller.state.find("batch.service");
  REQUIRE(batch);
  CHECK(batch->stopped);
  CHECK_FALSE(batch->frozen);
  CHECK(batch->throttled());

  // Stopped, the unit leaves the ledger; release still undoes what was applied to it.
  steps.clear();
  for (int i = 0; i < 5; ++i) {
    auto s = snapshot(20 + i * 10, 2000);  // the hold begins at 20 and ends at 50
    s.units = {unit("inference.service", 3000)};
    steps.push_back(describe(controller.tick(s)));
  }
  CHECK(steps == std::vector<std::string>{"-", "-", "-",
                                          "restore_memory_high batch.service, start batch.service", "-"});
}

TEST_CASE("a workload without actions is never acted on", "[throttle]") {
  Controller controller{parse(R"(
[[workloads]]
unit = "batch.service"
priority = 0
)"),
                        {},
                        {}};
  const auto decision = controller.tick(snapshot(0, 100));
  CHECK(decision.actions.empty());
  CHECK(decision.waiting == "no workload left to act on");
}

TEST_CASE("the snapshot of a ledger carries its memory, pressure, NvMap and units", "[throttle]") {
  Ledger ledger;
  ledger.system.meminfo.mem_available_bytes = 700 * kMiB;
  ledger.system.pressure.available = true;
  ledger.system.pressure.some.avg10_permyriad = 1234;
  ledger.system.pressure.full.avg10_permyriad = 56;
  ledger.system.nvmap.available = true;
  ledger.system.nvmap.total_bytes = 42 * kMiB;
  LedgerUnit batch;
  batch.unit = "batch.service";
  batch.manager = "system";
  batch.memory.pss_bytes = 100 * kMiB;
  batch.memory.nvmap_bytes = 20 * kMiB;
  ledger.units.push_back(batch);

  const auto s = snapshotOf(ledger, at(7));
  CHECK(s.now == at(7));
  CHECK(s.mem_available_bytes == 700 * kMiB);
  CHECK(s.pressure_available);
  CHECK(s.psi_some_avg10_permyriad == 1234);
  CHECK(s.psi_full_avg10_permyriad == 56);
  CHECK(s.nvmap_available);
  CHECK(s.nvmap_total_bytes == 42 * kMiB);
  REQUIRE(s.units.size() == 1);
  CHECK(s.units[0].unit == "batch.service");
  CHECK(s.units[0].manager == "system");
  CHECK(s.units[0].cost_bytes == 120 * kMiB);
  CHECK_FALSE(s.units[0].memory_high.known);
}

TEST_CASE("names of phases", "[throttle]") {
  CHECK(toString(Phase::kCalm) == "calm");
  CHECK(toString(Phase::kPressure) == "pressure");
  CHECK(toString(Phase::kHolding) == "holding");
  CHECK(toString(Phase::kReleasing) == "releasing");
}

TEST_CASE("a PSI trigger that fired is a trigger on its own, named in the reason", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  auto s = snapshot(0, 2000);
  s.psi_trigger = "PSI memory some stall crossed 200 ms within 1000 ms (kernel trigger)";
  const auto decision = controller.tick(s);
  CHECK(decision.phase == Phase::kPressure);
  REQUIRE(decision.actions.size() == 1);
  CHECK_THAT(decision.actions[0].reason, Catch::StartsWith(*s.psi_trigger + ": throttling batch.service"));
  // Gone at the next tick: no trigger, and MemAvailable is above the high watermark.
  CHECK(controller.tick(snapshot(1, 2000)).phase == Phase::kHolding);
}

TEST_CASE("an operator's throttle climbs one rung at a time, ignores rate limits, and is never auto-released",
          "[throttle]") {
  auto policy = parse(kPolicy);
  policy.pressure.release_hold_s.value = 0;
  ControllerState state;
  const auto first = decideOperatorThrottle(unit("batch.service", 1000), state, policy, {}, "", at(0));
  REQUIRE_FALSE(first.refusal);
  REQUIRE(first.actions.size() == 1);
  CHECK(first.actions[0].kind == ActionKind::kThrottle);
  CHECK(first.actions[0].memory_high_bytes == 900 * kMiB);
  CHECK(first.state.find("batch.service")->by_operator);
  const auto second =
      decideOperatorThrottle(unit("batch.service", 1000), first.state, policy, {}, "", at(0.1));
  REQUIRE(second.actions.size() == 1);
  CHECK(second.actions[0].kind == ActionKind::kFreeze);
  const auto third =
      decideOperatorThrottle(unit("batch.service", 1000), second.state, policy, {}, "", at(0.2));
  CHECK(third.actions.empty());
  CHECK(third.refusal == "batch.service is already at the top of its ladder");

  // Calm for long: the controller releases nothing of the operator's.
  Controller controller{policy, {}, second.state};
  for (int i = 0; i < 10; ++i) CHECK(controller.tick(snapshot(100 + i * 10, 4000)).actions.empty());
  CHECK(controller.state.find("batch.service"));
}

TEST_CASE("an operator's throttle of a unit no workload names uses throttle then freeze", "[throttle]") {
  const auto policy = parse(kPolicy);
  const auto decision = decideOperatorThrottle(unit("stray.service", 400), {}, policy, {}, "", at(0));
  REQUIRE(decision.actions.size() == 1);
  CHECK(decision.actions[0].kind == ActionKind::kThrottle);
  CHECK_THAT(decision.actions[0].reason, Catch::StartsWith("asked by an operator: throttling stray.service"));
}

TEST_CASE("an operator's throttle on a device without memory.high freezes and says the throttle was skipped",
          "[throttle]") {
  const auto policy = parse(kPolicy);
  const auto decision =
      decideOperatorThrottle(unit("batch.service", 400), {}, policy, {false, true}, "", at(0));
  REQUIRE(decision.actions.size() == 1);
  CHECK(decision.actions[0].kind == ActionKind::kFreeze);
  CHECK_THAT(decision.actions[0].reason,
             Catch::EndsWith("; skipped: cannot throttle batch.service: memory.high needs cgroup v2"));
}

TEST_CASE("an operator may not throttle protected, kept, essential or jmemd's own units", "[throttle]") {
  const auto policy = parse(kPolicy);
  for (const char* name : {"inference.service", "ssh.service", "dbus.service", "init.scope"}) {
    const auto decision = decideOperatorThrottle(unit(name, 400), {}, policy, {}, "", at(0));
    CHECK(decision.actions.empty());
    CHECK_THAT(decision.refusal.value_or(""), Catch::StartsWith(std::string("Refusing to throttle ") + name));
  }
  const auto self = decideOperatorThrottle(unit("jmemd.service", 10), {}, policy, {}, "jmemd.service", at(0));
  CHECK(self.refusal);
  const auto v1 = decideOperatorThrottle(unit("batch.service", 400), {}, policy, {false, false}, "", at(0));
  CHECK(v1.actions.empty());
  CHECK_THAT(v1.refusal.value_or(""), Catch::Contains("cannot freeze"));
}

TEST_CASE("an operator's release undoes one unit whole, its throttle before the thaw, and leaves the others",
          "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  auto s = snapshot(0, 256);
  for (int i = 0; i < 3; ++i) {
    s.now = at(i * 5);
    controller.tick(s);  // batch throttled, batch frozen, camera throttled
  }
  const auto release = decideOperatorRelease("batch.service", controller.state);
  CHECK_FALSE(release.refusal);
  REQUIRE(release.actions.size() == 2);
  CHECK(release.actions[0].kind == ActionKind::kRestoreMemoryHigh);
  CHECK(release.actions[1].kind == ActionKind::kThaw);
  CHECK_FALSE(release.state.find("batch.service"));
  CHECK(release.state.find("camera.service"));
  CHECK(decideOperatorRelease("idle.service", controller.state).refusal ==
        "idle.service is not throttled, frozen or stopped by jmemd");
}

namespace {

// Only what jmemd would read before deciding: every unit's MemoryHigh unknown but those
// memoryHighWanted names, which read as infinity.
Snapshot observed(Snapshot s, const Controller& controller) {
  const auto wanted = memoryHighWanted(s, controller.state, controller.policy, controller.capabilities);
  for (auto& figures : s.units) {
    const bool read = std::find(wanted.begin(), wanted.end(), figures.unit) != wanted.end();
    figures.memory_high = read ? OwnMemoryHigh::read(std::nullopt) : OwnMemoryHigh{};
  }
  return s;
}

}  // namespace

TEST_CASE("MemoryHigh is wanted for the unit a throttle due now would reach, and for none otherwise",
          "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  const auto wanted = [&](const Snapshot& s) {
    return memoryHighWanted(s, controller.state, controller.policy, controller.capabilities);
  };
  const std::vector<std::string> none;
  CHECK(wanted(snapshot(0, 2000)) == none);  // calm
  // The lowest priority climbs first; the protected and the kept unit are never candidates.
  CHECK(wanted(snapshot(0, 256)) == std::vector<std::string>{"batch.service"});
  controller.tick(snapshot(0, 256));        // batch throttled
  CHECK(wanted(snapshot(1, 256)) == none);  // min_action_interval_s holds
  CHECK(wanted(snapshot(5, 256)) == none);  // batch's next rung is a freeze
  controller.tick(snapshot(5, 256));        // batch frozen, at its top
  CHECK(wanted(snapshot(10, 256)) == std::vector<std::string>{"camera.service"});
  controller.capabilities = Capabilities{false, true};  // cgroup v1: no throttle, nothing to read
  CHECK(wanted(snapshot(10, 256)) == none);
}

TEST_CASE("decide climbs the same ladder on only the MemoryHigh values read before it", "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  std::vector<std::string> steps;
  for (int i = 0; i < 5; ++i) {
    const auto decision = controller.tick(observed(snapshot(i * 5.0, 256), controller));
    CHECK_FALSE(decision.unobserved);
    steps.push_back(describe(decision));
  }
  CHECK(steps == std::vector<std::string>{"throttle batch.service", "freeze batch.service",
                                          "throttle camera.service", "freeze camera.service", "-"});
}

TEST_CASE("a throttle is not taken on a MemoryHigh that could not be read: it fails, and counts as an action",
          "[throttle]") {
  Controller controller{parse(kPolicy), {}, {}};
  auto s = snapshot(0, 256);
  const std::string error = "Failed to read MemoryHigh of batch.service: Connection timed out";
  s.units[1].memory_high = OwnMemoryHigh::unreadable(error);
  const auto failed = controller.tick(s);
  CHECK(failed.actions.empty());
  REQUIRE(failed.unobserved);
  CHECK(failed.unobserved->action.unit == "batch.service");
  CHECK(failed.unobserved->action.kind == ActionKind::kThrottle);
  CHECK_FALSE(failed.unobserved->action.memory_high_bytes);
  CHECK(failed.unobserved->error == error);
  // Nothing is applied, so no prior MemoryHigh of "infinity" is kept to be put back at a release.
  CHECK(controller.state.units.empty());
  CHECK(controller.state.last_action == at(0));
  // Not retried at once; once read, its own MemoryHigh is the base of the step.
  CHECK(controller.tick(s).waiting == "the last action was 0.0 s ago; min_action_interval_s is 5 s");
  auto later = snapshot(5, 256);
  later.units[1] = unit("batch.service", 1000, 500);
  const auto throttled = controller.tick(later);
  REQUIRE(throttled.actions.size() == 1);
  CHECK(throttled.actions[0].memory_high_bytes == 450 * kMiB);
  CHECK(controller.state.find("batch.service")->prior_memory_high_bytes == 500 * kMiB);
}

TEST_CASE("an operator's throttle reads MemoryHigh only for a throttle, and is refused without it",
          "[throttle]") {
  const auto policy = parse(kPolicy);
  SnapshotUnit batch = unit("batch.service", 1000);
  CHECK(operatorThrottleReadsMemoryHigh(batch, {}, policy, {}, ""));
  CHECK_FALSE(operatorThrottleReadsMemoryHigh(unit("inference.service", 1000), {}, policy, {}, ""));
  CHECK_FALSE(operatorThrottleReadsMemoryHigh(batch, {}, policy, {false, true}, ""));
  const auto throttled = decideOperatorThrottle(batch, {}, policy, {}, "", at(0));
  REQUIRE(throttled.actions.size() == 1);
  CHECK_FALSE(operatorThrottleReadsMemoryHigh(batch, throttled.state, policy, {}, ""));  // next: freeze

  batch.memory_high = OwnMemoryHigh::unreadable("Failed to read MemoryHigh of batch.service: Access denied");
  const auto refused = decideOperatorThrottle(batch, {}, policy, {}, "", at(0));
  CHECK(refused.actions.empty());
  CHECK_FALSE(refused.refusal);
  REQUIRE(refused.unobserved);
  CHECK(refused.unobserved->error == "Failed to read MemoryHigh of batch.service: Access denied");
  CHECK(refused.state.units.empty());
  CHECK_FALSE(refused.state.last_action);
  // A freeze needs no MemoryHigh.
  const auto frozen = decideOperatorThrottle(batch, throttled.state, policy, {}, "", at(1));
  REQUIRE(frozen.actions.size() == 1);
  CHECK(frozen.actions[0].kind == ActionKind::kFreeze);
}
