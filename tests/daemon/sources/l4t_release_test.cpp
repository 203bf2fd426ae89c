#include "sources/l4t_release.h"

#include <catch2/catch.hpp>

#include "support/fixture_tree.h"

using namespace jmem;

TEST_CASE("the L4T release and its JetPack are read from nv_tegra_release's first line", "[sources]") {
  const auto orin = parseL4tRelease(
      "# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64, DATE: Fri Sep 13 "
      "04:36:44 "
      "UTC 2024\n# KERNEL_VARIANT: oot\nTARGET_USERSPACE_LIB_DIR=nvidia\n");
  REQUIRE(orin);
  CHECK(orin->l4t == "36.4.0");
  CHECK(orin->jetpack == "6");
  const auto xavier =
      parseL4tRelease("# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64");
  REQUIRE(xavier);
  CHECK(xavier->l4t == "35.4.1");
  CHECK(xavier->jetpack == "5");
  const auto future = parseL4tRelease("# R99 (release), REVISION: 1.0, GCID: 1");
  REQUIRE(future);
  CHECK(future->jetpack.empty());  // a release this table does not know is not guessed
}

TEST_CASE("anything else in nv_tegra_release is no release", "[sources]") {
  for (const char* bad : {"", "R36 (release), REVISION: 4.0", "# R36 (release), REVISION: 4",
                          "# R3x (release), REVISION: 4.0", "# R36 (release), REVISION: 4.0\x1b[2J, GCID: 1",
                          "# R36 (beta), REVISION: 4.0", "# R123456 (release), REVISION: 4.0"}) {
    INFO(bad);
    CHECK_FALSE(parseL4tRelease(bad));
  }
}

TEST_CASE("a device without nv_tegra_release is no Jetson", "[sources]") {
  test::FixtureTree tree;
  CHECK_FALSE(readL4tRelease(tree.path()));
  tree.write("etc/nv_tegra_release", "# R35 (release), REVISION: 6.0, GCID: 1, BOARD: t186ref\n");
  const auto read = readL4tRelease(tree.path());
  REQUIRE(read);
  CHECK(read->l4t == "35.6.0");
}
