#include "policy/parser.h"

#include <catch2/catch.hpp>

#include "problem_list.h"

using namespace jmem::policy;
using jmem::policy::test::problemsIn;
using Lines = std::vector<std::string>;

TEST_CASE("A TOML syntax error names the file, line and column where parsing stopped", "[policy]") {
  const auto result = parsePolicyText(
      "mode = \"audit\"\n"
      "sample_interval_ms = = 5\n",
      "policy.toml");
  CHECK_FALSE(result.policy);
  REQUIRE(result.problems.size() == 1);
  CHECK(result.problems[0].where == SourceLocation{"policy.toml", 2, 22});
  CHECK(formatProblem(result.problems[0]).starts_with("policy.toml:2:22: "));
}

TEST_CASE("An unknown key is reported at the key, at every level", "[policy]") {
  CHECK(problemsIn("mode = \"audit\"\n"
                   "colour = \"blue\"\n"
                   "[boot]\n"
                   "swiotbl = { any = true }\n"
                   "swiotlb = { any = true, exact = 5 }\n"
                   "[classes.gui]\n"
                   "action = \"mask\"\n"
                   "unitz = []\n"
                   "[[workloads]]\n"
                   "unit = \"batch.service\"\n"
                   "prio = 3\n") == Lines{
                                        "test.toml:2:1: unknown key \"colour\"",
                                        "test.toml:4:1: unknown key \"boot.swiotbl\"",
                                        "test.toml:5:25: unknown key \"boot.swiotlb.exact\"",
                                        "test.toml:8:1: unknown key \"classes.gui.unitz\"",
                                        "test.toml:11:1: unknown key \"workloads[0].prio\"",
                                    });
}

TEST_CASE("A value of the wrong type is reported at the value", "[policy]") {
  CHECK(problemsIn("mode = 1\n"
                   "sample_interval_ms = \"fast\"\n"
                   "keep = \"ssh.service\"\n"
                   "[pressure]\n"
                   "allow_stop = \"yes\"\n"
                   "psi_some_avg10_percent = [40]\n"
                   "available_low_mib = 512.5\n") ==
        Lines{
            "test.toml:1:8: mode: expected a string, got an integer",
            "test.toml:2:22: sample_interval_ms: expected an integer, got a string",
            "test.toml:3:8: keep: expected an array, got a string",
            "test.toml:5:14: pressure.allow_stop: expected a boolean, got a string",
            "test.toml:6:26: pressure.psi_some_avg10_percent: expected a number, got an array",
            "test.toml:7:21: pressure.available_low_mib: expected an integer, got a float",
        });
}

TEST_CASE("An out-of-range value is reported at the value with the range allowed", "[policy]") {
  CHECK(problemsIn("sample_interval_ms = 50\n"
                   "[pressure]\n"
                   "psi_full_avg10_percent = 100.5\n"
                   "max_actions_per_minute = 0\n"
                   "[boot]\n"
                   "swiotlb = { slabs = 0 }\n") ==
        Lines{
            "test.toml:1:22: sample_interval_ms: 50 is out of range (100..60000)",
            "test.toml:3:26: pressure.psi_full_avg10_percent: 100.5 is out of range (0..100)",
            "test.toml:4:26: pressure.max_actions_per_minute: 0 is out of range (1..600)",
            "test.toml:6:21: boot.swiotlb.slabs: 0 is not allowed: NVIDIA warns not to set swiotlb to 0",
        });
}

TEST_CASE("Invalid unit names and globs are reported at the entry, by systemd's naming rules", "[policy]") {
  const auto problems = problemsIn(
      "keep = [\"ssh.service\", \"bad name.service\", \"gdm*\"]\n"
      "default_target = \"multi-user.service\"\n"
      "[classes.gui]\n"
      "action = \"mask\"\n"
      "units = [\"gdm3\", \"pipewire[.service\", \"gdm[0-9].service\"]\n");
  REQUIRE(problems.size() == 5);
  CHECK(problems[0].starts_with("test.toml:1:24: keep: \"bad name.service\" is not a valid unit name"));
  CHECK(problems[1].starts_with("test.toml:1:44: keep: \"gdm*\" is not a valid unit glob"));
  CHECK(problems[2].starts_with(
      "test.toml:2:18: default_target: \"multi-user.service\" is not a valid .target"));
  CHECK(problems[3].starts_with("test.toml:5:10: classes.gui.units: \"gdm3\" is not a valid unit name"));
  CHECK(
      problems[4].starts_with("test.toml:5:18: classes.gui.units: \"pipewire[.service\" has a '[' without"));
}

