#include <catch2/catch.hpp>

#include "policy/parser.h"
#include "problem_list.h"

using namespace jmem::policy;
using jmem::policy::test::problemsIn;
using Lines = std::vector<std::string>;

TEST_CASE("A unit both kept and in a class that acts on it is a contradiction, also through a glob",
          "[policy]") {
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

TEST_CASE("A kept unit in a class whose action is keep is no contradiction", "[policy]") {
  CHECK(problemsIn("keep = [\"ssh.service\"]\n"
                   "[classes.remote]\n"
                   "action = \"keep\"\n"
                   "units = [\"ssh.service\", \"dbus.service\"]\n")
            .empty());
}

TEST_CASE("Masking, disabling or stopping a unit the system cannot run without is a contradiction",
          "[policy]") {
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

TEST_CASE("One unit in two classes of the same scope with different actions is a contradiction", "[policy]") {
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

TEST_CASE(
    "A protected workload that a lower-priority workload with actions also matches is a contradiction, "
    "which names the other's actions",
    "[policy]") {
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
            "workload \"*.service\" (test.toml:6:8), whose actions are throttle, freeze",
            "test.toml:10:8: workloads[2].unit: the protected \"camera.service\" is also matched by the "
            "workload \"*.service\" (test.toml:6:8), whose actions are throttle, freeze",
            // Freezing is not throttling: the message names what the workload does.
            "test.toml:10:8: workloads[2].unit: the protected \"camera.service\" is also matched by the "
            "workload \"camera.service\" (test.toml:13:8), whose actions are freeze",
            "test.toml:13:8: workloads[3].unit: a second workload for \"camera.service\" (the first at "
            "test.toml:10:8)",
        });
}

TEST_CASE(
    "A workload that acts on a kept or essential unit is a contradiction, but a glob is narrowed instead",
    "[policy]") {
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

TEST_CASE("Contradictions are reported together with every other problem", "[policy]") {
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

TEST_CASE(
    "A stop rung while allow_stop is false is valid, with a warning at the rung that it will never be used",
    "[policy]") {
  const auto written = parsePolicyText(
      "[pressure]\n"
      "allow_stop = false\n"
      "[[workloads]]\n"
      "unit = \"batch.service\"\n"
      "actions = [\"freeze\", \"stop\"]\n",
      "test.toml");
  CHECK(written.policy);
  CHECK(test::formatted(written).empty());
  REQUIRE(written.warnings.size() == 1);
  CHECK(written.warnings[0].where == SourceLocation{"test.toml", 5, 22});
  CHECK(formatProblem(written.warnings[0]) ==
        "test.toml:5:22: warning: workloads[0].actions: \"stop\" will never be used: pressure.allow_stop is "
        "false (test.toml:2:14); set it to true, or leave \"stop\" out");

  const auto by_default = parsePolicyText(
      "[[workloads]]\n"
      "unit = \"batch-*.service\"\n"
      "actions = [\"stop\"]\n",
      "test.toml");
  CHECK(by_default.policy);
  REQUIRE(by_default.warnings.size() == 1);
  CHECK(formatProblem(by_default.warnings[0]) ==
        "test.toml:3:12: warning: workloads[0].actions: \"stop\" will never be used: pressure.allow_stop is "
        "false by default; set it to true, or leave \"stop\" out");
}

TEST_CASE("A stop rung while allow_stop is true, or a class that stops units, gives no warning", "[policy]") {
  const auto result = parsePolicyText(
      "[classes.extras]\n"
      "action = \"stop\"\n"
      "units = [\"speech-dispatcher.service\"]\n"
      "[pressure]\n"
      "allow_stop = true\n"
      "[[workloads]]\n"
      "unit = \"batch.service\"\n"
      "actions = [\"throttle\", \"stop\"]\n",
      "test.toml");
  CHECK(result.policy);
  CHECK(result.warnings.empty());
}

TEST_CASE("A workload is named by its place in the file even when an invalid workload before it was left out",
          "[policy]") {
  const auto result = parsePolicyText(
      "[[workloads]]\n"
      "unit = \"batch.slice\"\n"
      "[[workloads]]\n"
      "unit = \"inference.service\"\n"
      "protected = true\n"
      "[[workloads]]\n"
      "unit = \"inference.service\"\n"
      "actions = [\"freeze\", \"stop\"]\n",
      "test.toml");
  CHECK(test::formatted(result) ==
        Lines{
            "test.toml:2:8: workloads[0].unit: \"batch.slice\" is a slice; slices are never acted on, and a "
            "workload does not reach the units in one: name its services or scopes instead",
            "test.toml:4:8: workloads[1].unit: the protected \"inference.service\" is also matched by the "
            "workload \"inference.service\" (test.toml:7:8), whose actions are freeze, stop",
            "test.toml:7:8: workloads[2].unit: a second workload for \"inference.service\" (the first at "
            "test.toml:4:8)",
        });
  REQUIRE(result.warnings.size() == 1);
  CHECK(formatProblem(result.warnings[0]).starts_with("test.toml:8:22: warning: workloads[2].actions: "));
}
