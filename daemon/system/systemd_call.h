#pragma once

#include <memory>
#include <string>

#include "bus/sdbus_compat.h"
#include "core/result.h"

// What every client of systemd's manager shares: its names on the bus, and one way of turning
// sdbus-c++'s exceptions into errors as values.
namespace jmem::systemd_call {

inline constexpr const char* kService = "org.freedesktop.systemd1";
inline constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
inline constexpr const char* kManagerInterface = "org.freedesktop.systemd1.Manager";
inline constexpr const char* kUnitInterface = "org.freedesktop.systemd1.Unit";
inline constexpr const char* kJobInterface = "org.freedesktop.systemd1.Job";
inline constexpr const char* kPropertiesInterface = "org.freedesktop.DBus.Properties";

// "Failed to <what>: <systemd's message>", with the errno libsystemd maps the error's name to.
Error busError(const std::string& what, const sdbus::Error& e);

bool isNotFound(const sdbus::Error& e);

// Whether a connection is still open: false once the bus closed it (or dbus-daemon went away).
bool isOpen(sdbus::IConnection& connection);

inline std::unique_ptr<sdbus::IProxy> managerProxy(sdbus::IConnection& connection) {
  return sdbus_compat::createProxy(connection, kService, kManagerPath);
}

// Runs one exchange with systemd, turning sdbus-c++'s exceptions into an Error about `what`.
template <typename F>
auto guarded(const std::string& what, F&& exchange) -> Result<decltype(exchange())> {
  try {
    return exchange();
  } catch (const sdbus::Error& e) {
    return busError(what, e);
  }
}

}  // namespace jmem::systemd_call
