#pragma once

#include <filesystem>

#include "compliance/check.h"
#include "system/global_user_units.h"
#include "system/login_sessions.h"
#include "system/systemd_manager.h"

namespace jmem::compliance {

// Gathers what the policy is checked against: systemd's view of the units it names (over D-Bus),
// the global user masks, /proc/cmdline and extlinux.conf. Reads only.
class Observer {
 public:
  Observer(SystemdManager& systemd, const GlobalUserUnits& user_units, LoginSessions& sessions,
           std::filesystem::path proc_root, std::filesystem::path root = "/")
      : systemd_(systemd),
        user_units_(user_units),
        sessions_(sessions),
        proc_root_(std::move(proc_root)),
        root_(std::move(root)) {}

  ObservedState observe(const policy::Policy& policy);
  // What runs because the default target is graphical: systemd's dependencies of graphical.target and
  // multi-user.target, and logind's sessions. Into the report, for the reclaim report.
  void observeDesktop(CheckReport& report);

 private:
  void observeSystemUnit(const std::string& name, ObservedState& observed);
  void observeUserUnit(const std::string& name, ObservedState& observed);
  Result<std::vector<std::string>> installedUserUnits() const;
  void observeWrittenThisBoot(const std::filesystem::path& extlinux, BootObservation& boot) const;

  SystemdManager& systemd_;
  const GlobalUserUnits& user_units_;
  LoginSessions& sessions_;
  std::filesystem::path proc_root_;
  std::filesystem::path root_;  // where extlinux.conf and the user unit search path are looked up
};

}  // namespace jmem::compliance
