#include "system/systemd_call.h"

#include <systemd/sd-bus.h>

#include <cerrno>
#include <cstring>

namespace jmem::systemd_call {
namespace {

// The errno libsystemd maps a D-Bus error name to (it knows the standard names and systemd's own).
int errnoOfName(const std::string& name) {
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C99 compound literal
  sd_bus_error_set(&error, name.c_str(), nullptr);
  const int errno_value = sd_bus_error_get_errno(&error);
  sd_bus_error_free(&error);
  return errno_value;
}

}  // namespace

Error busError(const std::string& what, const sdbus::Error& e) {
  const int errno_value = errnoOfName(e.getName());
  std::string message = "Failed to " + what + ": ";
  message += e.getMessage().empty() ? std::strerror(errno_value) : e.getMessage();
  if (errno_value == EIO) message += " (" + e.getName() + ")";
  return Error{std::move(message), errno_value};
}

bool isNotFound(const sdbus::Error& e) {
  return e.getName() == "org.freedesktop.DBus.Error.FileNotFound" ||
         e.getName() == "org.freedesktop.systemd1.NoSuchUnit";
}

bool isOpen(sdbus::IConnection& connection) {
  try {
    (void)connection.getEventLoopPollData();  // throws once the connection is closed
    return true;
  } catch (const sdbus::Error&) {
    return false;
  }
}

}  // namespace jmem::systemd_call
