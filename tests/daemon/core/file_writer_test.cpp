#include "core/file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "core/file_reader.h"
#include "core/unique_fd.h"
#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

TEST_CASE("writeAll writes every byte it is given", "[core]") {
  FixtureTree tree;
  const auto path = tree.path("out");
  const std::string text(100000, 'x');
  {
    const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    REQUIRE(fd);
    REQUIRE(writeAll(fd.get(), text, path.string()));
  }
  const auto back = readWholeFile(path);
  REQUIRE(back);
  CHECK(*back == text);
}

TEST_CASE("a failed write names the file and keeps its errno", "[core]") {
  FixtureTree tree(Files{{"in", "x"}});
  const UniqueFd fd(::open(tree.path("in").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  const auto written = writeAll(fd.get(), "y", "the file");
  REQUIRE_FALSE(written);
  CHECK(written.error().errno_value == EBADF);
  CHECK(written.error().message.starts_with("Failed to write the file: "));
}

TEST_CASE("syncDirectory syncs a directory and names one it cannot open", "[core]") {
  FixtureTree tree(Files{{"dir/file", "x"}});
  CHECK(syncDirectory(tree.path("dir")));
  const auto missing = syncDirectory(tree.path("missing"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().errno_value == ENOENT);
  CHECK(missing.error().message.starts_with("Failed to open " + tree.path("missing").string()));
}
