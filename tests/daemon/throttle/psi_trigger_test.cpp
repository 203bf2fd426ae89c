#include "throttle/psi_trigger.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "support/fixture_tree.h"

using namespace jmem;
using namespace jmem::throttle;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;
using std::chrono::milliseconds;

namespace {

const std::string kCapturedPressure =
    "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";

std::string contents(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST_CASE("a captured tree's pressure file is never written: the trigger is refused and the file unchanged",
          "[throttle]") {
  FixtureTree tree(Files{{"proc/pressure/memory", kCapturedPressure}});
  const auto file = tree.path("proc/pressure/memory");
  auto trigger = PsiTrigger::open(file, milliseconds(150));
  REQUIRE_FALSE(trigger);
  CHECK(trigger.error().message ==
        file.string() + " is not the kernel's pressure file (an injected proc root is only read)");
  CHECK(contents(file) == kCapturedPressure);
}

TEST_CASE("a FIFO as the pressure file is refused without being opened for writing", "[throttle]") {
  FixtureTree tree(Files{{"proc/pressure/placeholder", ""}});
  const auto fifo = tree.path("proc/pressure/memory");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto refused = requireKernelPressureFile(fifo);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find(fifo.string()) == 0);
  CHECK_FALSE(PsiTrigger::open(fifo, milliseconds(150)));
}

TEST_CASE("a link to the kernel's pressure file inside a tree is refused, not followed", "[throttle]") {
  FixtureTree tree(Files{{"proc/pressure/placeholder", ""}});
  const auto link = tree.path("proc/pressure/memory");
  std::filesystem::create_symlink("/proc/pressure/memory", link);
  CHECK_FALSE(requireKernelPressureFile(link));
}

TEST_CASE("a missing pressure file is an error naming it", "[throttle]") {
  FixtureTree tree;
  const auto missing = requireKernelPressureFile(tree.path("proc/pressure/memory"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().errno_value == ENOENT);
  CHECK(missing.error().message.find(tree.path("proc/pressure/memory").string()) != std::string::npos);
}

TEST_CASE("the real /proc's pressure file is the kernel's", "[throttle]") {
  if (!std::filesystem::exists("/proc/pressure/memory")) {
    WARN("this kernel has no PSI: nothing to compare with");
    return;
  }
  CHECK(requireKernelPressureFile("/proc/pressure/memory"));
}
