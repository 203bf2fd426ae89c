#include "ctl/history.h"

#include <catch2/catch.hpp>

using namespace jmem;
using namespace jmem::ctl;

namespace {

std::map<std::string, std::string> actionFields(std::uint64_t usec, const std::string& unit) {
  return {{"__REALTIME_TIMESTAMP", std::to_string(usec)},
          {"MESSAGE", "PSI some 12% for 5 s: froze " + unit},
          {"PRIORITY", "4"},
          {"JMEM_EVENT", "action"},
          {"JMEM_ACTION", "freeze"},
          {"JMEM_UNIT", unit},
          {"JMEM_ORIGIN", "pressure"},
          {"JMEM_RESULT", "done"}};
}

JournalChangeRecord maskChange(std::uint64_t intent, std::uint64_t state_time, const std::string& state) {
  return {"compliance",
          1,
          "t1",
          "unit_file",
          "gdm3.service",
          state,
          R"({"unit_file_state":"enabled"})",
          R"({"unit_file_state":"masked"})",
          intent,
          state_time};
}

LogEntry at(std::uint64_t usec, const std::string& unit, const std::string& source = "journal") {
  LogEntry e;
  e.time_usec = usec;
  e.event = "action";
  e.unit = unit;
  e.source = source;
  return e;
}

}  // namespace

TEST_CASE("a journal entry of jmemd reads as a log entry; one without JMEM_EVENT is none", "[ctl]") {
  const auto entry = entryOfJournal(actionFields(5000, "batch.service"));
  REQUIRE(entry);
  CHECK(entry->time_usec == 5000);
  CHECK(entry->what == "freeze");
  CHECK(entry->unit == "batch.service");
  CHECK(entry->origin == "pressure");
  CHECK(entry->result == "done");
  CHECK(entry->priority == 4);
  auto plain = actionFields(5000, "batch.service");
  plain.erase("JMEM_EVENT");
  CHECK_FALSE(entryOfJournal(plain));
  auto undated = actionFields(5000, "batch.service");
  undated["__REALTIME_TIMESTAMP"] = "soon";
  CHECK_FALSE(entryOfJournal(undated));
}

TEST_CASE("a reverted change is two entries: when it was made and when it was undone", "[ctl]") {
  const auto entries = entriesOfChanges({maskChange(1000, 9000, "reverted")});
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].time_usec == 1000);
  CHECK(entries[0].result == "done");
  CHECK(entries[0].message == "unit_file gdm3.service: unit_file_state=enabled -> unit_file_state=masked");
  CHECK(entries[1].time_usec == 9000);
  CHECK(entries[1].result == "reverted");
  CHECK(entries[0].source == "changes");
  const auto unsure = entriesOfChanges({maskChange(1000, 1000, "intent")});
  REQUIRE(unsure.size() == 1);
  CHECK(unsure[0].result == "intent");
}

TEST_CASE("the throttle's changes say their origin from what the journal recorded", "[ctl]") {
  JournalChangeRecord freeze{"throttle",
                             3,
                             "t",
                             "freeze",
                             "batch.service",
                             "done",
                             "{}",
                             R"({"origin":"operator","method":"cgroup-freezer"})",
                             10,
                             10};
  CHECK(entriesOfChanges({freeze})[0].origin == "operator");
}

TEST_CASE("the change journals fill in only before the system journal's first entry of jmemd", "[ctl]") {
  const std::vector<LogEntry> journal = {at(5000, "a.service"), at(7000, "b.service")};
  const std::vector<LogEntry> changes = {at(1000, "old.service", "changes"),
                                         at(6000, "a.service", "changes")};
  const auto merged = mergeHistory(journal, changes, {true, 4000}, {});
  REQUIRE(merged.size() == 3);
  CHECK(merged[0].unit == "old.service");
  CHECK(merged[0].source == "changes");
  CHECK(merged[1].time_usec == 5000);
  CHECK(merged[2].time_usec == 7000);
  // Where the system journal cannot be read, or holds nothing of jmemd, the change journals are all.
  CHECK(mergeHistory({}, changes, {false, std::nullopt}, {}).size() == 2);
  CHECK(mergeHistory({}, changes, {true, std::nullopt}, {}).size() == 2);
}

TEST_CASE("the log keeps what is since the time asked, of the unit asked, the newest N", "[ctl]") {
  const std::vector<LogEntry> journal = {at(1000, "a.service"), at(2000, "b.service"), at(3000, "a.service"),
                                         at(4000, "a.service")};
  CHECK(mergeHistory(journal, {}, {true, 1000}, {2500, "", 0}).size() == 2);
  const auto of_a = mergeHistory(journal, {}, {true, 1000}, {0, "a.service", 2});
  REQUIRE(of_a.size() == 2);
  CHECK(of_a[0].time_usec == 3000);
  CHECK(of_a[1].time_usec == 4000);
}

TEST_CASE("the log's table shows a hostile unit name and message escaped, never raw", "[ctl]") {
  LogEntry e = at(1000, "evil\x1b[2J.service");
  e.message = "line one\nline two\x07";
  e.caller_uid = "1000";
  e.origin = "operator";
  Style style;
  style.user_name = [](std::uint32_t uid) {
    return uid == 1000 ? std::string("robot") : std::to_string(uid);
  };
  const std::string table = renderLog({e}, style);
  CHECK(table.find('\x1b') == std::string::npos);
  CHECK(table.find('\x07') == std::string::npos);
  CHECK(table.find("line one\\nline two") != std::string::npos);
  CHECK(table.find("operator robot") != std::string::npos);
  const Json json = renderLogJson({e});
  CHECK(json[0]["caller_uid"] == "1000");
  CHECK(json[0]["source"] == "journal");
}
