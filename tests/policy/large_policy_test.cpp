// Policies of many entries: every check stays linear (the timing is in tests/security), and no
// policy produces problems in the square of its size.
#include <catch2/catch.hpp>

#include "policy/loader.h"
#include "policy/parser.h"
#include "policy/pattern_index.h"
#include "problem_list.h"
#include "support/fixture_tree.h"

using namespace jmem::policy;
using jmem::policy::detail::kMaxUnitGlobs;
using jmem::policy::test::problemsIn;
using jmem::test::FixtureTree;
using Lines = std::vector<std::string>;
using Files = std::map<std::string, std::string>;

namespace {

// "[\"u0.service\", ...]": `count` names from `first`, each `pattern` with its number for the %.
std::string unitList(std::size_t first, std::size_t count, std::string_view pattern = "u%.service") {
  std::string text = "[";
  for (std::size_t i = first; i < first + count; ++i) {
    if (i > first) text += ", ";
    std::string name(pattern);
    name.replace(name.find('%'), 1, std::to_string(i));
    text += "\"" + name + "\"";
  }
  return text + "]";
}

}  // namespace

TEST_CASE("A keep list of 60,000 names, each written twice, is read once each in the order written",
          "[policy]") {
  const std::size_t count = 60000;
  const auto result = parsePolicyText("keep = " + unitList(0, count) + "\nkeep2 = 1\n", "test.toml");
  CHECK(test::formatted(result) == Lines{"test.toml:2:1: unknown key \"keep2\""});
  const auto twice = parsePolicyText("keep = " + unitList(0, count / 2) + "\n", "test.toml");
  REQUIRE(twice.policy);
  CHECK(twice.policy->keep.size() == count / 2);

  std::string doubled = unitList(0, count / 2);
  doubled.pop_back();
  doubled += ", " + unitList(0, count / 2).substr(1);
  const auto deduplicated = parsePolicyText("keep = " + doubled + "\n", "test.toml");
  REQUIRE(deduplicated.policy);
  REQUIRE(deduplicated.policy->keep.size() == count / 2);
  CHECK(deduplicated.policy->keep.back().pattern == "u" + std::to_string(count / 2 - 1) + ".service");
  CHECK(deduplicated.policy->keep.front().where == SourceLocation{"test.toml", 1, 9});
}

TEST_CASE("An invalid name written twice is reported at both places", "[policy]") {
  CHECK(problemsIn("keep = [\"x\", \"x\"]\n").size() == 2);
}

TEST_CASE("A class overlapping a whole keep list lists the first overlaps of each unit and counts the rest",
          "[policy]") {
  const std::size_t kept = 20;
  const auto lines =
      problemsIn("keep = " + unitList(0, kept) +
                 "\n[classes.all]\naction = \"stop\"\nunits = [\"u*.service\", \"u3.service\"]\n");
  REQUIRE(lines.size() == 8 + 1 + 1);
  CHECK(lines[0] ==
        "test.toml:4:10: classes.all.units: \"u*.service\" would be stopped, but keep has "
        "\"u0.service\" (test.toml:1:9)");
  CHECK(lines[8] == "test.toml:4:10: classes.all.units: \"u*.service\": " + std::to_string(kept - 8) +
                        " more like the above, not listed");
  CHECK(lines[9] ==
        "test.toml:4:24: classes.all.units: \"u3.service\" would be stopped, but keep has "
        "\"u3.service\" (test.toml:1:51)");
}

TEST_CASE(
    "Many classes naming one unit, and many duplicate workloads, give one problem each, not one per pair",
    "[policy]") {
  std::string classes;
  for (int i = 0; i < 40; ++i) {
    classes += "[classes.c" + std::to_string(i) + "]\naction = \"" + (i % 2 ? "mask" : "stop") +
               "\"\nunits = [\"x.service\"]\n";
  }
  CHECK(problemsIn(classes).size() <= 40 * 9);
  std::string workloads;
  for (int i = 0; i < 300; ++i) workloads += "[[workloads]]\nunit = \"w.service\"\nactions = [\"freeze\"]\n";
  const auto lines = problemsIn(workloads);
  CHECK(lines.size() == 299);
  CHECK(lines.back() ==
        "test.toml:899:8: workloads[299].unit: a second workload for \"w.service\" (the first at "
        "test.toml:2:8)");
}

TEST_CASE("A policy holds a bounded number of unit globs, and the one past the bound is named", "[policy]") {
  CHECK(problemsIn("keep = " + unitList(0, kMaxUnitGlobs, "g%*.service") + "\n").empty());
  const auto lines = problemsIn("keep = " + unitList(0, kMaxUnitGlobs + 1, "g%*.service") + "\n");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].ends_with("\"g" + std::to_string(kMaxUnitGlobs) + "*.service\" is glob number " +
                           std::to_string(kMaxUnitGlobs + 1) + ": a policy holds at most " +
                           std::to_string(kMaxUnitGlobs) + " unit globs"));
}

TEST_CASE("A drop-in's long list is appended to the main file's, each name once in the first place written",
          "[policy]") {
  const FixtureTree tree(Files{{"policy.toml", "keep = " + unitList(0, 30000) + "\n"},
                               {"policy.d/50-more.toml", "keep = " + unitList(20000, 30000) + "\n"}});
  const auto result = loadPolicy(PolicyFiles{tree.path("policy.toml"), tree.path("policy.d")});
  REQUIRE(result.policy);
  REQUIRE(result.policy->keep.size() == 50000);
  CHECK(result.policy->keep[20000].where.file == tree.path("policy.toml").string());
  CHECK(result.policy->keep[30000].where.file == tree.path("policy.d/50-more.toml").string());
  CHECK(result.policy->keep[30000].pattern == "u30000.service");
}
