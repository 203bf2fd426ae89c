#include "ctl/journal_reader.h"

#include <grp.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "state/event_log.h"
#include "system/journal_ptr.h"

namespace jmem::ctl {
namespace {

// As journalctl decides whether to hint: root, or a member of the groups journald lets read it all.
bool mayReadSystemJournal() {
  if (geteuid() == 0) return true;
  std::vector<gid_t> groups(static_cast<std::size_t>(std::max(getgroups(0, nullptr), 0)) + 1);
  const int count = getgroups(static_cast<int>(groups.size()), groups.data());
  groups.resize(count > 0 ? static_cast<std::size_t>(count) : 0);
  groups.push_back(getegid());
  for (const char* name : {"systemd-journal", "adm"}) {
    const group* g = getgrnam(name);
    if (g != nullptr && std::find(groups.begin(), groups.end(), g->gr_gid) != groups.end()) return true;
  }
  return false;
}

Status addMatch(sd_journal* journal, const std::string& match) {
  if (int r = sd_journal_add_match(journal, match.data(), match.size()); r < 0)
    return Error{"Failed to match " + match + " in the journal: " + std::strerror(-r)};
  return ok();
}

// Only what journald itself says came from jmemd.service running as root.
Status matchJmemd(sd_journal* journal) {
  if (auto added = addMatch(journal, std::string("_SYSTEMD_UNIT=") + kJmemdUnit); !added) return added;
  return addMatch(journal, "_UID=0");
}

std::map<std::string, std::string> fieldsOf(sd_journal* journal) {
  std::map<std::string, std::string> fields;
  const void* data = nullptr;
  size_t length = 0;
  // Not SD_JOURNAL_FOREACH_DATA: since systemd 246 it calls sd_journal_enumerate_available_data, which
  // JetPack 5's libsystemd (245) does not have.
  sd_journal_restart_data(journal);
  while (sd_journal_enumerate_data(journal, &data, &length) > 0) {
    const std::string_view text(static_cast<const char*>(data), length);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = text.substr(0, equals);
    if (name == "MESSAGE" || name == "PRIORITY" || name.starts_with("JMEM_"))
      fields.emplace(name, text.substr(equals + 1));
  }
  std::uint64_t usec = 0;
  if (sd_journal_get_realtime_usec(journal, &usec) >= 0)
    fields["__REALTIME_TIMESTAMP"] = std::to_string(usec);
  return fields;
}

}  // namespace

Result<JournalEvents> readJournalEvents(std::uint64_t since_usec) {
  JournalEvents out;
  out.reach.readable = mayReadSystemJournal();
  sd_journal* raw = nullptr;
  if (int r = sd_journal_open(&raw, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM); r < 0)
    return Error{std::string("Failed to open the system journal: ") + std::strerror(-r)};
  const JournalPtr journal(raw);
  // Values of up to 64 KiB: a message is never cut where jmemd wrote it whole.
  sd_journal_set_data_threshold(journal.get(), 64 * 1024);

  // jmemd's events: one match per kind, OR-ed by journald, AND-ed with the unit and uid. How far back
  // they reach is where the change journals stop filling in: a jmemd from before these events left
  // other entries, which are no history of this kind.
  if (auto matched = matchJmemd(journal.get()); !matched) return matched.error();
  for (const std::string_view kind : event::kKinds) {
    if (auto added = addMatch(journal.get(), "JMEM_EVENT=" + std::string(kind)); !added) return added.error();
  }
  if (sd_journal_seek_head(journal.get()) >= 0 && sd_journal_next(journal.get()) > 0) {
    std::uint64_t usec = 0;
    if (sd_journal_get_realtime_usec(journal.get(), &usec) >= 0) out.reach.oldest_entry_usec = usec;
  }
  // A caller outside the groups may still read it (an ACL): what was read decides.
  if (out.reach.oldest_entry_usec) out.reach.readable = true;
  if (int r = sd_journal_seek_realtime_usec(journal.get(), since_usec); r < 0)
    return Error{std::string("Failed to seek in the journal: ") + std::strerror(-r)};
  while (true) {
    const int r = sd_journal_next(journal.get());
    if (r < 0) return Error{std::string("Failed to read the journal: ") + std::strerror(-r)};
    if (r == 0) break;
    if (auto entry = entryOfJournal(fieldsOf(journal.get()))) out.entries.push_back(std::move(*entry));
  }
  return out;
}

}  // namespace jmem::ctl
