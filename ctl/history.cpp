// `jmemctl log`: jmem's history from the system journal and its change journals, merged and shown.
#include "ctl/history.h"

#include <algorithm>
#include <charconv>

#include "core/clock.h"
#include "core/text.h"
#include "ctl/table.h"

namespace jmem::ctl {
namespace {

std::string field(const std::map<std::string, std::string>& fields, const char* name) {
  const auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

std::string firstOf(const std::map<std::string, std::string>& fields,
                    std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (auto value = field(fields, name); !value.empty()) return value;
  }
  return {};
}

// A flat JSON object as "key=value, key=value"; the text itself when it is not one.
std::string flatObjectText(const std::string& text) {
  const auto object = Json::parse(text, nullptr, false);
  if (!object.is_object()) return text;
  std::string out;
  for (const auto& [key, value] : object.items()) {
    if (!out.empty()) out += ", ";
    out += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out.empty() ? "-" : out;
}

std::string originOf(const JournalChangeRecord& change) {
  const auto after = Json::parse(change.after, nullptr, false);
  if (!after.is_object()) return {};
  const auto origin = after.find("origin");
  return origin != after.end() && origin->is_string() ? origin->get<std::string>() : std::string();
}

std::string byText(const LogEntry& e, const Style& style) {
  std::string by = e.origin;
  if (!e.caller_uid.empty()) {
    std::uint32_t uid = 0;
    const auto [end, error] =
        std::from_chars(e.caller_uid.data(), e.caller_uid.data() + e.caller_uid.size(), uid);
    const bool number = error == std::errc() && end == e.caller_uid.data() + e.caller_uid.size();
    by += (by.empty() ? "" : " ") + (number && style.user_name ? style.user_name(uid) : e.caller_uid);
  }
  return by;
}

std::string resultCell(const LogEntry& e, const Style& style) {
  const std::string result = terminalSafe(e.result);
  if (e.result == "failed" || e.priority <= 3) return paint(style, "31", result);
  if (e.result == "drift" || e.result == "intent" || e.priority == 4) return paint(style, "33", result);
  return result;
}

}  // namespace

std::optional<LogEntry> entryOfJournal(const std::map<std::string, std::string>& fields) {
  LogEntry e;
  e.event = field(fields, "JMEM_EVENT");
  if (e.event.empty()) return std::nullopt;
  const std::string time = field(fields, "__REALTIME_TIMESTAMP");
  if (std::from_chars(time.data(), time.data() + time.size(), e.time_usec).ec != std::errc())
    return std::nullopt;
  e.unit = firstOf(fields, {"JMEM_UNIT", "JMEM_TARGET"});
  e.what = firstOf(fields, {"JMEM_ACTION", "JMEM_KIND"});
  e.origin = field(fields, "JMEM_ORIGIN");
  e.caller_uid = field(fields, "JMEM_CALLER_UID");
  e.result = firstOf(fields, {"JMEM_RESULT", "JMEM_VERDICT", "JMEM_MODE"});
  e.message = field(fields, "MESSAGE");
  const std::string priority = field(fields, "PRIORITY");
  std::from_chars(priority.data(), priority.data() + priority.size(), e.priority);
  e.source = "journal";
  return e;
}

std::vector<LogEntry> entriesOfChanges(const std::vector<JournalChangeRecord>& changes) {
  std::vector<LogEntry> entries;
  for (const JournalChangeRecord& c : changes) {
    LogEntry made;
    made.time_usec = c.intent_time_usec;
    made.event = "change";
    made.unit = c.target;
    made.what = c.kind;
    made.origin = originOf(c);
    made.result = c.state == "failed" ? "failed" : c.state == "intent" ? "intent" : "done";
    made.priority = c.state == "failed" ? 3 : c.state == "intent" ? 4 : 5;
    made.message =
        c.kind + " " + c.target + ": " + flatObjectText(c.before) + " -> " + flatObjectText(c.after);
    if (c.state == "intent") made.message += " (its outcome was never recorded)";
    made.source = "changes";
    entries.push_back(made);
    if (c.state != "reverted") continue;
    LogEntry reverted = made;
    reverted.time_usec = c.state_time_usec;
    reverted.result = "reverted";
    reverted.message = c.kind + " " + c.target + " back to " + flatObjectText(c.before);
    entries.push_back(std::move(reverted));
  }
  return entries;
}

std::vector<LogEntry> mergeHistory(std::vector<LogEntry> journal, const std::vector<LogEntry>& changes,
                                   const JournalReach& reach, const LogQuery& query) {
  const bool covered = reach.readable && reach.oldest_entry_usec.has_value();
  for (const LogEntry& e : changes) {
    if (!covered || e.time_usec < *reach.oldest_entry_usec) journal.push_back(e);
  }
  std::erase_if(journal, [&](const LogEntry& e) {
    return e.time_usec < query.since_usec || (!query.unit.empty() && e.unit != query.unit);
  });
  std::stable_sort(journal.begin(), journal.end(),
                   [](const LogEntry& a, const LogEntry& b) { return a.time_usec < b.time_usec; });
  if (query.lines > 0 && journal.size() > query.lines)
    journal.erase(journal.begin(), journal.end() - query.lines);
  return journal;
}

std::string renderLog(const std::vector<LogEntry>& entries, const Style& style) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(entries.size());
  for (const LogEntry& e : entries) {
    const std::string by = byText(e, style);
    rows.push_back(
        {localDateTime(e.time_usec), terminalSafe(e.what.empty() ? e.event : e.event + " " + e.what),
         terminalSafe(e.unit.empty() ? "-" : e.unit), e.result.empty() ? "-" : resultCell(e, style),
         terminalSafe(by.empty() ? "-" : by), terminalSafe(e.message)});
  }
  return renderTable({{"TIME"}, {"EVENT"}, {"UNIT"}, {"RESULT"}, {"BY"}, {"MESSAGE"}}, rows, style.legend);
}

Json renderLogJson(const std::vector<LogEntry>& entries) {
  Json out = Json::array();
  for (const LogEntry& e : entries) {
    out.push_back(Json{{"time_usec", e.time_usec},
                       {"time", localDateTime(e.time_usec)},
                       {"event", e.event},
                       {"unit", e.unit},
                       {"what", e.what},
                       {"origin", e.origin},
                       {"caller_uid", e.caller_uid},
                       {"result", e.result},
                       {"priority", e.priority},
                       {"message", e.message},
                       {"source", e.source}});
  }
  return out;
}

}  // namespace jmem::ctl
