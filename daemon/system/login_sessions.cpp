#include "system/login_sessions.h"

#include <map>

#include "system/systemd_call.h"

namespace jmem {
namespace {

constexpr const char* kLogind = "org.freedesktop.login1";
constexpr const char* kLogindPath = "/org/freedesktop/login1";
constexpr const char* kSessionInterface = "org.freedesktop.login1.Session";

bool logindAbsent(const sdbus::Error& e) {
  return e.getName() == "org.freedesktop.DBus.Error.ServiceUnknown" ||
         e.getName() == "org.freedesktop.DBus.Error.NameHasNoOwner";
}

}  // namespace

Result<std::vector<LoginSession>> LoginSessions::list() {
  using Listed = sdbus::Struct<std::string, std::uint32_t, std::string, std::string, sdbus::ObjectPath>;
  std::vector<Listed> listed;
  try {
    sdbus_compat::createProxy(*connection_, kLogind, kLogindPath)
        ->callMethod("ListSessions")
        .onInterface("org.freedesktop.login1.Manager")
        .withTimeout(call_timeout_)
        .storeResultsTo(listed);
  } catch (const sdbus::Error& e) {
    if (logindAbsent(e)) return std::vector<LoginSession>{};
    return systemd_call::busError("list logind's sessions", e);
  }
  std::vector<LoginSession> sessions;
  for (const Listed& entry : listed) {
    LoginSession session{std::get<0>(entry), static_cast<uid_t>(std::get<1>(entry)), {}, {}, {}};
    try {
      std::map<std::string, sdbus::Variant> properties;
      sdbus_compat::createProxy(*connection_, kLogind, std::get<4>(entry))
          ->callMethod("GetAll")
          .onInterface(systemd_call::kPropertiesInterface)
          .withTimeout(call_timeout_)
          .withArguments(std::string(kSessionInterface))
          .storeResultsTo(properties);
      const auto text = [&](const char* key) {
        const auto it = properties.find(key);
        return it == properties.end() ? std::string() : it->second.get<std::string>();
      };
      session.type = text("Type");
      session.session_class = text("Class");
      session.scope = text("Scope");
    } catch (const sdbus::Error& e) {
      // A session that closed between the list and this call is no session.
      if (e.getName() == "org.freedesktop.DBus.Error.UnknownObject" ||
          e.getName() == "org.freedesktop.login1.NoSuchSession")
        continue;
      return systemd_call::busError("read logind's session " + session.id, e);
    }
    sessions.push_back(std::move(session));
  }
  return sessions;
}

}  // namespace jmem
