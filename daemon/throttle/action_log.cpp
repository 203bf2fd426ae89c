#include "throttle/action_log.h"

#include <spdlog/spdlog.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include <cstdlib>

namespace jmem::throttle {

void logAction(const ActionRecord& record) {
  const std::string message = record.ok ? record.action.reason : record.action.reason + ": " + record.error;
  if (std::getenv("JOURNAL_STREAM") == nullptr) {
    if (record.ok) {
      spdlog::warn("{} [{}]", message, record.origin);
    } else {
      spdlog::error("{} [{}]", message, record.origin);
    }
    return;
  }
  const Action& action = record.action;
  const bool has_bytes = rungOf(action.kind).reads_memory_high;
  const std::string bytes = !has_bytes                 ? std::string()
                            : action.memory_high_bytes ? std::to_string(*action.memory_high_bytes)
                                                       : "infinity";
  sd_journal_send("MESSAGE=%s", message.c_str(), "PRIORITY=%i", record.ok ? LOG_WARNING : LOG_ERR,
                  "SYSLOG_IDENTIFIER=jmemd", "JMEM_ACTION=%s", std::string(toString(action.kind)).c_str(),
                  "JMEM_UNIT=%s", action.unit.c_str(), "JMEM_ORIGIN=%s", record.origin.c_str(),
                  "JMEM_RESULT=%s", record.ok ? "done" : "failed", "JMEM_MEMORY_HIGH_BYTES=%s", bytes.c_str(),
                  "JMEM_FREEZE_METHOD=%s", record.method.c_str(), nullptr);
}

}  // namespace jmem::throttle
