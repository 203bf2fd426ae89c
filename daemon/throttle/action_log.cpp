#include "throttle/action_log.h"

#include "state/event_log.h"

namespace jmem::throttle {

void logAction(const ActionRecord& record) {
  const Action& action = record.action;
  const bool has_bytes = rungOf(action.kind).reads_memory_high;
  const std::string bytes = !has_bytes                 ? std::string()
                            : action.memory_high_bytes ? std::to_string(*action.memory_high_bytes)
                                                       : "infinity";
  logEvent({event::kAction,
            record.ok ? 4 : 3,
            record.ok ? action.reason : action.reason + ": " + record.error,
            {{"ACTION", std::string(toString(action.kind))},
             {"UNIT", action.unit},
             {"ORIGIN", record.origin},
             {"RESULT", record.ok ? "done" : "failed"},
             {"MEMORY_HIGH_BYTES", bytes},
             {"FREEZE_METHOD", record.method}}});
}

}  // namespace jmem::throttle
