#include "metrics/textfile.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "support/fixture_tree.h"

using namespace jmem;
using namespace jmem::metrics;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

namespace {

std::string contentOf(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::set<std::string> namesIn(const std::filesystem::path& directory) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    names.insert(entry.path().filename());
  return names;
}

// Runs `body` in a forked child and returns its exit status: for what must not touch the test process.
int inChild(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(body());
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

const std::string kText = "# HELP jmem_units Units.\n# TYPE jmem_units gauge\njmem_units 3\n";

}  // namespace

TEST_CASE("the textfile is written whole, mode 0644 whatever the umask, with no temporary file left",
          "[metrics]") {
  FixtureTree tree(Files{{"textfile/.keep", ""}});
  const mode_t old_umask = ::umask(077);
  const auto written = writeTextfile(tree.path("textfile"), "jmem.prom", kText);
  ::umask(old_umask);
  REQUIRE(written);
  CHECK(*written == TextfileWrite::kWritten);
  CHECK(contentOf(tree.path("textfile/jmem.prom")) == kText);
  struct stat info {};
  REQUIRE(::stat(tree.path("textfile/jmem.prom").c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0644);
  CHECK(info.st_uid == ::geteuid());
  CHECK(namesIn(tree.path("textfile")) == std::set<std::string>{".keep", "jmem.prom"});
}

TEST_CASE("a new textfile replaces the old one by rename, not by writing into it", "[metrics]") {
  FixtureTree tree(Files{{"textfile/jmem.prom", "old\n"}});
  struct stat before {};
  REQUIRE(::stat(tree.path("textfile/jmem.prom").c_str(), &before) == 0);
  // A reader holding the old file keeps reading the old content.
  std::ifstream reader(tree.path("textfile/jmem.prom"));
  REQUIRE(writeTextfile(tree.path("textfile"), "jmem.prom", kText));
  struct stat after {};
  REQUIRE(::stat(tree.path("textfile/jmem.prom").c_str(), &after) == 0);
  CHECK(after.st_ino != before.st_ino);
  CHECK(contentOf(tree.path("textfile/jmem.prom")) == kText);
  std::string line;
  std::getline(reader, line);
  CHECK(line == "old");
  CHECK(namesIn(tree.path("textfile")) == std::set<std::string>{"jmem.prom"});
}

TEST_CASE("a missing directory means metrics are off: a distinct result, and nothing is created",
          "[metrics]") {
  FixtureTree tree(Files{{"var/.keep", ""}});
  const auto written = writeTextfile(tree.path("var/node-exporter"), "jmem.prom", kText);
  REQUIRE(written);
  CHECK(*written == TextfileWrite::kDirectoryMissing);
  CHECK_FALSE(std::filesystem::exists(tree.path("var/node-exporter")));
}

TEST_CASE("a file in place of the directory is an error", "[metrics]") {
  FixtureTree tree(Files{{"node-exporter", "not a directory"}});
  const auto written = writeTextfile(tree.path("node-exporter"), "jmem.prom", kText);
  REQUIRE_FALSE(written);
  CHECK(written.error().message ==
        "Failed to write into " + tree.path("node-exporter").string() + ": not a directory");
}

TEST_CASE("a name the collector would not read, or that leaves the directory, is refused", "[metrics]") {
  FixtureTree tree(Files{{"textfile/.keep", ""}});
  for (const char* name :
       {"", "jmem.txt", ".prom", ".jmem.prom", "../jmem.prom", "sub/jmem.prom", "jmem.prom.tmp"}) {
    INFO(name);
    const auto written = writeTextfile(tree.path("textfile"), name, kText);
    REQUIRE_FALSE(written);
    CHECK(written.error().message.starts_with("Invalid textfile name"));
  }
  CHECK(namesIn(tree.path("textfile")) == std::set<std::string>{".keep"});
}

TEST_CASE("a write that fails leaves the previous textfile intact and no temporary file", "[metrics]") {
  FixtureTree tree(Files{{"textfile/jmem.prom", kText}});
  const std::string large(64 * 1024, '#');
  // A file size limit makes the write fail the way a full disk does.
  const int status = inChild([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{4096, 4096};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 2;
    const auto written = writeTextfile(tree.path("textfile"), "jmem.prom", large);
    if (written) return 3;
    return written.error().message ==
                   "Failed to write " + tree.path("textfile/jmem.prom").string() + ": File too large"
               ? 0
               : 4;
  });
  CHECK(status == 0);
  CHECK(contentOf(tree.path("textfile/jmem.prom")) == kText);
  CHECK(namesIn(tree.path("textfile")) == std::set<std::string>{"jmem.prom"});
}

TEST_CASE("a reader during repeated writes only ever sees a whole file", "[metrics]") {
  FixtureTree tree(Files{{"textfile/.keep", ""}});
  const std::string a(100 * 1024, 'a');
  const std::string b(150 * 1024, 'b');
  REQUIRE(writeTextfile(tree.path("textfile"), "jmem.prom", a));
  const pid_t writer = ::fork();
  REQUIRE(writer >= 0);
  if (writer == 0) {
    for (int i = 0; i < 100; ++i) {
      if (!writeTextfile(tree.path("textfile"), "jmem.prom", i % 2 ? a : b)) ::_exit(1);
    }
    ::_exit(0);
  }
  std::size_t reads = 0;
  std::size_t torn = 0;
  int status = 0;
  // Reads until the writer is done: its exit is the event waited on.
  while (::waitpid(writer, &status, WNOHANG) == 0) {
    const std::string seen = contentOf(tree.path("textfile/jmem.prom"));
    ++reads;
    if (seen != a && seen != b) ++torn;
  }
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(reads > 0);
  CHECK(torn == 0);
  CHECK(namesIn(tree.path("textfile")) == std::set<std::string>{".keep", "jmem.prom"});
}
