#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "policy/policy.h"
#include "state/change_journal.h"

namespace jmem::throttle {

// Pure: why `change`, read back from the throttle's journal at start, is not an escalation jmemd could
// have made on a unit under `policy`, or nullopt when it is. A record that passes may be acted on (a
// release sets MemoryHigh back, sends SIGCONT, starts the unit), so it must name:
//   kind    memory_high, freeze or stop
//   target  the name of a .service or .scope unit the controller may act on (whyNotActedOn: not kept,
//           protected, essential, a slice or jmemd's own unit)
//   after   origin "pressure" (then a workload of the policy names the unit) or "operator"; boot_id a
//           string if present
//   and the keys of its rung's row (Rung::journal_before, journal_after), each with a value its rule
//   accepts: memory_high: memory_high_bytes a whole number or null, in before and after; freeze: a
//   method jmemd knows; stop (journal_needs_ladder): only under pressure.allow_stop, for a unit whose
//   workload has stop on its ladder
// and no other key.
std::optional<std::string> whyRejected(const Change& change, const policy::Policy& policy,
                                       std::string_view self_unit);

}  // namespace jmem::throttle
