#pragma once

#include <cstdint>
#include <string>

#include "bus/bus_record.h"

namespace jmem {

// Check's items: one thing the policy asks for, against what was observed.
struct CheckItemRecord {
  std::string kind, subject, policy_class, expected, actual;
  std::string state;             // ok, drift, unknown, not applicable, reboot pending
  std::string where;             // file:line:column of the policy's rule
  std::uint64_t cost_bytes = 0;  // what the drift costs now: PSS + NvMap of the unit's processes
  friend bool operator==(const CheckItemRecord&, const CheckItemRecord&) = default;
};

// Plan's changes: what Apply would do, in order.
struct PlanChangeRecord {
  std::string action, subject, before, after;
  std::uint64_t bytes_back = 0;  // expected back once it is made
  friend bool operator==(const PlanChangeRecord&, const PlanChangeRecord&) = default;
};

// Apply's and Revert's results: one change made, or why not.
struct ChangeResultRecord {
  std::string kind, target, detail;
  bool ok = false;
  friend bool operator==(const ChangeResultRecord&, const ChangeResultRecord&) = default;
};

// GetChanges: a change as one of jmemd's journals holds it (state/change_journal.h).
struct JournalChangeRecord {
  std::string journal;  // compliance or throttle
  std::uint64_t seq = 0;
  std::string txn;
  std::string kind;
  std::string target;
  std::string state;   // intent, done, failed, reverted
  std::string before;  // flat JSON objects, as text
  std::string after;
  std::uint64_t intent_time_usec = 0;  // CLOCK_REALTIME
  std::uint64_t state_time_usec = 0;
  friend bool operator==(const JournalChangeRecord&, const JournalChangeRecord&) = default;
};

BusRecord encodeCheckItem(const CheckItemRecord& item);
CheckItemRecord decodeCheckItem(const BusRecord& record);
BusRecord encodePlanChange(const PlanChangeRecord& change);
PlanChangeRecord decodePlanChange(const BusRecord& record);
BusRecord encodeChangeResult(const ChangeResultRecord& result);
ChangeResultRecord decodeChangeResult(const BusRecord& record);
BusRecord encodeJournalChange(const JournalChangeRecord& change);
JournalChangeRecord decodeJournalChange(const BusRecord& record);

}  // namespace jmem
