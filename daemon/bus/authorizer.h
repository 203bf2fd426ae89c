#pragma once

#include <sdbus-c++/IConnection.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "core/result.h"

namespace jmem {

inline constexpr const char* kManageAction = "org.jmem.governor1.manage";

// Who a caller is: the Unix user the bus daemon authenticated when the caller connected
// (GetConnectionUnixUser), never what /proc says of a PID that may have been reused or whose real
// and effective users differ.
Result<uid_t> busCallerUid(sdbus::IConnection& connection, const std::string& sender,
                           std::chrono::milliseconds timeout);

// Whether a caller may change something: root may; anyone else only if polkit, asked about the
// caller's bus name (a subject it resolves without races), says so. Without polkit (not installed,
// not running, any error) the answer is no: EACCES, with what polkit said. Blocks: call it off the loop.
struct Authorization {
  std::optional<uid_t> uid;  // as the bus daemon knows the caller; none when it could not say
  Status allowed = Done{};
};
Authorization authorizeManage(sdbus::IConnection& connection, const std::string& sender);

}  // namespace jmem
