#include "policy/loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "policy/builtin.h"
#include "problem_list.h"
#include "support/fixture_tree.h"

using namespace jmem::policy;
using jmem::test::FixtureTree;
using Lines = std::vector<std::string>;
using Files = std::map<std::string, std::string>;

namespace {

PolicyFiles filesIn(const FixtureTree& tree) {
  return PolicyFiles{tree.path("policy.toml"), tree.path("policy.d")};
}

std::vector<std::string> patterns(const std::vector<UnitPattern>& units) {
  std::vector<std::string> names;
  for (const auto& unit : units) names.push_back(unit.pattern);
  return names;
}

const UnitClass& classNamed(const Policy& policy, std::string_view name) {
  for (const auto& unit_class : policy.classes) {
    if (unit_class.name == name) return unit_class;
  }
  FAIL("no class " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("A missing main file falls back to the built-in default, and a missing drop-in directory is fine",
          "[policy]") {
  const FixtureTree tree;
  const auto result = loadPolicy(filesIn(tree));
  CHECK(test::formatted(result).empty());
  REQUIRE(result.policy);
  CHECK(result.policy->classes.size() == builtInPolicy().policy->classes.size());
  CHECK(result.policy->mode.where.file == "<built-in>");
}

TEST_CASE("A present main file replaces the built-in default entirely", "[policy]") {
  const FixtureTree tree(Files{{"policy.toml", "mode = \"enforce\"\n"}});
  const auto result = loadPolicy(filesIn(tree));
  REQUIRE(result.policy);
  CHECK(result.policy->mode.value == Mode::kEnforce);
  CHECK(result.policy->mode.where == SourceLocation{tree.path("policy.toml").string(), 1, 8});
  CHECK(result.policy->classes.empty());
  CHECK(result.policy->keep.empty());
  CHECK_FALSE(result.policy->default_target);
}

TEST_CASE("Drop-ins are merged in lexical order of their names, after the main file", "[policy]") {
  const FixtureTree tree(Files{
      {"policy.toml", "mode = \"audit\"\nsample_interval_ms = 1000\n"},
      {"policy.d/10-first.toml", "mode = \"enforce\"\nsample_interval_ms = 2000\n"},
      {"policy.d/9-second.toml", "sample_interval_ms = 3000\n"},  // "9" sorts after "10"
      {"policy.d/README", "not = toml = at all"},                 // not *.toml: ignored
      {"policy.d/nested.toml/x.toml", "mode = 5\n"},              // a directory: ignored
  });
  const auto result = loadPolicy(filesIn(tree));
  CHECK(test::formatted(result).empty());
  REQUIRE(result.policy);
  CHECK(result.policy->mode.value == Mode::kEnforce);
  CHECK(result.policy->sample_interval.value == std::chrono::milliseconds{3000});
  CHECK(result.policy->sample_interval.where.file == tree.path("policy.d/9-second.toml").string());
  CHECK(result.files == std::vector<std::string>{tree.path("policy.toml").string(),
                                                 tree.path("policy.d/10-first.toml").string(),
                                                 tree.path("policy.d/9-second.toml").string()});
}

TEST_CASE("Without a main file the files read start with the built-in default's name", "[policy]") {
  const FixtureTree tree(Files{{"policy.d/50-site.toml", "mode = \"enforce\"\n"}});
  const auto result = loadPolicy(filesIn(tree));
  REQUIRE(result.policy);
  CHECK(result.files == std::vector<std::string>{"<built-in>", tree.path("policy.d/50-site.toml").string()});
}

TEST_CASE("Merging appends arrays without duplicates, replaces scalars and merges tables key by key",
          "[policy]") {
  const FixtureTree tree(Files{
      {"policy.toml",
       "keep = [\"a.service\", \"b.service\"]\n"
       "[classes.gui]\n"
       "action = \"mask\"\n"
       "units = [\"gdm3.service\"]\n"
       "[pressure]\n"
       "available_low_mib = 256\n"
       "available_high_mib = 4096\n"},
      {"policy.d/50-site.toml",
       "keep = [\"b.service\", \"c.service\"]\n"
       "[classes.gui]\n"
       "units = [\"nvweston.service\", \"gdm3.service\"]\n"
       "[pressure]\n"
       "available_low_mib = 1024\n"},
  });
  const auto result = loadPolicy(filesIn(tree));
  CHECK(test::formatted(result).empty());
  REQUIRE(result.policy);
  const Policy& policy = *result.policy;
  CHECK(patterns(policy.keep) == std::vector<std::string>{"a.service", "b.service", "c.service"});
  CHECK(policy.keep[1].where.file == tree.path("policy.toml").string());  // the first position is kept
  CHECK(policy.keep[2].where == SourceLocation{tree.path("policy.d/50-site.toml").string(), 1, 22});
  const auto& gui = classNamed(policy, "gui");
  CHECK(gui.action.value == UnitAction::kMask);
  CHECK(patterns(gui.units) == std::vector<std::string>{"gdm3.service", "nvweston.service"});
  CHECK(policy.pressure.available_low_mib.value == 1024);
  CHECK(policy.pressure.available_high_mib.value == 4096);
}

TEST_CASE("Drop-ins without a main file merge onto the built-in default", "[policy]") {
  const FixtureTree tree(
      Files{{"policy.d/wired.toml", "[classes.network]\nunits = [\"wpa_supplicant.service\"]\n"}});
  const auto result = loadPolicy(filesIn(tree));
  REQUIRE(result.policy);
  const auto& network = classNamed(*result.policy, "network");
  CHECK(network.action.value == UnitAction::kDisable);
  CHECK(patterns(network.units).back() == "wpa_supplicant.service");
  CHECK(network.units.front().where.file == "<built-in>");
}

TEST_CASE("A drop-in turns a class off with action keep", "[policy]") {
  const FixtureTree tree(Files{{"policy.d/desktop.toml", "[classes.gui]\naction = \"keep\"\n"}});
  const auto result = loadPolicy(filesIn(tree));
  REQUIRE(result.policy);
  CHECK(classNamed(*result.policy, "gui").action.value == UnitAction::kKeep);
}

TEST_CASE("An inline table replaces the swiotlb rule and a standard table merges into it", "[policy]") {
  const FixtureTree tree(Files{
      {"policy.toml", "[boot]\nswiotlb = { slabs = 65536 }\n"},
      {"policy.d/a.toml", "[boot]\nswiotlb = { absent = true }\n"},
  });
  const auto replaced = loadPolicy(filesIn(tree));
  REQUIRE(replaced.policy);
  CHECK(replaced.policy->boot.swiotlb.kind == SwiotlbRule::Kind::kAbsent);

  tree.write("policy.d/a.toml", "[boot.swiotlb]\nabsent = true\n");
  const auto merged = loadPolicy(filesIn(tree));
  CHECK_FALSE(merged.policy);
  REQUIRE(merged.problems.size() == 1);
  CHECK(merged.problems[0].where == SourceLocation{tree.path("policy.d/a.toml").string(), 2, 10});
}

TEST_CASE("Problems in every file are reported together, each naming its own file", "[policy]") {
  const FixtureTree tree(Files{
      {"policy.toml", "mode = \"audit\"\n[boot]\nedit_extlinux = \"no\"\n"},
      {"policy.d/10-broken.toml", "mode = \n"},
      {"policy.d/20-typo.toml", "\n[pressure]\nallow_stpo = true\n"},
  });
  const auto result = loadPolicy(filesIn(tree));
  CHECK_FALSE(result.policy);
  const std::string main = tree.path("policy.toml").string();
  const std::string broken = tree.path("policy.d/10-broken.toml").string();
  const std::string typo = tree.path("policy.d/20-typo.toml").string();
  const auto lines = test::formatted(result);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == main + ":3:17: boot.edit_extlinux: expected a boolean, got a string");
  CHECK(lines[1].starts_with(broken + ":1:8: "));
  CHECK(lines[2] == typo + ":3:1: unknown key \"pressure.allow_stpo\"");
}

TEST_CASE("A file that is binary garbage is a problem naming the file", "[policy]") {
  const FixtureTree tree(Files{{"policy.d/blob.toml", std::string("\x7f"
                                                                  "ELF\x02\x01\x01\0\0\0",
                                                                  10)}});
  const auto result = loadPolicy(filesIn(tree));
  CHECK_FALSE(result.policy);
  CHECK(test::formatted(result) ==
        Lines{tree.path("policy.d/blob.toml").string() + ": not a text file (it contains NUL bytes)"});

  tree.write("policy.d/blob.toml", "\xff\xfe\xfd");
  const auto invalid_utf8 = loadPolicy(filesIn(tree));
  REQUIRE(invalid_utf8.problems.size() == 1);
  CHECK(invalid_utf8.problems[0].where.file == tree.path("policy.d/blob.toml").string());
  CHECK(invalid_utf8.problems[0].where.line == 1);
}

TEST_CASE("An unreadable main file is a problem naming the file, not a fall back to the default",
          "[policy]") {
  const FixtureTree tree(Files{{"policy.toml/not-a-file", ""}});
  const auto directory = loadPolicy(filesIn(tree));
  CHECK_FALSE(directory.policy);
  CHECK(test::formatted(directory) == Lines{tree.path("policy.toml").string() +
                                            ": Failed to read the file: not a regular file (a directory)"});

  if (::geteuid() != 0) {  // root reads a file of mode 000
    const FixtureTree locked(Files{{"policy.toml", "mode = \"audit\"\n"}});
    ::chmod(locked.path("policy.toml").c_str(), 0);
    CHECK(test::formatted(loadPolicy(filesIn(locked))) ==
          Lines{locked.path("policy.toml").string() + ": Failed to read the file: Permission denied"});
  }
}

TEST_CASE("A drop-in that is a FIFO is a problem, not a reader blocked forever", "[policy]") {
  const FixtureTree tree;
  std::filesystem::create_directories(tree.path("policy.d"));
  REQUIRE(::mkfifo(tree.path("policy.d/pipe.toml").c_str(), 0600) == 0);
  CHECK(test::formatted(loadPolicy(filesIn(tree))) ==
        Lines{tree.path("policy.d/pipe.toml").string() +
              ": Failed to read the file: not a regular file (a FIFO)"});
}

TEST_CASE("A main file named by the caller must exist", "[policy]") {
  const FixtureTree tree;
  PolicyFiles files = filesIn(tree);
  files.main_required = true;
  const auto result = loadPolicy(files);
  CHECK_FALSE(result.policy);
  CHECK(test::formatted(result) ==
        Lines{tree.path("policy.toml").string() + ": Failed to read the file: No such file or directory"});
}

TEST_CASE("A drop-in directory that is a file is a problem naming it", "[policy]") {
  const FixtureTree tree(Files{{"policy.d", "mode = \"audit\"\n"}});
  const auto result = loadPolicy(filesIn(tree));
  CHECK_FALSE(result.policy);
  REQUIRE(result.problems.size() == 1);
  CHECK(test::formatted(result)[0].starts_with(tree.path("policy.d").string() +
                                               ": Failed to list the drop-in directory: "));
}
