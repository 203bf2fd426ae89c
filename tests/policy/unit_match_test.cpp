#include "policy/unit_match.h"

#include <catch2/catch.hpp>

#include "policy/unit_pattern.h"

using namespace jmem::policy;

namespace {

UnitPattern pattern(std::string text) {
  const bool glob = isUnitGlob(text);
  return UnitPattern{std::move(text), glob, {}};
}

Workload workload(std::string unit, bool is_protected = false) {
  Workload w;
  w.unit = pattern(std::move(unit));
  w.is_protected.value = is_protected;
  return w;
}

}  // namespace

TEST_CASE("a workload written with a unit's exact name governs it before a glob written earlier",
          "[policy]") {
  Policy policy;
  policy.workloads = {workload("infer*.service"), workload("inference.service")};
  CHECK(workloadFor(policy, "inference.service") == &policy.workloads[1]);
  CHECK(workloadFor(policy, "inferior.service") == &policy.workloads[0]);
}

TEST_CASE("among globs the first written governs, and a unit no workload matches has none", "[policy]") {
  Policy policy;
  policy.workloads = {workload("batch-*.service"), workload("*.service")};
  CHECK(workloadFor(policy, "batch-1.service") == &policy.workloads[0]);
  CHECK(workloadFor(policy, "web.service") == &policy.workloads[1]);
  CHECK(workloadFor(policy, "web.scope") == nullptr);
}

TEST_CASE("the keep list keeps the units it names or matches", "[policy]") {
  Policy policy;
  policy.keep = {pattern("ssh.service"), pattern("getty@*.service")};
  CHECK(isKept(policy, "ssh.service"));
  CHECK(isKept(policy, "getty@tty1.service"));
  CHECK_FALSE(isKept(policy, "sshd.service"));
  CHECK_FALSE(isKept(Policy{}, "ssh.service"));
}

TEST_CASE("a unit is protected by any protected workload that matches it, governing or not", "[policy]") {
  Policy policy;
  policy.workloads = {workload("robot.service"), workload("robot*.service", true)};
  CHECK(isProtected(policy, "robot.service"));
  CHECK(isProtected(policy, "robot-arm.service"));
  CHECK_FALSE(isProtected(policy, "camera.service"));
}
