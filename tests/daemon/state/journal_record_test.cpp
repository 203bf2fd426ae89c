#include "state/journal_record.h"

#include <catch2/catch.hpp>

using namespace jmem;
using nlohmann::json;

namespace {

json goodRecord() {
  return json{{"seq", 7},
              {"txn", "1700000000000000-0badcafe"},
              {"state", "done"},
              {"kind", "unit_file"},
              {"target", "gdm3.service"},
              {"before", {{"unit_file_state", "enabled"}}},
              {"after", {{"action", "mask"}}},
              {"time_usec", 1700000000000000u}};
}

// Why the record, changed by `edit`, is no record.
std::string whyNot(const std::function<void(json&)>& edit) {
  json record = goodRecord();
  edit(record);
  const auto parsed = parseJournalRecord(record.dump());
  REQUIRE_FALSE(parsed.ok());
  return parsed.error().message;
}

}  // namespace

TEST_CASE("a record jmemd writes reads back as it was, seq and state first", "[state]") {
  JournalRecord record{3,
                       "t1",
                       ChangeState::kReverted,
                       "file",
                       "/boot/extlinux/extlinux.conf",
                       json{{"backup", "/var/lib/jmem/backup/extlinux.conf.t1"}, {"append", "quiet"}},
                       json{{"append", "quiet swiotlb=65536"}},
                       42};
  const auto line = formatJournalRecord(record);
  REQUIRE(line.ok());
  CHECK(line->rfind("{\"seq\":3,\"txn\":\"t1\",\"state\":\"reverted\",", 0) == 0);
  CHECK(line->back() == '\n');
  const auto back = parseJournalRecord(line->substr(0, line->size() - 1));
  REQUIRE(back.ok());
  CHECK(back->seq == 3);
  CHECK(back->state == ChangeState::kReverted);
  CHECK(back->target == record.target);
  CHECK(back->before == record.before);
  CHECK(back->after == record.after);
  CHECK(back->time_usec == 42);
}

TEST_CASE("a record of the wrong type in any field is no record, and says which", "[state]") {
  CHECK(parseJournalRecord(goodRecord().dump()).ok());
  CHECK(parseJournalRecord("[1,2]").error().message == "not a JSON object");
  CHECK(parseJournalRecord("{\"seq\":").error().message == "not a JSON object");
  CHECK(whyNot([](json& r) { r["seq"] = "7"; }) ==
        "\"seq\" is not a whole number from 1 to 9007199254740992");
  CHECK(whyNot([](json& r) { r["seq"] = 0; }) == "\"seq\" is not a whole number from 1 to 9007199254740992");
  CHECK(whyNot([](json& r) { r["seq"] = -1; }) == "\"seq\" is not a whole number from 1 to 9007199254740992");
  CHECK(whyNot([](json& r) { r["seq"] = (std::uint64_t{1} << 53) + 1; }) ==
        "\"seq\" is not a whole number from 1 to 9007199254740992");
  CHECK(whyNot([](json& r) { r["seq"] = 1.5; }) ==
        "\"seq\" is not a whole number from 1 to 9007199254740992");
  CHECK(whyNot([](json& r) { r["txn"] = "../../etc"; }) == "\"txn\" is not 1 to 64 of A-Z a-z 0-9 . _ -");
  CHECK(whyNot([](json& r) { r["txn"] = 5; }) == "\"txn\" is not 1 to 64 of A-Z a-z 0-9 . _ -");
  CHECK(whyNot([](json& r) { r["state"] = "Done"; }) == "\"state\" is not intent, done, failed or reverted");
  CHECK(whyNot([](json& r) { r["kind"] = "Unit-File"; }) == "\"kind\" is not 1 to 32 of a-z _");
  CHECK(whyNot([](json& r) { r["target"] = "a\x1b[2Jb"; }) == "\"target\" is not a short line of text");
  CHECK(whyNot([](json& r) { r["target"] = ""; }) == "\"target\" is not a short line of text");
  CHECK(whyNot([](json& r) { r["target"] = json::array(); }) == "\"target\" is not a short line of text");
  CHECK(whyNot([](json& r) { r["before"] = "enabled"; }) == "\"before\" is not an object");
  CHECK(whyNot([](json& r) {
          r["after"]["nested"] = json{{"a", 1}};
        }) == "\"after\".nested is not a plain value");
  CHECK(whyNot([](json& r) { r["before"]["list"] = json::array({1}); }) ==
        "\"before\".list is not a plain value");
  CHECK(whyNot([](json& r) { r["before"]["Key"] = 1; }) == "\"before\" has a key \"Key\"");
  CHECK(whyNot([](json& r) { r["time_usec"] = "now"; }) == "\"time_usec\" is not a whole number");
  CHECK(whyNot([](json& r) { r.erase("after"); }) == "no \"after\"");
  CHECK(whyNot([](json& r) { r["extra"] = 1; }) == "an unknown key \"extra\"");
  CHECK(whyNot([](json& r) { r["\x1b]0;x\x07"] = 1; }) == "an unknown key \"?]0;x?\"");  // printable
}

TEST_CASE("a flat object may hold at most 16 keys", "[state]") {
  CHECK(whyNot([](json& r) {
          for (int i = 0; i < 17; ++i) r["before"][std::string(1, static_cast<char>('a' + i))] = i;
        }) == "\"before\" has more than 16 keys");
}

TEST_CASE("a record that would not read back is never written", "[state]") {
  JournalRecord nested{
      1, "t1", ChangeState::kIntent, "unit_file", "a.service", json{{"a", json{{"b", 1}}}}, json::object(),
      1};
  const auto refused = formatJournalRecord(nested);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message == "\"before\".a is not a plain value");
  JournalRecord not_utf8{
      1, "t1", ChangeState::kIntent, "unit_file", "a\xff.service", json::object(), json::object(), 1};
  REQUIRE_FALSE(formatJournalRecord(not_utf8).ok());
}
