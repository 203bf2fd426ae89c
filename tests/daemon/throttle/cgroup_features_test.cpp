#include "throttle/cgroup_features.h"

#include <catch2/catch.hpp>

#include "throttle/psi_trigger.h"

using namespace jmem::throttle;

TEST_CASE("cgroup v2 with the memory controller and cgroup.freeze can throttle and freeze through systemd",
          "[throttle]") {
  const auto controls =
      cgroupFeaturesOf(std::string("cpuset cpu io memory hugetlb pids rdma misc\n"), false, true);
  CHECK(controls.hierarchy == "unified");
  CHECK(controls.memory_high);
  CHECK(controls.freeze == FreezeMethod::kCgroupFreezer);
  CHECK(controls.capabilities().memory_high);
  CHECK(controls.capabilities().freeze);
}

TEST_CASE("cgroup v2 without the memory controller cannot throttle, and says why", "[throttle]") {
  const auto controls = cgroupFeaturesOf(std::string("cpu io pids\n"), false, true);
  CHECK_FALSE(controls.memory_high);
  CHECK(controls.memory_high_note == "the memory controller is not enabled in cgroup v2");
}

TEST_CASE("a name that only contains the word memory is not the memory controller", "[throttle]") {
  CHECK_FALSE(cgroupFeaturesOf(std::string("memory_extra cpu"), false, true).memory_high);
}

TEST_CASE("cgroup v1 (JetPack 5) cannot throttle and freezes with SIGSTOP", "[throttle]") {
  for (bool hybrid : {true, false}) {
    const auto controls = cgroupFeaturesOf(std::nullopt, hybrid, false);
    CHECK(controls.hierarchy == (hybrid ? "hybrid" : "legacy"));
    CHECK_FALSE(controls.memory_high);
    CHECK_THAT(controls.memory_high_note, Catch::StartsWith("cgroup v1 has no memory.high"));
    CHECK(controls.freeze == FreezeMethod::kStopSignal);
    CHECK_FALSE(controls.capabilities().memory_high);
    CHECK(controls.capabilities().freeze);
  }
}

TEST_CASE("systemd before 246 has no FreezeUnit, so cgroup v2 freezes by stop signal there", "[throttle]") {
  const auto v2 = cgroupFeaturesOf(std::string("cpu memory pids\n"), false, true);
  const auto on245 = forSystemd(v2, systemdMajor("245.4-4ubuntu3.24"));
  CHECK(on245.freeze == FreezeMethod::kStopSignal);
  CHECK_THAT(on245.freeze_note, Catch::StartsWith("systemd 245 has no FreezeUnit"));
  CHECK(on245.memory_high);
  CHECK(forSystemd(v2, systemdMajor("246")).freeze == FreezeMethod::kCgroupFreezer);
  CHECK(forSystemd(v2, systemdMajor("252.36-1~deb12u1")).freeze == FreezeMethod::kCgroupFreezer);
  CHECK(forSystemd(v2, std::nullopt).freeze == FreezeMethod::kCgroupFreezer);
  const auto v1 = cgroupFeaturesOf(std::nullopt, true, false);
  CHECK(forSystemd(v1, 245u).freeze_note == v1.freeze_note);
}

TEST_CASE("a systemd version's major is its leading number, or nothing", "[throttle]") {
  CHECK(systemdMajor("245.4-4ubuntu3") == 245u);
  CHECK(systemdMajor("257") == 257u);
  CHECK_FALSE(systemdMajor("v252"));
  CHECK_FALSE(systemdMajor(""));
  CHECK_FALSE(systemdMajor("99999999999999999999"));
}

TEST_CASE("freeze methods have names that read back", "[throttle]") {
  for (auto method : {FreezeMethod::kNone, FreezeMethod::kCgroupFreezer, FreezeMethod::kStopSignal}) {
    CHECK(parseFreezeMethod(toString(method)) == method);
  }
  CHECK_FALSE(parseFreezeMethod("sigstop"));
}

TEST_CASE("a PSI trigger line is some, the stall and the window in microseconds", "[throttle]") {
  CHECK(psiTriggerLine(std::chrono::milliseconds(200), std::chrono::seconds(1)) == "some 200000 1000000");
}
