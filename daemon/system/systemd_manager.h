#pragma once

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/Types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "system/desktop_units.h"

namespace jmem {

// What GetUnitFileState's answer is replaced with when no unit file of that name exists.
inline constexpr std::string_view kUnitFileNotFound = "not-found";

// One line of what systemd reports after changing unit files: the a(sss) of MaskUnitFiles and its
// siblings. type is "symlink", "unlink", ...; destination is empty for "unlink".
struct UnitFileChange {
  std::string type;
  std::string file;
  std::string destination;
};
using UnitFileChanges = std::vector<UnitFileChange>;

struct EnableResult {
  bool carries_install_info = false;  // false: the unit has no [Install] section, nothing was enabled
  UnitFileChanges changes;
};

// A unit as the manager has it loaded (LoadUnit, then org.freedesktop.systemd1.Unit's properties).
struct UnitState {
  std::string object_path;
  std::string load_state;           // loaded, not-found, masked, error, ...
  std::string active_state;         // active, inactive, failed, activating, deactivating, ...
  std::string sub_state;            // running, dead, listening, ...
  std::string unit_file_state;      // enabled, disabled, masked, static, "" when there is no unit file
  bool need_daemon_reload = false;  // the unit files changed on disk since the manager loaded them
};

// One unit file of ListUnitFilesByPatterns: its path and its state.
struct UnitFileEntry {
  std::string path;
  std::string name;  // the path's last component
  std::string state;
};

// A job queued by StartUnit or StopUnit. When waited for, `finished` says the job object was gone before
// the deadline and `unit` holds the unit's state read afterwards (its ActiveState tells done from
// failed: polling cannot see the job's own result).
struct JobOutcome {
  std::string job_path;
  bool finished = false;
  std::optional<UnitState> unit;
};

struct SystemdManagerOptions {
  std::chrono::microseconds call_timeout = std::chrono::seconds(25);  // sd-bus's default
  // systemctl daemon-reload waits this long: a reload re-reads every unit file and runs the generators.
  std::chrono::microseconds reload_timeout = std::chrono::minutes(6);
};

// A thin client of systemd's manager (org.freedesktop.systemd1) over a bus connection that the caller
// owns and drives. Every call is synchronous. Errors are values: the D-Bus error becomes an Error whose
// message reads "Failed to mask gdm3.service: <systemd's message>" and whose errno_value is the errno
// libsystemd maps the error name to (ENOENT for FileNotFound and NoSuchUnit, ERFKILL for UnitMasked,
// EACCES for AccessDenied, ...); a name it does not know (EIO) is appended to the message.
//
// Changing unit files does not make the manager reload them: call reload() afterwards, as systemctl
// does, before starting or stopping what changed.
class SystemdManager {
 public:
  explicit SystemdManager(sdbus::IConnection& connection, SystemdManagerOptions options = {})
      : connection_(&connection), options_(options) {}
  // The same manager over another connection (the old one was lost).
  void rebind(sdbus::IConnection& connection) { connection_ = &connection; }

  // systemd's version as the manager gives it ("245.4-4ubuntu3", "252.36-1~deb12u1").
  Result<std::string> version();
  Result<std::string> defaultTarget();
  Result<UnitFileChanges> setDefaultTarget(const std::string& target);  // force: replaces default.target

  // enabled, disabled, masked, static, alias, indirect, generated, ...; kUnitFileNotFound when no unit
  // file of that name exists.
  // Read from disk on every call: the truth about unit files.
  Result<std::string> unitFileState(const std::string& name);
  // The manager's loaded view (LoadUnit loads a unit it does not have). Until reload(), its
  // unit_file_state is what it was at the last load, and systemd 252 does not flag a mask added since
  // (need_daemon_reload stays false): read unit files through unitFileState().
  Result<UnitState> unitState(const std::string& name);

  // Persistent (/etc, not /run). Masking is forced (replaces a symlink, never a file: a unit file
  // written into /etc/systemd/system cannot be masked) and succeeds for a name without a unit file.
  Result<UnitFileChanges> maskUnitFiles(const std::vector<std::string>& names);
  Result<UnitFileChanges> unmaskUnitFiles(const std::vector<std::string>& names);
  Result<EnableResult> enableUnitFiles(const std::vector<std::string>& names);
  // Removes every symlink that the [Install] sections name, including those of Also= units.
  Result<UnitFileChanges> disableUnitFiles(const std::vector<std::string>& names);

  // The unit a name resolves to and what starting it pulls in (LoadUnit: loads a unit it does not have).
  Result<UnitDependencies> unitDependencies(const std::string& name);

  // Unit files whose state is one of `states` (all when empty) and whose name matches one of the
  // shell globs in `patterns` (all when empty).
  Result<std::vector<UnitFileEntry>> listUnitFilesByPatterns(const std::vector<std::string>& states,
                                                             const std::vector<std::string>& patterns);

  // Queues the job (mode "replace", "fail", ...). With `wait`, polls the job object until it is gone
  // or the time is up, blocking the caller meanwhile; running out of time is an error (ETIMEDOUT) and
  // the job keeps running. Stopping a unit that is not loaded is an error (ENOENT), as with systemctl.
  Result<JobOutcome> startUnit(const std::string& name, std::optional<std::chrono::milliseconds> wait = {},
                               const std::string& mode = "replace");
  Result<JobOutcome> stopUnit(const std::string& name, std::optional<std::chrono::milliseconds> wait = {},
                              const std::string& mode = "replace");

  // daemon-reload. systemd answers once the reload is complete.
  Status reload();

 private:
  Result<JobOutcome> queueJob(const char* method, const char* verb, const std::string& name,
                              std::optional<std::chrono::milliseconds> wait, const std::string& mode);
  Result<bool> jobExists(const std::string& job_path);
  // LoadUnit, then the unit's properties; throws sdbus::Error (callers run it guarded).
  struct LoadedUnit {
    sdbus::ObjectPath path;
    std::map<std::string, sdbus::Variant> properties;
  };
  LoadedUnit loadUnit(const std::string& name);

  sdbus::IConnection* connection_;
  SystemdManagerOptions options_;
};

}  // namespace jmem
