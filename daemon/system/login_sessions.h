#pragma once

#include <sdbus-c++/IConnection.h>

#include <chrono>
#include <vector>

#include "core/result.h"
#include "system/desktop_units.h"

namespace jmem {

// logind's sessions (org.freedesktop.login1), over a bus connection the caller owns and drives.
class LoginSessions {
 public:
  explicit LoginSessions(sdbus::IConnection& connection,
                         std::chrono::microseconds call_timeout = std::chrono::seconds(25))
      : connection_(&connection), call_timeout_(call_timeout) {}

  // Every session, with its type, class and scope. None where logind is not on the bus: without it
  // no display manager can open a session.
  Result<std::vector<LoginSession>> list();

 private:
  sdbus::IConnection* connection_;
  std::chrono::microseconds call_timeout_;
};

}  // namespace jmem
