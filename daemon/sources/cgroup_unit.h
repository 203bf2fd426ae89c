#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace jmem {

// The manager of system units, as UnitPlacement::manager names it. A user manager is named by its
// own unit instead: "user@1000.service".
inline constexpr std::string_view kSystemManager = "system";

inline bool isSystemManager(std::string_view manager) {
  return manager == kSystemManager;
}

// Where a process sits in systemd's tree, derived from its cgroup path.
struct UnitPlacement {
  std::string unit;     // innermost unit: "ssh.service", "session-2.scope", "pulseaudio.service"
  std::string slice;    // the slice that holds it: "system.slice", "user-1000.slice", "app.slice"
  std::string manager;  // kSystemManager, or the user manager's unit ("user@1000.service") for user units
};

// The systemd cgroup path of /proc/PID/cgroup: the name=systemd hierarchy on cgroup v1 and hybrid
// systems (JetPack 5), the "0::" line on cgroup v2 (JetPack 6). nullopt when neither is present.
std::optional<std::string_view> systemdCgroupPath(std::string_view proc_pid_cgroup);

// Maps a cgroup path to its unit the way systemd does: slices are skipped, the first unit below them
// is the system unit; inside user@UID.service the same rule finds the user unit. A path with no unit
// ("/", or only slices) belongs to its innermost slice, "-.slice" at the root.
UnitPlacement placementFromCgroupPath(std::string_view cgroup_path);

// The unit of the process reading proc_root/self/cgroup ("jmemd.service"); empty when it cannot be told.
std::string readOwnUnit(const std::filesystem::path& proc_root);

// systemd's unit naming rules: [A-Za-z0-9:_.\\@-], at most 255 bytes, a known type suffix.
bool isValidUnitName(std::string_view name);

}  // namespace jmem
