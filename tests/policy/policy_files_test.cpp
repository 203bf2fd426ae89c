// The files a policy comes from: refused by type without blocking, and by owner and mode as sshd's
// StrictModes does, saying which file and why.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "policy/loader.h"
#include "policy/policy_file.h"
#include "problem_list.h"
#include "support/fixture_tree.h"

using namespace jmem::policy;
using jmem::policy::detail::untrustedBecause;
using jmem::test::FixtureTree;
using Lines = std::vector<std::string>;
using Files = std::map<std::string, std::string>;

namespace {

struct stat statWith(uid_t owner, mode_t mode) {
  struct stat st {};
  st.st_uid = owner;
  st.st_mode = S_IFREG | mode;
  return st;
}

PolicyFiles mainOnly(const std::filesystem::path& path) {
  PolicyFiles files;
  files.main = path;
  files.dropin_dir.clear();
  files.main_required = true;
  return files;
}

}  // namespace

TEST_CASE("A policy owned by root or by the reader and writable by its owner only is trusted", "[policy]") {
  CHECK_FALSE(untrustedBecause(statWith(0, 0644), 0));
  CHECK_FALSE(untrustedBecause(statWith(0, 0600), 997));
  CHECK_FALSE(untrustedBecause(statWith(997, 0644), 997));
  CHECK_FALSE(untrustedBecause(statWith(0, 0755), 0));
}

TEST_CASE(
    "A policy owned by another user, or writable by its group or by everyone, is untrusted and says why",
    "[policy]") {
  CHECK(untrustedBecause(statWith(1000, 0644), 0) == "it is owned by uid 1000, not by root");
  CHECK(untrustedBecause(statWith(1000, 0644), 997) == "it is owned by uid 1000, not by root or uid 997");
  CHECK(untrustedBecause(statWith(0, 0664), 0) == "it is writable by its group (mode 0664)");
  CHECK(untrustedBecause(statWith(0, 0646), 0) == "it is writable by every user (mode 0646)");
  CHECK(untrustedBecause(statWith(0, 01777), 0) == "it is writable by every user (mode 1777)");
}

TEST_CASE("A main policy that is a FIFO, a device or a directory is refused by its type", "[policy]") {
  const FixtureTree tree;
  REQUIRE(::mkfifo(tree.path("fifo.toml").c_str(), 0600) == 0);
  std::filesystem::create_directories(tree.path("dir.toml"));
  // A FIFO with no writer would block a reader forever: the answer must come without one.
  CHECK(test::formatted(loadPolicy(mainOnly(tree.path("fifo.toml")))) ==
        Lines{tree.path("fifo.toml").string() + ": Failed to read the file: not a regular file (a FIFO)"});
  CHECK(
      test::formatted(loadPolicy(mainOnly(tree.path("dir.toml")))) ==
      Lines{tree.path("dir.toml").string() + ": Failed to read the file: not a regular file (a directory)"});
  CHECK(test::formatted(loadPolicy(mainOnly("/dev/null"))) ==
        Lines{"/dev/null: Failed to read the file: not a regular file (a character device)"});
}

TEST_CASE("A policy file above 1 MiB is refused, not truncated", "[policy]") {
  const FixtureTree tree(Files{{"big.toml", std::string(detail::kMaxPolicyFileBytes + 1, '#')}});
  CHECK(test::formatted(loadPolicy(mainOnly(tree.path("big.toml")))) ==
        Lines{tree.path("big.toml").string() + ": Failed to read the file: larger than " +
              std::to_string(detail::kMaxPolicyFileBytes) + " bytes"});
  const FixtureTree at_bound(Files{{"full.toml", std::string(detail::kMaxPolicyFileBytes, '#')}});
  CHECK(loadPolicy(mainOnly(at_bound.path("full.toml"))).policy);
}

TEST_CASE("A group-writable policy file is refused by jmemd and the policy it names is not returned",
          "[policy]") {
  const FixtureTree tree(Files{{"policy.toml", "mode = \"enforce\"\n"}});
  REQUIRE(::chmod(tree.path("policy.toml").c_str(), 0664) == 0);
  const auto refused = loadPolicy(PolicyFiles{tree.path("policy.toml"), tree.path("policy.d")});
  CHECK_FALSE(refused.policy);
  CHECK(test::formatted(refused) ==
        Lines{tree.path("policy.toml").string() + ": refused: it is writable by its group (mode 0664)"});
}

TEST_CASE("A world-writable drop-in or drop-in directory is refused, naming it", "[policy]") {
  const FixtureTree tree(
      Files{{"policy.toml", "mode = \"audit\"\n"}, {"policy.d/50-site.toml", "mode = \"enforce\"\n"}});
  REQUIRE(::chmod(tree.path("policy.d/50-site.toml").c_str(), 0666) == 0);
  const PolicyFiles files{tree.path("policy.toml"), tree.path("policy.d")};
  CHECK(test::formatted(loadPolicy(files)) == Lines{tree.path("policy.d/50-site.toml").string() +
                                                    ": refused: it is writable by every user (mode 0666)"});

  REQUIRE(::chmod(tree.path("policy.d/50-site.toml").c_str(), 0644) == 0);
  REQUIRE(::chmod(tree.path("policy.d").c_str(), 0777) == 0);
  CHECK(test::formatted(loadPolicy(files)) ==
        Lines{tree.path("policy.d").string() + ": refused: it is writable by every user (mode 0777)"});
}

TEST_CASE("A validator that only notes untrusted files still reads them and says what jmemd would do",
          "[policy]") {
  const FixtureTree tree(Files{{"policy.toml", "mode = \"enforce\"\n"}});
  REQUIRE(::chmod(tree.path("policy.toml").c_str(), 0620) == 0);
  PolicyFiles files = mainOnly(tree.path("policy.toml"));
  files.untrusted = PolicyFiles::Untrusted::kNote;
  const auto noted = loadPolicy(files);
  REQUIRE(noted.policy);
  CHECK(noted.policy->mode.value == Mode::kEnforce);
  CHECK(noted.problems.empty());
  REQUIRE(noted.notes.size() == 1);
  CHECK(formatProblem(noted.notes[0]) ==
        tree.path("policy.toml").string() +
            ": note: jmemd would refuse it: it is writable by its group (mode 0620)");
}

TEST_CASE("A drop-in whose name holds an escape sequence and a newline is reported on one escaped line",
          "[policy]") {
  const std::string name = "policy.d/x\x1b[2J\npolicy.toml:1:1: forged.toml";
  const FixtureTree tree(Files{{name, "mode = 7\n"}});
  const auto lines =
      test::formatted(loadPolicy(PolicyFiles{tree.path("policy.toml"), tree.path("policy.d")}));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == tree.path("policy.d").string() +
                        "/x\\x1b[2J\\npolicy.toml:1:1: forged.toml:1:8: mode: expected a string, got an "
                        "integer");
}
