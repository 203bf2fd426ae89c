#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"
#include "ctl/history.h"

namespace jmem::ctl {

// The unit whose entries count: journald sets _SYSTEMD_UNIT and _UID itself, so an entry that claims
// JMEM_EVENT from anywhere else (anyone may write such fields) is not jmem's history.
inline constexpr const char* kJmemdUnit = "jmemd.service";

struct JournalEvents {
  std::vector<LogEntry> entries;
  JournalReach reach;
};

// jmemd's events in the local system journal since `since_usec`, oldest first, and how far back the
// journal holds jmemd's entries at all. Unreadable (reach.readable false) for a caller who may not read
// it: journald gives those only their own entries.
Result<JournalEvents> readJournalEvents(std::uint64_t since_usec);

}  // namespace jmem::ctl
