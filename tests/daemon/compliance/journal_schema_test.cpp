#include "compliance/journal_schema.h"

#include <catch2/catch.hpp>

using namespace jmem;
using namespace jmem::compliance;
using nlohmann::json;

namespace {

const RecordRules kRules{"/boot/extlinux/extlinux.conf", "/var/lib/jmem/backup"};

Change change(std::string kind, std::string target, json before, json after, std::string txn = "t1") {
  Change c;
  c.seq = 1;
  c.txn = std::move(txn);
  c.kind = std::move(kind);
  c.target = std::move(target);
  c.before = std::move(before);
  c.after = std::move(after);
  return c;
}

Change fileRecord(std::string target, std::string backup) {
  return change("file", std::move(target), {{"backup", std::move(backup)}, {"append", "quiet"}},
                {{"append", "quiet swiotlb=65536"}});
}

}  // namespace

TEST_CASE("every kind of record apply writes passes the schema", "[compliance]") {
  CHECK_FALSE(whyRejected(change("default_target", "default.target", {{"target", "graphical.target"}},
                                 {{"target", "multi-user.target"}}),
                          kRules));
  CHECK_FALSE(whyRejected(
      change("unit_file", "gdm3.service", {{"unit_file_state", "enabled"}}, {{"action", "mask"}}), kRules));
  CHECK_FALSE(whyRejected(
      change("unit_active", "gdm3.service", {{"active_state", "active"}}, {{"active_state", "inactive"}}),
      kRules));
  CHECK_FALSE(whyRejected(
      change("global_user_mask", "pipewire.service", {{"masked", false}}, {{"masked", true}}), kRules));
  CHECK_FALSE(whyRejected(fileRecord("/boot/extlinux/extlinux.conf", "/var/lib/jmem/backup/extlinux.conf.t1"),
                          kRules));
}

TEST_CASE("a file record may name only the policy's extlinux.conf", "[compliance]") {
  const auto why = whyRejected(fileRecord("/etc/passwd", "/var/lib/jmem/backup/extlinux.conf.t1"), kRules);
  REQUIRE(why);
  CHECK(*why ==
        "rejected a record of kind file: the file /etc/passwd is not the policy's extlinux.conf "
        "(/boot/extlinux/extlinux.conf)");
}

TEST_CASE("a file record's backup must be its own transaction's, inside the state directory",
          "[compliance]") {
  const auto shadow = whyRejected(fileRecord("/boot/extlinux/extlinux.conf", "/etc/shadow"), kRules);
  REQUIRE(shadow);
  CHECK(*shadow ==
        "rejected a record of kind file: before.backup /etc/shadow is not "
        "/var/lib/jmem/backup/extlinux.conf.t1");
  CHECK(whyRejected(
      fileRecord("/boot/extlinux/extlinux.conf", "/var/lib/jmem/backup/../../../etc/extlinux.conf.t1"),
      kRules));
  CHECK(whyRejected(fileRecord("/boot/extlinux/extlinux.conf", "/var/lib/jmem/backup/extlinux.conf.t2"),
                    kRules));
}

TEST_CASE("a record with a value of the wrong type is rejected, not reverted", "[compliance]") {
  const auto number = whyRejected(
      change("default_target", "default.target", {{"target", 5}}, {{"target", "multi-user.target"}}), kRules);
  REQUIRE(number);
  CHECK(*number == "rejected a record of kind default_target: before.target is not a string");
  const auto masked = whyRejected(
      change("global_user_mask", "pipewire.service", {{"masked", "no"}}, {{"masked", true}}), kRules);
  REQUIRE(masked);
  CHECK(*masked == "rejected a record of kind global_user_mask: before.masked is not true or false");
  CHECK(whyRejected(change("unit_file", "gdm3.service", json::object(), {{"action", "mask"}}), kRules));
  CHECK(whyRejected(change("unit_file", "gdm3.service", {{"unit_file_state", "enabled"}, {"extra", 1}},
                           {{"action", "mask"}}),
                    kRules));
}

TEST_CASE("a unit record must name one unit that a policy could change", "[compliance]") {
  const auto glob = whyRejected(
      change("unit_file", "*.service", {{"unit_file_state", "enabled"}}, {{"action", "mask"}}), kRules);
  REQUIRE(glob);
  CHECK(*glob == "rejected a record of kind unit_file: the target is not a unit name");
  CHECK(whyRejected(
      change("unit_file", "../../x.service", {{"unit_file_state", "enabled"}}, {{"action", "mask"}}),
      kRules));
  const auto essential = whyRejected(
      change("unit_active", "dbus.service", {{"active_state", "active"}}, {{"active_state", "inactive"}}),
      kRules);
  REQUIRE(essential);
  CHECK(
      *essential ==
      "rejected a record of kind unit_active: the target dbus.service is essential: no policy may change it");
  CHECK(whyRejected(
      change("unit_file", "gdm3.service", {{"unit_file_state", "enabled"}}, {{"action", "enable"}}), kRules));
  CHECK(whyRejected(change("default_target", "default.target", {{"target", "poweroff.service"}},
                           {{"target", "multi-user.target"}}),
                    kRules));
}

TEST_CASE("a record of a kind apply never writes is rejected", "[compliance]") {
  const auto why = whyRejected(change("exec", "/bin/sh", json::object(), json::object()), kRules);
  REQUIRE(why);
  CHECK(*why == "rejected a record of kind exec: an unknown kind exec");
}

TEST_CASE("records of this jmem carry what an exact revert needs, and those keys are checked",
          "[compliance]") {
  CHECK_FALSE(whyRejected(
      change("default_target", "default.target", {{"target", "graphical.target"}, {"etc_link", ""}},
             {{"target", "multi-user.target"}}),
      kRules));
  CHECK_FALSE(whyRejected(
      change("default_target", "default.target",
             {{"target", "graphical.target"}, {"etc_link", "/lib/systemd/system/graphical.target"}},
             {{"target", "multi-user.target"}}),
      kRules));
  CHECK(whyRejected(change("default_target", "default.target",
                           {{"target", "graphical.target"}, {"etc_link", "/etc/shadow"}},
                           {{"target", "multi-user.target"}}),
                    kRules));
  CHECK(whyRejected(
      change("default_target", "default.target", {{"target", "graphical.target"}, {"etc_link", true}},
             {{"target", "multi-user.target"}}),
      kRules));
  CHECK_FALSE(
      whyRejected(change("unit_file", "gdm3.service",
                         {{"unit_file_state", "enabled"}, {"active_state", "active"}}, {{"action", "mask"}}),
                  kRules));
  CHECK(whyRejected(change("unit_file", "gdm3.service",
                           {{"unit_file_state", "enabled"}, {"running", "active"}}, {{"action", "mask"}}),
                    kRules));
  Change file = fileRecord("/boot/extlinux/extlinux.conf", "/var/lib/jmem/backup/extlinux.conf.t1");
  file.after["label"] = "primary";
  CHECK_FALSE(whyRejected(file, kRules));
  file.after["label"] = 7;
  CHECK(whyRejected(file, kRules));
}
