#include <catch2/catch.hpp>

#include "policy/parser.h"
#include "problem_list.h"

using namespace jmem::policy;
using jmem::policy::test::problemsIn;
using Lines = std::vector<std::string>;

TEST_CASE("A unit both kept and in a class that acts on it is a contradiction, also through a glob") {
  CHECK(problemsIn("keep = [\"ssh.service\", \"inference-*.service\"]\n"
                   "[classes.remote]\n"
                   "action = \"mask\"\n"
                   "units = [\"ssh.service\", \"inference-7.service\"]\n"
                   "[classes.everything]\n"
                   "action = \"disable\"\n"
                   "units = [\"ss?.service\"]\n") ==
        Lines{
            "test.toml:4:10: classes.remote.units: \"ssh.service\" would be masked, but keep has "
            "\"ssh.service\" "
            "(test.toml:1:9)",
            "test.toml:4:25: classes.remote.units: \"inference-7.service\" would be masked, but keep has "
            "\"inference-*.service\" (test.toml:1:24)",
            "test.toml:7:10: classes.everything.units: \"ss?.service\" would be disabled, but keep has "
            "\"ssh.service\" (test.toml:1:9)",
        });
}

TEST_CASE("A kept unit in a class whose action is keep is no contradiction") {
  CHECK(problemsIn("keep = [\"ssh.service\"]\n"
                   "[classes.remote]\n"
                   "action = \"keep\"\n"
                   "units = [\"ssh.service\", \"dbus.service\"]\n")
            .empty());
}

TEST_CASE("Masking, disabling or stopping a unit the system cannot run without is a contradiction") {
  CHECK(
      problemsIn("[classes.bus]\n"
                 "action = \"mask\"\n"
                 "units = [\"dbus.service\", \"dbus-broker.service\"]\n"
                 "[classes.logs]\n"
                 "action = \"stop\"\n"
                 "scope = \"global-user\"\n"
                 "units = [\"systemd-journald.socket\"]\n"
                 "[classes.wide]\n"
                 "action = \"disable\"\n"
                 "units = [\"systemd-*.service\", \"*.slice\", \"jmemd.service\"]\n") ==
      Lines{
          "test.toml:3:10: classes.bus.units: \"dbus.service\" is needed to run the system and cannot be "
          "masked",
          "test.toml:3:26: classes.bus.units: \"dbus-broker.service\" is needed to run the system and cannot "
          "be "
          "masked",
          "test.toml:7:10: classes.logs.units: \"systemd-journald.socket\" is needed to run the system and "
          "cannot "
          "be stopped",
          "test.toml:10:10: classes.wide.units: \"systemd-*.service\" matches systemd-journald.service, "
          "which "
          "is needed to run the system and cannot be disabled",
          "test.toml:10:31: classes.wide.units: \"*.slice\" matches -.slice, which is needed to run the "
          "system "
          "and cannot be disabled",
          "test.toml:10:42: classes.wide.units: \"jmemd.service\" is needed to run the system and cannot be "
          "disabled",
      });
}

TEST_CASE("One unit in two classes of the same scope with different actions is a contradiction") {
  CHECK(
      problemsIn("[classes.a]\n"
                 "action = \"mask\"\n"
                 "units = [\"cups.service\"]\n"
                 "[classes.b]\n"
                 "action = \"disable\"\n"
                 "units = [\"cups.service\"]\n"
                 "[classes.c]\n"
                 "action = \"disable\"\n"
                 "scope = \"global-user\"\n"
                 "units = [\"cups.service\"]\n") ==
      Lines{
          "test.toml:6:10: classes.b.units: \"cups.service\" is also in class a (test.toml:3:10) with action "
          "mask"});
}

TEST_CASE("A protected workload that a lower-priority throttled workload also matches is a contradiction") {
  CHECK(problemsIn("[[workloads]]\n"
                   "unit = \"inference.service\"\n"
                   "priority = 900\n"
                   "protected = true\n"
                   "[[workloads]]\n"
                   "unit = \"*.service\"\n"
                   "priority = 0\n"
                   "actions = [\"throttle\", \"freeze\"]\n"
                   "[[workloads]]\n"
                   "unit = \"camera.service\"\n"
                   "protected = true\n"
                   "[[workloads]]\n"
                   "unit = \"camera.service\"\n"
                   "priority = 10\n"
                   "actions = [\"freeze\"]\n") ==
        Lines{
            "test.toml:2:8: workloads[0].unit: the protected \"inference.service\" is also matched by the "
            "throttled workload \"*.service\" (test.toml:6:8)",
            "test.toml:10:8: workloads[2].unit: the protected \"camera.service\" is also matched by the "
            "throttled "
            "workload \"*.service\" (test.toml:6:8)",
            "test.toml:10:8: workloads[2].unit: the protected \"camera.service\" is also matched by the "
            "throttled "
            "workload \"camera.service\" (test.toml:13:8)",
            "test.toml:13:8: workloads[3].unit: a second workload for \"camera.service\" (the first at "
            "test.toml:10:8)",
        });
}

TEST_CASE(
    "A workload that acts on a kept or essential unit is a contradiction, but a glob is narrowed instead") {
  CHECK(
      problemsIn("keep = [\"ssh.service\"]\n"
                 "[[workloads]]\n"
                 "unit = \"ssh.service\"\n"
                 "actions = [\"throttle\"]\n"
                 "[[workloads]]\n"
                 "unit = \"systemd-journald.service\"\n"
                 "actions = [\"freeze\"]\n"
                 "[[workloads]]\n"
                 "unit = \"s*.service\"\n"
                 "actions = [\"freeze\"]\n") ==
      Lines{
          "test.toml:3:8: workloads[0].unit: \"ssh.service\" has actions, but keep has \"ssh.service\" "
          "(test.toml:1:9)",
          "test.toml:6:8: workloads[1].unit: \"systemd-journald.service\" is needed to run the system and is "
          "never acted on",
      });
}

TEST_CASE("Contradictions are reported together with every other problem") {
  const auto result = parsePolicyText(
      "keep = [\"gdm3.service\"]\n"
      "[classes.gui]\n"
      "action = \"mask\"\n"
      "units = [\"gdm3.service\", \"gdm\"]\n"
      "[pressure]\n"
      "available_low_mib = 4096\n"
      "available_high_mib = 2048\n",
      "test.toml");
  CHECK_FALSE(result.policy);
  const auto lines = test::formatted(result);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].starts_with("test.toml:4:10: classes.gui.units: \"gdm3.service\" would be masked"));
  CHECK(lines[1].starts_with("test.toml:4:26: classes.gui.units: \"gdm\" is not a valid unit name"));
  CHECK(lines[2].starts_with("test.toml:7:22: pressure.available_high_mib (2048) must be above"));
}
