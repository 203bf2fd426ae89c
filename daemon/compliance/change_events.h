#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>
#include <vector>

#include "compliance/applier.h"
#include "core/result.h"
#include "state/event_log.h"

namespace jmem::compliance {

// Who made an apply or a revert happen: an operator through the bus (with the uid the bus daemon
// gave), or enforce mode by itself.
struct ChangeOrigin {
  std::string_view origin;  // "operator" or "enforce"
  std::optional<uid_t> caller_uid;
};

// Pure: the events of one apply or revert (state/event_log.h): one `change` per item, then the whole
// as `apply` or `revert` with what it came to ("Apply by uid 0: 9 changes made").
std::vector<Event> changeEvents(bool apply, const ChangeOrigin& who,
                                const Result<std::vector<ChangeResult>>& outcome);

}  // namespace jmem::compliance
