#pragma once

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/Types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"

namespace jmem {

// A unit at run time, through systemd's manager: its MemoryHigh= (set with runtime=true: gone at the
// next boot, like the pressure that called for it), the cgroup v2 freezer, its active state,
// and signals to every process of a unit. Synchronous calls on a connection the caller drives;
// errors are values, "Failed to freeze batch.service: <systemd's message>".
class UnitRuntime {
 public:
  explicit UnitRuntime(sdbus::IConnection& connection,
                       std::chrono::microseconds call_timeout = std::chrono::seconds(25))
      : connection_(&connection), call_timeout_(call_timeout) {}
  void rebind(sdbus::IConnection& connection) { connection_ = &connection; }

  // The unit's MemoryHigh; nullopt for infinity (no limit).
  Result<std::optional<std::uint64_t>> memoryHigh(const std::string& unit);
  // nullopt sets infinity.
  Status setMemoryHigh(const std::string& unit, std::optional<std::uint64_t> bytes);

  // systemd's FreezeUnit and ThawUnit: cgroup v2 only (EOPNOTSUPP elsewhere).
  Status freeze(const std::string& unit);
  Status thaw(const std::string& unit);
  // running, freezing, frozen or thawing.
  Result<std::string> freezerState(const std::string& unit);

  // KillUnit(unit, "all", signal): every process of the unit.
  Status signalAll(const std::string& unit, int signal);

  // active, inactive, failed, activating, ...
  Result<std::string> activeState(const std::string& unit);

 private:
  Result<std::string> unitPath(const std::string& unit);
  Result<sdbus::Variant> property(const std::string& unit, const std::string& interface,
                                  const std::string& name);

  sdbus::IConnection* connection_;
  std::chrono::microseconds call_timeout_;
};

}  // namespace jmem
