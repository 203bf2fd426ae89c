#include "compliance/boot_revert.h"

#include <catch2/catch.hpp>

#include "sources/extlinux.h"
#include "support/fixture_tree.h"

using namespace jmem;
using namespace jmem::compliance;

namespace {

std::string fixture() {
  return test::fixtureFile("boot/jetpack6-extlinux.conf");
}

std::string defaultAppend(const std::string& text) {
  auto config = parseExtlinux(text);
  REQUIRE(config);
  return config->defaultEntry()->append->text;
}

// The fixture as jmem's apply leaves it: swiotlb=65536 added to the DEFAULT entry.
struct Applied {
  std::string backup = fixture();
  std::string before = defaultAppend(backup);
  std::string after = *setArgument(before, "swiotlb", "65536");
  std::string written = *withDefaultAppend(*parseExtlinux(backup), after);
};

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a file as jmem wrote it is restored from the backup byte for byte", "[compliance]") {
  const Applied a;
  auto how = planBootRevert(a.backup, a.written, a.before, a.after, std::string("primary"));
  REQUIRE(how);
  CHECK(how->kind == BootRevert::Kind::kRestoreBackup);
  CHECK(how->text == a.backup);
}

TEST_CASE("an operator's edit elsewhere in the file survives the revert of jmem's argument", "[compliance]") {
  const Applied a;
  const std::string edited =
      replaced(replaced(a.written, "TIMEOUT 30", "TIMEOUT 50"), "video=efifb:off console=tty0\n",
               "video=efifb:off console=tty0 quiet\n");
  // The first "...console=tty0\n" is the backup entry's: the DEFAULT line now ends in swiotlb=65536.
  auto how = planBootRevert(a.backup, edited, a.before, a.after, std::string("primary"));
  REQUIRE(how);
  CHECK(how->kind == BootRevert::Kind::kEditArguments);
  CHECK(how->text.find("TIMEOUT 50") != std::string::npos);
  CHECK(how->text.find("console=tty0 quiet") != std::string::npos);
  CHECK(how->text.find("swiotlb") == std::string::npos);
  CHECK(defaultAppend(how->text) == a.before);
}

TEST_CASE("an operator's extra argument in the DEFAULT entry stays; only jmem's swiotlb goes",
          "[compliance]") {
  const Applied a;
  const std::string edited = replaced(a.written, "swiotlb=65536", "swiotlb=65536 isolcpus=3");
  auto how = planBootRevert(a.backup, edited, a.before, a.after, std::string("primary"));
  REQUIRE(how);
  CHECK(how->kind == BootRevert::Kind::kEditArguments);
  CHECK(defaultAppend(how->text) == a.before + " isolcpus=3");
  CHECK(how->detail.find("no swiotlb") != std::string::npos);
}

TEST_CASE("jmem's argument changed by the operator is a conflict that names both values", "[compliance]") {
  const Applied a;
  const std::string edited = replaced(a.written, "swiotlb=65536", "swiotlb=32768");
  auto how = planBootRevert(a.backup, edited, a.before, a.after, std::string("primary"));
  REQUIRE(how);
  CHECK(how->kind == BootRevert::Kind::kConflict);
  CHECK(how->text.empty());
  CHECK(how->detail.find("swiotlb=65536") != std::string::npos);
  CHECK(how->detail.find("swiotlb=32768") != std::string::npos);
}

TEST_CASE("jmem's argument already taken out by hand leaves nothing to undo", "[compliance]") {
  const Applied a;
  const std::string edited = replaced(replaced(a.written, " swiotlb=65536", ""), "TIMEOUT 30", "TIMEOUT 10");
  auto how = planBootRevert(a.backup, edited, a.before, a.after, std::string("primary"));
  REQUIRE(how);
  CHECK(how->kind == BootRevert::Kind::kAlreadyUndone);
  CHECK(planBootRevert(a.backup, a.backup, a.before, a.after, std::nullopt)->kind ==
        BootRevert::Kind::kAlreadyUndone);
}

TEST_CASE("a DEFAULT moved to another entry is a conflict, not a silent edit of the wrong entry",
          "[compliance]") {
  const Applied a;
  const std::string edited = replaced(a.written, "DEFAULT primary", "DEFAULT backup");
  auto how = planBootRevert(a.backup, edited, a.before, a.after, std::string("primary"));
  REQUIRE(how);
  CHECK(how->kind == BootRevert::Kind::kConflict);
  CHECK(how->detail.find("DEFAULT is now backup") != std::string::npos);
}

TEST_CASE("a changed value jmem replaced is put back as it was", "[compliance]") {
  Applied a;
  a.backup = replaced(a.backup, "console=tty0\n", "console=tty0 swiotlb=2048\n");
  a.before = defaultAppend(a.backup);
  a.after = *setArgument(a.before, "swiotlb", "65536");
  a.written = *withDefaultAppend(*parseExtlinux(a.backup), a.after);
  const std::string edited = replaced(a.written, "TIMEOUT 30", "TIMEOUT 40");
  auto how = planBootRevert(a.backup, edited, a.before, a.after, std::nullopt);
  REQUIRE(how);
  CHECK(how->kind == BootRevert::Kind::kEditArguments);
  CHECK(defaultAppend(how->text) == a.before);
  CHECK(how->text.find("TIMEOUT 40") != std::string::npos);
}
