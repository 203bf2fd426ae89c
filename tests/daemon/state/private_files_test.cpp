#include "state/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "support/fixture_tree.h"

using namespace jmem;
using namespace jmem::test;

namespace {

mode_t modeOf(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mode;
}

void makeDirectory(const std::filesystem::path& path, mode_t mode) {
  REQUIRE(::mkdir(path.c_str(), 0700) == 0);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

}  // namespace

TEST_CASE("a missing state directory is made 0700, with the directories above it", "[state]") {
  FixtureTree tree;
  auto dir = openStateDirectory(tree.path("var/lib/jmem"));
  INFO((dir ? "" : dir.error().message));
  REQUIRE(dir.ok());
  CHECK((modeOf(tree.path("var/lib/jmem")) & 07777) == 0700);
  CHECK((modeOf(tree.path("var/lib")) & 022) == 0);
}

TEST_CASE("a state directory others can write to is refused, and the message names it", "[state]") {
  FixtureTree tree;
  makeDirectory(tree.path("state"), 0777);
  const auto dir = openStateDirectory(tree.path("state"));
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.error().message == "Refusing to use " + tree.path("state").string() +
                                   " as jmemd's state directory: it is writable by its group or by others "
                                   "(mode 0777)");
}

TEST_CASE("a state directory writable by its group is refused too", "[state]") {
  FixtureTree tree;
  makeDirectory(tree.path("state"), 0770);
  const auto dir = openStateDirectory(tree.path("state"));
  REQUIRE_FALSE(dir.ok());
  CHECK_THAT(dir.error().message, Catch::EndsWith("(mode 0770)"));
}

TEST_CASE("a state directory that is a symbolic link is refused, even to a good directory", "[state]") {
  FixtureTree tree;
  makeDirectory(tree.path("real"), 0700);
  std::filesystem::create_directory_symlink(tree.path("real"), tree.path("state"));
  const auto dir = openStateDirectory(tree.path("state"));
  REQUIRE_FALSE(dir.ok());
  CHECK_THAT(dir.error().message, Catch::EndsWith("state directory: it is a symbolic link"));
}

TEST_CASE("a state directory owned by another user is refused", "[state]") {
  FixtureTree tree;
  makeDirectory(tree.path("state"), 0700);
  if (::geteuid() == 0) {
    // As root the real thing: the directory given to nobody.
    REQUIRE(::chown(tree.path("state").c_str(), 65534, 65534) == 0);
    const auto dir = openStateDirectory(tree.path("state"));
    REQUIRE_FALSE(dir.ok());
    CHECK_THAT(dir.error().message,
               Catch::EndsWith("state directory: it is owned by uid 65534, not by jmemd's uid 0"));
  } else {
    // Elsewhere the decision alone, on the status such a directory has.
    CHECK(whyUntrusted(S_IFDIR | 0700, ::geteuid() + 1, 2, ::geteuid(), true) ==
          "it is owned by uid " + std::to_string(::geteuid() + 1) + ", not by jmemd's uid " +
              std::to_string(::geteuid()));
  }
}

TEST_CASE("a directory above the state directory that others can write to is refused, unless sticky",
          "[state]") {
  FixtureTree tree;
  makeDirectory(tree.path("open"), 0777);
  const auto refused = openStateDirectory(tree.path("open/jmem"));
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message,
             Catch::EndsWith(tree.path("open").string() +
                             " above it: it is writable by its group or by others (mode 0777)"));
  CHECK_FALSE(std::filesystem::exists(tree.path("open/jmem")));  // nothing made below it

  makeDirectory(tree.path("sticky"), 01777);  // as /tmp: only an entry's owner may rename it
  CHECK(openStateDirectory(tree.path("sticky/jmem")).ok());
}

