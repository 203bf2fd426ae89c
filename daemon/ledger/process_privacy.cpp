#include "ledger/process_privacy.h"

#include <algorithm>

namespace jmem {

bool mayShowDetails(const ProcVisibility& visibility, const Caller& caller, uid_t process_uid) {
  return caller.uid == 0 || !visibility.hides_others || caller.in_exempt_gid || caller.uid == process_uid;
}

bool callerInExemptGid(const ProcVisibility& visibility, gid_t caller_gid,
                       std::span<const gid_t> supplementary) {
  if (!visibility.exempt_gid) return false;
  const gid_t exempt = *visibility.exempt_gid;
  return caller_gid == exempt ||
         std::find(supplementary.begin(), supplementary.end(), exempt) != supplementary.end();
}

std::vector<const LedgerProcess*> visibleProcesses(const std::vector<const LedgerProcess*>& ranked,
                                                   const ProcVisibility& visibility, const Caller& caller,
                                                   std::uint32_t limit) {
  std::vector<const LedgerProcess*> out;
  for (const LedgerProcess* process : ranked) {
    if (limit != 0 && out.size() == limit) break;
    if (mayShowDetails(visibility, caller, process->sample.uid)) out.push_back(process);
  }
  return out;
}

std::vector<pid_t> visiblePids(const LedgerUnit& unit, const Ledger& ledger, const ProcVisibility& visibility,
                               const Caller& caller) {
  std::vector<pid_t> out;
  out.reserve(unit.pids.size());
  for (const pid_t pid : unit.pids) {
    // The ledger's processes are in PID order.
    const auto at = std::lower_bound(
        ledger.processes.begin(), ledger.processes.end(), pid,
        [](const LedgerProcess& process, pid_t value) { return process.sample.pid < value; });
    if (at != ledger.processes.end() && at->sample.pid == pid &&
        mayShowDetails(visibility, caller, at->sample.uid))
      out.push_back(pid);
  }
  return out;
}

Result<ProcVisibility> readProcVisibility(const Roots& roots) {
  return readProcVisibility(roots.proc);
}

}  // namespace jmem
