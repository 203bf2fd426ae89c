#include "bus/authorizer.h"

#include <map>

#include "bus/sdbus_compat.h"

namespace jmem {
namespace {

Error denied(std::string message) {
  return Error{.message = std::move(message), .kind = ErrorKind::kDenied};
}

}  // namespace

Result<uid_t> busCallerUid(sdbus::IConnection& connection, const std::string& sender,
                           std::chrono::milliseconds timeout) {
  try {
    auto daemon = sdbus_compat::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    std::uint32_t uid = 0;
    daemon->callMethod("GetConnectionUnixUser")
        .onInterface("org.freedesktop.DBus")
        .withTimeout(timeout)
        .withArguments(sender)
        .storeResultsTo(uid);
    return static_cast<uid_t>(uid);
  } catch (const sdbus::Error& e) {
    return denied("Failed to learn who " + sender + " is from the bus: " + e.getMessage());
  }
}

Authorization authorizeManage(sdbus::IConnection& connection, const std::string& sender) {
  auto uid = busCallerUid(connection, sender, std::chrono::seconds(2));
  if (!uid) return {std::nullopt, uid.error()};
  if (*uid == 0) return {*uid, Done{}};
  const std::string who = "uid " + std::to_string(*uid);
  try {
    auto authority = sdbus_compat::createProxy(connection, "org.freedesktop.PolicyKit1",
                                               "/org/freedesktop/PolicyKit1/Authority");
    using Subject = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;
    const Subject subject{std::string("system-bus-name"),
                          std::map<std::string, sdbus::Variant>{{"name", sdbus::Variant(sender)}}};
    const std::map<std::string, std::string> details;
    const std::uint32_t flags = 0;  // no interactive authentication: the governor must not wait on a person
    sdbus::Struct<bool, bool, std::map<std::string, std::string>> result;
    authority->callMethod("CheckAuthorization")
        .onInterface("org.freedesktop.PolicyKit1.Authority")
        .withTimeout(std::chrono::seconds(2))
        .withArguments(subject, std::string(kManageAction), details, flags, std::string())
        .storeResultsTo(result);
    if (std::get<0>(result)) return {*uid, Done{}};
    return {*uid, denied(who + " is not authorized by polkit")};
  } catch (const sdbus::Error& e) {
    return {*uid, denied(who + " could not be authorized: polkit did not answer: " + e.getMessage())};
  }
}

}  // namespace jmem