TEST_CASE("A class name outside a-z, 0-9, '_' and '-' is reported at its key", "[policy]") {
  CHECK(problemsIn("[classes.GUI]\n"
                   "action = \"mask\"\n") ==
        Lines{"test.toml:1:10: \"classes.GUI\": a class name is 1 to 64 of a-z, 0-9, '_' and '-'"});
}

TEST_CASE("A missing required key is reported at the table that lacks it", "[policy]") {
  CHECK(problemsIn("[classes.gui]\n"
                   "units = []\n"
                   "[[workloads]]\n"
                   "priority = 1\n") == Lines{
                                            "test.toml:1:1: missing required key \"classes.gui.action\"",
                                            "test.toml:3:1: missing required key \"workloads[0].unit\"",
                                        });
}

TEST_CASE("A swiotlb rule of two forms or an upside-down range is reported at the place that conflicts",
          "[policy]") {
  CHECK(problemsIn("[boot]\n"
                   "swiotlb = { slabs = 65536, absent = true }\n") ==
        Lines{"test.toml:2:37: boot.swiotlb.absent: \"slabs\" (test.toml:2:21) and \"absent\" are two forms "
              "of the "
              "rule; keep one "
              "(a drop-in replaces the whole rule with an inline table: swiotlb = { ... })"});
  CHECK(problemsIn("[boot.swiotlb]\n"
                   "min_slabs = 131072\n"
                   "max_slabs = 32768\n") ==
        Lines{"test.toml:2:13: boot.swiotlb.min_slabs: 131072 is above max_slabs 32768"});
  CHECK(problemsIn("[boot]\n"
                   "swiotlb = { max_slabs = 32768 }\n") ==
        Lines{"test.toml:2:11: missing required key \"boot.swiotlb.min_slabs\""});
  CHECK(problemsIn("[boot]\n"
                   "swiotlb = { any = false }\n") ==
        Lines{"test.toml:2:19: boot.swiotlb.any: only true is meaningful; leave the key out instead"});
}

TEST_CASE("The release watermark must be above the low one", "[policy]") {
  CHECK(
      problemsIn("[pressure]\n"
                 "available_low_mib = 1024\n"
                 "available_high_mib = 1024\n") ==
      Lines{
          "test.toml:3:22: pressure.available_high_mib (1024) must be above available_low_mib (1024): it is "
          "the release watermark"});
  // Only the low watermark written: the problem is where it was written.
  CHECK(
      problemsIn("[pressure]\n"
                 "available_low_mib = 2048\n") ==
      Lines{
          "test.toml:2:21: pressure.available_high_mib (1024) must be above available_low_mib (2048): it is "
          "the release watermark"});
}

TEST_CASE("Boot arguments must be single kernel arguments and cannot be both required and forbidden",
          "[policy]") {
  CHECK(problemsIn(
            "[boot]\n"
            "required_args = [\"quiet\", \"two words\", \"swiotlb=65536\", \"=x\", \"console=ttyTCU0\"]\n"
            "forbidden_args = [\"splash\", \"quiet\", \"console\"]\n") ==
        Lines{
            "test.toml:2:27: boot.required_args: \"two words\" is not a kernel argument (\"word\" or "
            "\"key=value\")",
            "test.toml:2:40: boot.required_args: swiotlb is set by boot.swiotlb",
            "test.toml:2:57: boot.required_args: \"=x\" is not a kernel argument (\"word\" or \"key=value\")",
            "test.toml:3:29: boot.forbidden_args: \"quiet\" forbids the required argument \"quiet\" "
            "(test.toml:2:18)",
            "test.toml:3:38: boot.forbidden_args: \"console\" forbids the required argument "
            "\"console=ttyTCU0\" "
            "(test.toml:2:63)",
        });
}