TEST_CASE("a file in the state directory is opened only when it is a private regular file", "[state]") {
  FixtureTree tree;
  auto dir = openStateDirectory(tree.path("state"));
  REQUIRE(dir.ok());
  const int fd = dir->get();
  const auto refusal = [&](const char* name) {
    auto opened = openPrivateFileAt(fd, name, O_RDONLY, name);
    REQUIRE_FALSE(opened.ok());
    return opened.error().message;
  };
  tree.write("elsewhere", "x");
  std::filesystem::create_symlink(tree.path("elsewhere"), tree.path("state/link"));
  CHECK(refusal("link") == "Refusing to open link: it is a symbolic link");
  REQUIRE(::mkfifo(tree.path("state/fifo").c_str(), 0600) == 0);
  const auto start = std::chrono::steady_clock::now();
  CHECK(refusal("fifo") == "Refusing to open fifo: it is a FIFO");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  std::filesystem::create_directory(tree.path("state/dir"));
  CHECK(refusal("dir") == "Refusing to open dir: it is a directory");
  tree.write("state/shared", "x");
  REQUIRE(::chmod(tree.path("state/shared").c_str(), 0666) == 0);
  CHECK(refusal("shared") == "Refusing to open shared: it is writable by its group or by others (mode 0666)");
  CHECK(refusal("../elsewhere") == "Refusing to open ../elsewhere: not a plain name");

  tree.write("state/good", "content");
  REQUIRE(::chmod(tree.path("state/good").c_str(), 0600) == 0);
  auto read = readPrivateFileAt(fd, "good", 1024, "good");
  REQUIRE(read.ok());
  CHECK(*read == "content");
  const auto too_big = readPrivateFileAt(fd, "good", 3, "good");
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().message == "Failed to read good: larger than its limit of 3 bytes");
}

TEST_CASE("a private file is created 0600 and a missing one is an error without create", "[state]") {
  FixtureTree tree;
  auto dir = openStateDirectory(tree.path("state"));
  REQUIRE(dir.ok());
  const auto missing = openPrivateFileAt(dir->get(), "new", O_RDWR, "new");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().errno_value == ENOENT);
  REQUIRE(openPrivateFileAt(dir->get(), "new", O_RDWR, "new", true).ok());
  CHECK((modeOf(tree.path("state/new")) & 07777) == 0600);
}

TEST_CASE("a private subdirectory is made 0700 and refused when it is a link", "[state]") {
  FixtureTree tree;
  auto dir = openStateDirectory(tree.path("state"));
  REQUIRE(dir.ok());
  REQUIRE(openPrivateDirectoryAt(dir->get(), "backup", "backup").ok());
  CHECK((modeOf(tree.path("state/backup")) & 07777) == 0700);
  std::filesystem::create_directory_symlink("/etc", tree.path("state/elsewhere"));
  const auto link = openPrivateDirectoryAt(dir->get(), "elsewhere", "elsewhere");
  REQUIRE_FALSE(link.ok());
  CHECK(link.error().message == "Refusing to use elsewhere: it is a symbolic link");
}

TEST_CASE("trust in a file or directory depends on its type, owner, mode and links", "[state]") {
  CHECK(whyUntrusted(S_IFREG | 0600, 0, 1, 0, false).empty());
  CHECK(whyUntrusted(S_IFREG | 0644, 0, 1, 0, false).empty());  // others may read, not write
  CHECK(whyUntrusted(S_IFREG | 0620, 0, 1, 0, false) ==
        "it is writable by its group or by others (mode 0620)");
  CHECK(whyUntrusted(S_IFREG | 0600, 0, 3, 0, false) == "it has 3 hard links");
  CHECK(whyUntrusted(S_IFIFO | 0600, 0, 1, 0, false) == "it is a FIFO");
  CHECK(whyUntrusted(S_IFCHR | 0600, 0, 1, 0, false) == "it is a character device");
  CHECK(whyUntrusted(S_IFDIR | 0700, 0, 5, 0, true).empty());  // a directory's links are its children
  CHECK(whyUntrusted(S_IFREG | 0700, 0, 1, 0, true) == "it is a regular file");
}
