#include "system/desktop_units.h"

#include <algorithm>
#include <deque>
#include <map>

namespace jmem {

Result<std::set<std::string>> pulledInBy(const std::string& target, const DependencyLookup& lookup,
                                         std::size_t max_units) {
  std::set<std::string> ids;
  std::set<std::string> asked{target};
  std::deque<std::string> pending{target};
  while (!pending.empty()) {
    auto unit = lookup(pending.front());
    pending.pop_front();
    if (!unit) return unit.error();
    if (!ids.insert(unit->id).second) continue;
    if (ids.size() > max_units) {
      return Error{"what " + target + " pulls in is more than " + std::to_string(max_units) + " units"};
    }
    for (const std::string& name : unit->pulls) {
      if (asked.insert(name).second) pending.push_back(name);
    }
  }
  return ids;
}

bool isGraphical(const LoginSession& session) {
  return session.type == "x11" || session.type == "wayland" || session.type == "mir" ||
         session.session_class == "greeter";
}

DesktopUnits desktopUnits(const std::set<std::string>& graphical, const std::set<std::string>& multi_user,
                          const std::vector<LoginSession>& sessions) {
  DesktopUnits desktop;
  std::set_difference(graphical.begin(), graphical.end(), multi_user.begin(), multi_user.end(),
                      std::inserter(desktop.system_units, desktop.system_units.end()));
  std::map<uid_t, bool> all_graphical;
  for (const LoginSession& s : sessions) {
    if (isGraphical(s) && !s.scope.empty()) desktop.session_scopes.insert(s.scope);
    auto [it, first] = all_graphical.emplace(s.uid, isGraphical(s));
    if (!first) it->second = it->second && isGraphical(s);
  }
  for (const LoginSession& s : sessions) {
    if (!isGraphical(s)) continue;
    const std::string manager = "user@" + std::to_string(s.uid) + ".service";
    (all_graphical[s.uid] ? desktop.user_managers : desktop.shared_user_managers).insert(manager);
  }
  return desktop;
}

bool runsForDesktop(const DesktopUnits& desktop, const UnitPlacement& placement, std::string_view comm,
                    const std::function<bool(std::string_view comm)>& desktop_program) {
  if (isSystemManager(placement.manager)) {
    return desktop.system_units.count(placement.unit) > 0 || desktop.session_scopes.count(placement.unit) > 0;
  }
  if (desktop.user_managers.count(placement.manager) > 0) return true;
  return desktop.shared_user_managers.count(placement.manager) > 0 && desktop_program(comm);
}

}  // namespace jmem
