#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bus/compliance_records.h"
#include "ctl/commands.h"

namespace jmem::ctl {

// One thing jmem did or decided, as `jmemctl log` shows it.
struct LogEntry {
  std::uint64_t time_usec = 0;  // CLOCK_REALTIME
  std::string event;            // as JMEM_EVENT (state/event_log.h): action, change, apply, verdict...
  std::string unit;             // the unit it is about, or what a change applies to; "" for none
  std::string what;             // the action or change kind: freeze, unit_file...; "" for none
  std::string origin;           // pressure, operator, enforce, shutdown; "" for none
  std::string caller_uid;       // who asked, as the bus said; "" for none
  std::string result;           // done, failed, reverted, or the verdict; "" for none
  std::string message;
  int priority = 6;
  std::string source;  // "journal": the system journal; "changes": one of jmemd's change journals
};

// Pure: an entry of the system journal, by field name, as the log's entry; none for one that is no
// event of jmemd's (state/event_log.h). Times from __REALTIME_TIMESTAMP.
std::optional<LogEntry> entryOfJournal(const std::map<std::string, std::string>& fields);

// Pure: what the change journals hold, as entries: each change when it was made (done, failed, or
// "intent" when its outcome was never recorded) and, when reverted, when it was reverted.
std::vector<LogEntry> entriesOfChanges(const std::vector<JournalChangeRecord>& changes);

// What the system journal held of jmemd when read.
struct JournalReach {
  bool readable = false;                           // the caller may read the system journal
  std::optional<std::uint64_t> oldest_entry_usec;  // of jmemd's events; none when it holds none
};

struct LogQuery {
  std::uint64_t since_usec = 0;
  std::string unit;         // "": every unit
  std::uint32_t lines = 0;  // the newest N; 0: all
};

// Pure: one history, oldest first. The system journal is the record where it reaches; jmemd's change
// journals fill in before its oldest entry of jmemd (a volatile journal lost at reboot, one rotated
// away), or wholly where it cannot be read. Then `query`.
std::vector<LogEntry> mergeHistory(std::vector<LogEntry> journal, const std::vector<LogEntry>& changes,
                                   const JournalReach& reach, const LogQuery& query);

std::string renderLog(const std::vector<LogEntry>& entries, const Style& style);
Json renderLogJson(const std::vector<LogEntry>& entries);

}  // namespace jmem::ctl