TEST_CASE("A workload's actions follow the ladder, and a protected workload has none", "[policy]") {
  CHECK(
      problemsIn("[[workloads]]\n"
                 "unit = \"batch.service\"\n"
                 "actions = [\"freeze\", \"throttle\", \"kill\", \"freeze\"]\n"
                 "throttle_memory_high_mib = 2048\n"
                 "throttle_step_percent = 10\n"
                 "[[workloads]]\n"
                 "unit = \"inference.service\"\n"
                 "protected = true\n"
                 "actions = [\"throttle\"]\n"
                 "[[workloads]]\n"
                 "unit = \"camera.service\"\n"
                 "actions = [\"freeze\"]\n"
                 "throttle_step_percent = 95\n") ==
      Lines{
          "test.toml:3:22: workloads[0].actions: \"throttle\" is out of order; the ladder is throttle, "
          "freeze, stop",
          "test.toml:3:34: workloads[0].actions: \"kill\" is not an action (throttle, freeze, stop)",
          "test.toml:3:42: workloads[0].actions: \"freeze\" is listed twice; the ladder is throttle, freeze, "
          "stop",
          "test.toml:5:25: workloads[0].throttle_step_percent: give throttle_memory_high_mib or "
          "throttle_step_percent, not both",
          "test.toml:9:11: workloads[1].actions: a protected workload is never acted on; leave actions out",
          "test.toml:13:25: workloads[2].throttle_step_percent: 95 is out of range (1..90)",
          "test.toml:13:25: workloads[2].throttle_step_percent: has no effect without \"throttle\" in "
          "actions",
      });
}

TEST_CASE("A throttle setting is said to have no effect only when the actions do not name throttle at all",
          "[policy]") {
  CHECK(problemsIn("[[workloads]]\n"
                   "unit = \"a.service\"\n"
                   "actions = [\"stop\", \"throttle\"]\n"
                   "throttle_step_percent = 20\n"
                   "[[workloads]]\n"
                   "unit = \"b.service\"\n"
                   "actions = \"throttle\"\n"
                   "throttle_memory_high_mib = 512\n"
                   "[[workloads]]\n"
                   "unit = \"c.service\"\n"
                   "throttle_memory_high_mib = 512\n"
                   "[pressure]\n"
                   "allow_stop = true\n") ==
        Lines{
            // Out of order is its own problem; the throttle is there all the same.
            "test.toml:3:20: workloads[0].actions: \"throttle\" is out of order; the ladder is throttle, "
            "freeze, stop",
            // Not an array: whether it names throttle is not known, so nothing is said of it.
            "test.toml:7:11: workloads[1].actions: expected an array, got a string",
            "test.toml:11:28: workloads[2].throttle_memory_high_mib: has no effect without \"throttle\" in "
            "actions",
        });
}

TEST_CASE("A workload that names a slice, by name or by a glob, is refused: slices are never acted on",
          "[policy]") {
  CHECK(problemsIn("[[workloads]]\n"
                   "unit = \"batch.slice\"\n"
                   "actions = [\"throttle\"]\n"
                   "[[workloads]]\n"
                   "unit = \"batch-*.slice\"\n"
                   "protected = true\n"
                   "[[workloads]]\n"
                   "unit = \"-.slice\"\n"
                   "actions = [\"freeze\"]\n"
                   "[[workloads]]\n"
                   "unit = \"batch-*.service\"\n"
                   "actions = [\"freeze\"]\n") ==
        Lines{
            "test.toml:2:8: workloads[0].unit: \"batch.slice\" is a slice; slices are never acted on, and a "
            "workload does not reach the units in one: name its services or scopes instead",
            "test.toml:5:8: workloads[1].unit: \"batch-*.slice\" matches only slices; slices are never acted "
            "on, and a workload does not reach the units in one: name its services or scopes instead",
            "test.toml:8:8: workloads[2].unit: \"-.slice\" is a slice; slices are never acted on, and a "
            "workload does not reach the units in one: name its services or scopes instead",
        });
}

TEST_CASE("Every problem is reported together and no policy is returned", "[policy]") {
  const auto result = parsePolicyText(
      "mode = \"observe\"\n"
      "sample_interval_ms = 70000\n"
      "keep = [\"ssh\"]\n"
      "[classes.gui]\n"
      "action = \"hide\"\n"
      "[pressure]\n"
      "release_hold_s = -1\n",
      "test.toml");
  CHECK_FALSE(result.policy);
  CHECK(test::formatted(result) ==
        Lines{
            "test.toml:1:8: mode: \"observe\" is not a mode (audit, enforce)",
            "test.toml:2:22: sample_interval_ms: 70000 is out of range (100..60000)",
            "test.toml:3:9: keep: \"ssh\" is not a valid unit name (letters, digits and \":_.\\@-\", at most "
            "255 "
            "bytes, a type suffix such as .service)",
            "test.toml:5:10: classes.gui.action: \"hide\" is not an action (mask, disable, stop, keep)",
            "test.toml:7:18: pressure.release_hold_s: -1 is out of range (0..3600)",
        });
}

