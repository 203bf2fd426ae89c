// Policy text written to break the parser or the terminal that shows its problems.
#include <algorithm>
#include <catch2/catch.hpp>

#include "policy/nesting.h"
#include "policy/parser.h"
#include "problem_list.h"

using namespace jmem::policy;
using jmem::policy::detail::kMaxKeyParts;
using jmem::policy::detail::kMaxNesting;
using jmem::policy::test::problemsIn;
using Lines = std::vector<std::string>;

namespace {

std::string repeated(std::string_view piece, std::size_t times, std::string_view separator = "") {
  std::string text;
  for (std::size_t i = 0; i < times; ++i) {
    if (i > 0) text += separator;
    text += piece;
  }
  return text;
}

std::string keyTooLong() {
  return "a dotted key of more than " + std::to_string(kMaxKeyParts) + " parts (a policy needs 3 at most)";
}

std::string nestedTooDeep() {
  return "more than " + std::to_string(kMaxNesting) +
         " arrays or inline tables nested in one another (a policy needs 3 at most)";
}

bool mentionsNesting(const Lines& lines) {
  return std::any_of(lines.begin(), lines.end(), [](const std::string& line) {
    return line.find("dotted key of more") != std::string::npos ||
           line.find("nested in one") != std::string::npos;
  });
}

}  // namespace

TEST_CASE("A table header of 31,000 dotted keys is refused before the parser sees it", "[policy]") {
  const std::string header = "[" + repeated("a", 31000, ".") + "]\nx = 1\n";
  const auto result = parsePolicyText(header, "test.toml");
  CHECK_FALSE(result.policy);
  CHECK(test::formatted(result) == Lines{"test.toml:1:2: " + keyTooLong()});
}

TEST_CASE("Dotted keys past the bound are refused wherever they stand: quoted, spaced, before '=' or inline",
          "[policy]") {
  const std::string parts = repeated("\"q\" . b", kMaxKeyParts, " . ");  // 2 parts each
  CHECK(problemsIn("[[workloads]]\n" + parts + " = 1\n") == Lines{"test.toml:2:1: " + keyTooLong()});
  CHECK(problemsIn("x = { " + repeated("c", kMaxKeyParts + 1, ".") + " = 1 }\n") ==
        Lines{"test.toml:1:7: " + keyTooLong()});
}

TEST_CASE("Arrays nested past the bound are refused at the bracket that goes too deep", "[policy]") {
  const std::string text = "x = " + repeated("[", 100000) + repeated("]", 100000) + "\n";
  CHECK(problemsIn(text) == Lines{"test.toml:1:" + std::to_string(5 + kMaxNesting) + ": " + nestedTooDeep()});
}

TEST_CASE("Inline tables and arrays of tables nested past the bound are refused too", "[policy]") {
  const std::string tables =
      "x = " + repeated("{ a = ", kMaxNesting + 1) + "1" + repeated(" }", kMaxNesting + 1);
  CHECK(problemsIn(tables) ==
        Lines{"test.toml:1:" + std::to_string(5 + 6 * kMaxNesting) + ": " + nestedTooDeep()});
  const std::string mixed = "x = [" + repeated("{ a = [", kMaxNesting) + "\n";
  CHECK(mentionsNesting(problemsIn(mixed)));
}

TEST_CASE("Nesting and dotted keys at the bound are left to the parser and the schema", "[policy]") {
  const auto at_bound = problemsIn("x = " + repeated("[", kMaxNesting) + repeated("]", kMaxNesting) + "\n" +
                                   repeated("k", kMaxKeyParts, ".") + " = 1\n");
  CHECK_FALSE(mentionsNesting(at_bound));
  CHECK(at_bound == Lines{"test.toml:1:1: unknown key \"x\"", "test.toml:2:1: unknown key \"k\""});
}

TEST_CASE("Brackets and dots inside strings and comments nest nothing", "[policy]") {
  const std::string brackets = repeated("[{", 200);
  const std::string dots = repeated("d", 200, ".");
  const auto lines =
      problemsIn("# " + brackets + " " + dots + "\n" + "default_target = \"" + brackets + dots + "\"\n" +
                 "mode = '" + brackets + "'\n" + "sample_interval_ms = 1000 # " + brackets + "\n" +
                 "x = \"\"\"\n" + brackets + "\n\\\"\"\"" + brackets + "\"\"\"\n" + "y = '''" + brackets +
                 "\n" + dots + "'''\n" + "z = \"\\\"" + brackets + "\"\n");
  CHECK_FALSE(mentionsNesting(lines));
  CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& line) {
          return line.find("unknown key") != std::string::npos;
        }) == 3);
}

TEST_CASE("A problem's file name and quoted values reach the terminal escaped, on one line each",
          "[policy]") {
  const std::string source = "evil\x1b[2J\n/etc/jmem/policy.toml:1:1: forged.toml";
  const auto lines =
      test::formatted(parsePolicyText("mode = \"\xe2\x80\xae"
                                      "tidua\\u001b]0;owned\\u0007\"\n"
                                      "default_target = \"a\xe2\x81\xa6\xe2\x80\x8b.target\"\n",
                                      source));
  REQUIRE(lines.size() == 2);
  for (const auto& line : lines) {
    CHECK(line.find('\x1b') == std::string::npos);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\x07') == std::string::npos);
    CHECK(line.find("\xe2\x80\xae") == std::string::npos);
    CHECK(line.starts_with("evil\\x1b[2J\\n/etc/jmem/policy.toml:1:1: forged.toml:"));
  }
  CHECK(lines[0].find("\"\\u202etidua\\x1b]0;owned\\x07\" is not a mode") != std::string::npos);
  CHECK(lines[1].find("\"a\\u2066\\u200b.target\" is not a valid .target unit name") != std::string::npos);
}

TEST_CASE("A location quoted inside a message is escaped once, not twice", "[policy]") {
  const Problem problem{SourceLocation{"a\nb.toml", 3, 4},
                        "keep has \"x\" (" + formatLocation(SourceLocation{"a\nb.toml", 1, 2}) + ")"};
  CHECK(formatProblem(problem) == "a\\nb.toml:3:4: keep has \"x\" (a\\nb.toml:1:2)");
}
