// What `jmemctl validate` judges: drop-ins merged onto the main policy they will be read after, as
// jmemd reads them, each problem at the file that wrote it.
#include "policy/validate_files.h"

#include <catch2/catch.hpp>

#include "problem_list.h"
#include "support/fixture_tree.h"

using namespace jmem::policy;
using jmem::test::FixtureTree;
using Lines = std::vector<std::string>;
using Files = std::map<std::string, std::string>;

namespace {

// The drop-in example of policy/README.md's default profile: units only, the action is the base's.
constexpr const char* kWiredOnly =
    "[classes.network]\n"
    "units = [\"wpa_supplicant.service\"]\n";

DropinSet onBuiltIn(std::vector<std::filesystem::path> dropins) {
  DropinSet set;
  set.dropins = std::move(dropins);
  set.base.clear();
  return set;
}

std::vector<std::string> names(const std::vector<std::filesystem::path>& paths) {
  std::vector<std::string> result;
  for (const auto& path : paths) result.push_back(path.filename().string());
  return result;
}

}  // namespace

TEST_CASE("A file in a directory named policy.d is a drop-in, and any other file a main policy", "[policy]") {
  CHECK(isInDropinDirectory("/etc/jmem/policy.d/50-robot.toml"));
  CHECK(isInDropinDirectory("policy.d/50-robot.toml"));
  CHECK(isInDropinDirectory("site/policy.d/50-robot.toml"));
  CHECK_FALSE(isInDropinDirectory("/etc/jmem/policy.toml"));
  CHECK_FALSE(isInDropinDirectory("drafts/50-robot.toml"));
  CHECK_FALSE(isInDropinDirectory("policy.d.toml"));
}

TEST_CASE("A drop-in that only adds units to a class of the built-in default is valid merged onto it",
          "[policy]") {
  const FixtureTree tree(Files{{"policy.d/50-wired.toml", kWiredOnly}});
  const auto verdict = validateDropins(onBuiltIn({tree.path("policy.d/50-wired.toml")}));
  CHECK(test::formatted(verdict.merged).empty());
  CHECK(verdict.merged.policy);
  CHECK(verdict.base_name == "<built-in>");
  CHECK(verdict.base_problems.empty());
  // Alone it would be a main policy missing the class's action: what validate said before.
  CHECK(test::formatted(validateMainPolicy(tree.path("policy.d/50-wired.toml"))) ==
        Lines{tree.path("policy.d/50-wired.toml").string() +
              ":1:1: missing required key \"classes.network.action\""});
}

TEST_CASE("Drop-ins merge onto the main policy at the base path where it exists, else the built-in default",
          "[policy]") {
  const FixtureTree tree(Files{
      {"jmem/policy.toml", "[classes.radio]\naction = \"disable\"\n"},
      {"policy.d/50-radio.toml", "[classes.radio]\nunits = [\"bluetooth.service\"]\n"},
  });
  DropinSet set;
  set.dropins = {tree.path("policy.d/50-radio.toml")};
  set.base = tree.path("jmem/policy.toml");
  const auto on_file = validateDropins(set);
  CHECK(on_file.base_name == tree.path("jmem/policy.toml").string());
  CHECK(test::formatted(on_file.merged).empty());

  set.base = tree.path("jmem/missing.toml");  // as /etc/jmem/policy.toml on a machine without one
  const auto on_builtin = validateDropins(set);
  CHECK(on_builtin.base_name == "<built-in>");
  CHECK(test::formatted(on_builtin.merged) == Lines{tree.path("policy.d/50-radio.toml").string() +
                                                    ":1:1: missing required key \"classes.radio.action\""});
}

TEST_CASE("A base named with --base must exist, and the problem names it", "[policy]") {
  const FixtureTree tree(Files{{"policy.d/50-wired.toml", kWiredOnly}});
  DropinSet set;
  set.dropins = {tree.path("policy.d/50-wired.toml")};
  set.base = tree.path("site.toml");
  set.base_required = true;
  const auto verdict = validateDropins(set);
  CHECK_FALSE(verdict.merged.policy);
  REQUIRE_FALSE(verdict.base_problems.empty());
  CHECK(verdict.base_problems[0].where.file == tree.path("site.toml").string());
}