TEST_CASE("A complete policy is read into the structures with each item's place", "[policy]") {
  const auto result = parsePolicyText(
      "mode = \"enforce\"\n"
      "sample_interval_ms = 500\n"
      "default_target = \"\"\n"
      "keep = [\"inference.service\", \"ssh.service\", \"inference.service\"]\n"
      "[classes.extras]\n"
      "action = \"stop\"\n"
      "units = [\"speech-dispatcher*.service\"]\n"
      "[boot]\n"
      "edit_extlinux = true\n"
      "swiotlb = { min_slabs = 32768, max_slabs = 131072 }\n"
      "required_args = [\"quiet\"]\n"
      "[pressure]\n"
      "psi_some_avg10_percent = 12.5\n"
      "allow_stop = true\n"
      "[[workloads]]\n"
      "unit = \"batch-*.service\"\n"
      "priority = 10\n"
      "actions = [\"throttle\", \"freeze\", \"stop\"]\n"
      "throttle_memory_high_mib = 2048\n",
      "test.toml");
  CHECK(test::formatted(result).empty());
  REQUIRE(result.policy);
  const Policy& policy = *result.policy;
  CHECK(policy.mode.value == Mode::kEnforce);
  CHECK(policy.mode.where == SourceLocation{"test.toml", 1, 8});
  CHECK(policy.sample_interval.value == std::chrono::milliseconds{500});
  CHECK_FALSE(policy.default_target);  // written empty: not managed
  REQUIRE(policy.keep.size() == 2);    // a name listed twice counts once
  CHECK(policy.keep[1].where == SourceLocation{"test.toml", 4, 30});
  REQUIRE(policy.classes.size() == 1);
  CHECK(policy.classes[0].name == "extras");
  CHECK(policy.classes[0].scope.value == UnitScope::kSystem);
  CHECK(policy.classes[0].units[0].is_glob);
  CHECK(policy.boot.edit_extlinux.value);
  CHECK(policy.boot.swiotlb.kind == SwiotlbRule::Kind::kRange);
  CHECK(policy.boot.swiotlb.min_slabs == 32768);
  CHECK(policy.boot.swiotlb.max_slabs == 131072);
  CHECK(policy.pressure.psi_some_avg10_percent.value == 12.5);
  CHECK(policy.pressure.available_low_mib.value == 512);  // the default
  CHECK(policy.pressure.available_low_mib.where.line == 0);
  REQUIRE(policy.workloads.size() == 1);
  const Workload& batch = policy.workloads[0];
  CHECK(batch.unit.pattern == "batch-*.service");
  CHECK(batch.where == SourceLocation{"test.toml", 15, 1});
  CHECK(batch.priority.value == 10);
  CHECK(batch.actions.size() == 3);
  REQUIRE(batch.throttle_memory_high_mib);
  CHECK(batch.throttle_memory_high_mib->value == 2048);
  CHECK_FALSE(batch.throttle_step_percent);
}

TEST_CASE("An empty policy is valid and has every default", "[policy]") {
  const auto result = parsePolicyText("", "empty.toml");
  REQUIRE(result.policy);
  CHECK(result.policy->mode.value == Mode::kAudit);
  CHECK_FALSE(result.policy->default_target);
  CHECK(result.policy->classes.empty());
  CHECK(result.policy->boot.swiotlb.kind == SwiotlbRule::Kind::kAny);
}

TEST_CASE("Text with NUL bytes is not a policy file", "[policy]") {
  CHECK(problemsIn(std::string_view("mode = \"audit\"\n\0\x01\x02", 18)) ==
        Lines{"test.toml: not a text file (it contains NUL bytes)"});
  CHECK(problemsIn("mode = \"\xff\xfe\"\n").size() == 1);
}

TEST_CASE("The GPU ceiling is read in MiB, where it is written, and bounded like the NvMap ceiling",
          "[policy]") {
  const auto result = parsePolicyText("[pressure]\ngpu_ceiling_mib = 12288\n", "test.toml");
  REQUIRE(result.policy);
  CHECK(result.policy->pressure.gpu_ceiling_mib.value == 12288);
  CHECK(result.policy->pressure.gpu_ceiling_mib.where == SourceLocation{"test.toml", 2, 19});
  CHECK(problemsIn("[pressure]\ngpu_ceiling_mib = 1048577\n") ==
        Lines{"test.toml:2:19: pressure.gpu_ceiling_mib: 1048577 is out of range (0..1048576)"});
}
