#include "bus/authorizer.h"

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include <map>

namespace jmem {

bool Authorizer::mayManage(uid_t caller_uid, const std::string& caller_bus_name) {
  if (caller_uid == 0) return true;
  try {
    auto authority = sdbus::createProxy(connection_, "org.freedesktop.PolicyKit1",
                                        "/org/freedesktop/PolicyKit1/Authority");
    using Subject = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;
    const Subject subject{std::string("system-bus-name"),
                          std::map<std::string, sdbus::Variant>{{"name", sdbus::Variant(caller_bus_name)}}};
    const std::map<std::string, std::string> details;
    const std::uint32_t flags = 0;  // no interactive authentication: the governor must not wait on a person
    sdbus::Struct<bool, bool, std::map<std::string, std::string>> result;
    authority->callMethod("CheckAuthorization")
        .onInterface("org.freedesktop.PolicyKit1.Authority")
        .withTimeout(std::chrono::seconds(2))
        .withArguments(subject, std::string(kManageAction), details, flags, std::string())
        .storeResultsTo(result);
    return std::get<0>(result);
  } catch (const sdbus::Error& e) {
    spdlog::info("Denied {} (uid {}): polkit did not authorize it: {}", caller_bus_name, caller_uid,
                 e.getMessage());
    return false;
  }
}

}  // namespace jmem
