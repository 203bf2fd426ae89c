#pragma once

#include <sdbus-c++/IConnection.h>
#include <sys/types.h>

#include <string>

namespace jmem {

inline constexpr const char* kManageAction = "org.jmem.governor1.manage";

// Decides whether a bus caller may change something: root may; anyone else only if polkit says so.
// Without polkit (not installed, not running, any error) the answer is no.
class Authorizer {
 public:
  explicit Authorizer(sdbus::IConnection& connection) : connection_(connection) {}
  bool mayManage(uid_t caller_uid, const std::string& caller_bus_name);

 private:
  sdbus::IConnection& connection_;
};

}  // namespace jmem
