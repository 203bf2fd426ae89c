#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "sources/cgroup_unit.h"

namespace jmem {

// What runs because the default target is graphical, and would not under multi-user.target.
struct DesktopUnits {
  std::set<std::string> system_units;    // graphical.target pulls them in, multi-user.target does not
  std::set<std::string> session_scopes;  // of graphical sessions (x11, wayland, mir) and of greeters
  std::set<std::string> user_managers;   // user@UID.service of users whose every session is graphical
  // Of users who also have a session that is not graphical (ssh): their user manager outlives the
  // desktop, so only its desktop programs count.
  std::set<std::string> shared_user_managers;
};

// A unit as systemd resolves a name (an alias such as display-manager.service names gdm3.service), and
// the units starting it pulls in: Wants=, Requires=, BindsTo= and Upholds=.
struct UnitDependencies {
  std::string id;
  std::vector<std::string> pulls;
};
using DependencyLookup = std::function<Result<UnitDependencies>(const std::string& name)>;

// Every unit `target` pulls in, itself included, by id. At most `max_units`: past it, an error, since a
// closure cut short would put the rest of a target's units on the wrong side.
Result<std::set<std::string>> pulledInBy(const std::string& target, const DependencyLookup& lookup,
                                         std::size_t max_units);

// A session as logind lists it.
struct LoginSession {
  std::string id;
  uid_t uid = 0;
  std::string type;           // x11, wayland, mir, tty, unspecified
  std::string session_class;  // user, greeter, lock-screen, background
  std::string scope;          // "session-2.scope"
};

bool isGraphical(const LoginSession& session);

// Pure: the units of graphical.target's closure outside multi-user.target's, and the sessions' parts.
DesktopUnits desktopUnits(const std::set<std::string>& graphical, const std::set<std::string>& multi_user,
                          const std::vector<LoginSession>& sessions);

// Whether a process placed there, with that command name, runs for the desktop. `desktop_programs`
// decides only inside a user manager shared with a session that is not graphical.
bool runsForDesktop(const DesktopUnits& desktop, const UnitPlacement& placement, std::string_view comm,
                    const std::function<bool(std::string_view comm)>& desktop_program);

}  // namespace jmem
