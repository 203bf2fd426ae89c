#pragma once

#include "throttle/actuator.h"

namespace jmem::throttle {

// One journal entry per action, with structured fields a fleet can query:
//   JMEM_ACTION=throttle|freeze|stop|thaw|restore_memory_high|start  JMEM_UNIT=batch.service
//   JMEM_ORIGIN=pressure|operator|shutdown  JMEM_RESULT=done|failed
//   JMEM_MEMORY_HIGH_BYTES (throttle, restore_memory_high; "infinity" for none)  JMEM_FREEZE_METHOD
// Under systemd (JOURNAL_STREAM set) it goes to the journal; elsewhere to the log on stderr.
void logAction(const ActionRecord& record);

}  // namespace jmem::throttle
