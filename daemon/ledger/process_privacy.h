#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "ledger/ledger.h"
#include "sources/proc_visibility.h"
#include "sources/system_figures.h"

namespace jmem {

// Who asks, as the bus knows the caller.
struct Caller {
  uid_t uid = 0;
  bool in_exempt_gid = false;  // a member of the proc mount's gid= group (see callerInExemptGid)
};

// Whether a caller may see a process's details (command line, name, PID, its memory by process), as
// /proc would let it: root always; anyone where /proc hides nothing; a member of the exempt group;
// otherwise only the owner (the process's real UID). Totals are not details: they are always shown.
bool mayShowDetails(const ProcVisibility& visibility, const Caller& caller, uid_t process_uid);

// Whether the caller's primary or a supplementary group is the mount's gid= (the kernel's in_group_p).
bool callerInExemptGid(const ProcVisibility& visibility, gid_t caller_gid,
                       std::span<const gid_t> supplementary);

// A ranked list with what the caller may not see left out, order kept, then cut to `limit` (0: no
// limit). Rank with topProcesses(ledger, key, 0) first, so that hidden processes do not take places.
std::vector<const LedgerProcess*> visibleProcesses(const std::vector<const LedgerProcess*>& ranked,
                                                   const ProcVisibility& visibility, const Caller& caller,
                                                   std::uint32_t limit = 0);

// A unit's PIDs the caller may see. A PID that is no process of the ledger has no known owner: left out.
std::vector<pid_t> visiblePids(const LedgerUnit& unit, const Ledger& ledger, const ProcVisibility& visibility,
                               const Caller& caller);

// The proc mount's visibility under roots.proc (its self/mountinfo). On an error the caller should
// hide others' details (fail closed) and say why once.
Result<ProcVisibility> readProcVisibility(const Roots& roots);

}  // namespace jmem
