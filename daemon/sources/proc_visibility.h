#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace jmem {

// What the proc mount lets an unprivileged user see of other users' processes (proc(5): hidepid=,
// gid=). jmemd reads every process as root; it should not show a caller more than /proc would.
struct ProcVisibility {
  bool hides_others = false;        // hidepid=1/noaccess, 2/invisible, 4/ptraceable, or a value not known
  std::optional<gid_t> exempt_gid;  // gid=: members see every process, as without hidepid
  // hidepid= by its name since 5.8: "off" (also when absent), "noaccess", "invisible", "ptraceable",
  // or "unknown" for a value this parser does not know.
  std::string_view hidepid = "off";
};

// The mount at `mount_point` in /proc/PID/mountinfo text: the last line for it (a later mount hides an
// earlier one at the same place). An error when no line is for it, or when what is mounted there is
// not procfs. `subset=pid` hides /proc's other files, not other users' processes: it changes nothing.
Result<ProcVisibility> parseProcVisibility(std::string_view mountinfo, std::string_view mount_point);

// Reads `proc_root`/1/mountinfo (what users see), else self/mountinfo (a captured tree), and finds the proc
// mount at proc_root, or at /proc in a tree captured elsewhere. On an error, a caller should hide (fail
// closed).
Result<ProcVisibility> readProcVisibility(const std::filesystem::path& proc_root);

}  // namespace jmem