TEST_CASE("Several drop-ins merge in the order of their names, whatever the order they are given in",
          "[policy]") {
  const FixtureTree tree(Files{
      {"policy.d/10-first.toml", "sample_interval_ms = 2000\n"},
      {"policy.d/9-second.toml", "sample_interval_ms = 3000\n"},
  });
  const auto verdict =
      validateDropins(onBuiltIn({tree.path("policy.d/9-second.toml"), tree.path("policy.d/10-first.toml")}));
  CHECK(names(verdict.in_order) == Lines{"10-first.toml", "9-second.toml"});
  REQUIRE(verdict.merged.policy);
  CHECK(verdict.merged.policy->sample_interval.value == std::chrono::milliseconds{3000});
  CHECK(verdict.merged.policy->sample_interval.where.file == tree.path("policy.d/9-second.toml").string());
}

TEST_CASE("Two drop-ins of one name are a problem, since a directory holds only one of them", "[policy]") {
  const FixtureTree tree(Files{{"a/policy.d/50-x.toml", "mode = \"audit\"\n"},
                               {"b/policy.d/50-x.toml", "mode = \"enforce\"\n"}});
  const auto verdict =
      validateDropins(onBuiltIn({tree.path("a/policy.d/50-x.toml"), tree.path("b/policy.d/50-x.toml")}));
  CHECK_FALSE(verdict.merged.policy);
  CHECK(test::formatted(verdict.merged) ==
        Lines{tree.path("b/policy.d/50-x.toml").string() + ": a second drop-in named 50-x.toml (the first: " +
              tree.path("a/policy.d/50-x.toml").string() + "); policy.d holds one file of a name"});
}

TEST_CASE("A problem a drop-in brings names the drop-in's line and column and the base item it meets",
          "[policy]") {
  const FixtureTree tree(Files{{"policy.d/60-more.toml",
                                "[classes.extras]\n"
                                "action = \"stop\"\n"
                                "units = [\"dbus.service\", \"ssh.service\"]\n"}});
  const std::string dropin = tree.path("policy.d/60-more.toml").string();
  const auto verdict = validateDropins(onBuiltIn({dropin}));
  CHECK(verdict.base_problems.empty());
  CHECK(test::formatted(verdict.merged) ==
        Lines{
            dropin +
                ":3:10: classes.extras.units: \"dbus.service\" is needed to run the system and cannot be "
                "stopped",
            dropin + ":3:26: classes.extras.units: \"ssh.service\" would be stopped, but keep has "
                     "\"ssh.service\" (<built-in>:15:9)",
        });
}

TEST_CASE("A drop-in's stop rung is warned of where the base leaves allow_stop false", "[policy]") {
  const FixtureTree tree(Files{{"policy.d/50-batch.toml",
                                "[[workloads]]\n"
                                "unit = \"batch.service\"\n"
                                "actions = [\"freeze\", \"stop\"]\n"}});
  const std::string dropin = tree.path("policy.d/50-batch.toml").string();
  const auto verdict = validateDropins(onBuiltIn({dropin}));
  CHECK(verdict.merged.policy);
  REQUIRE(verdict.merged.warnings.size() == 1);
  CHECK(formatProblem(verdict.merged.warnings[0])
            .starts_with(
                dropin +
                ":3:22: warning: workloads[0].actions: \"stop\" will never be used: pressure.allow_stop is "
                "false (<built-in>:"));
}

TEST_CASE("The base's own problems are found on it alone, so they are told apart from the drop-ins'",
          "[policy]") {
  const FixtureTree tree(Files{
      {"jmem/policy.toml", "mode = \"observe\"\n"},
      {"policy.d/50-wired.toml", "[classes.network]\naction = \"disable\"\nunits = [\"cups.service\"]\n"},
  });
  DropinSet set;
  set.dropins = {tree.path("policy.d/50-wired.toml")};
  set.base = tree.path("jmem/policy.toml");
  set.base_required = true;
  const auto verdict = validateDropins(set);
  const Lines base_problem{tree.path("jmem/policy.toml").string() +
                           ":1:8: mode: \"observe\" is not a mode (audit, enforce)"};
  CHECK(test::formatted(LoadResult{std::nullopt, verdict.base_problems, {}, {}}) == base_problem);
  CHECK(test::formatted(verdict.merged) == base_problem);
  CHECK_FALSE(verdict.merged.policy);
}
