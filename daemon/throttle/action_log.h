#pragma once

#include "throttle/actuator.h"

namespace jmem::throttle {

// One event (state/event_log.h) per action: JMEM_EVENT=action, JMEM_ACTION=throttle|freeze|stop|thaw|
// restore_memory_high|start, JMEM_UNIT, JMEM_ORIGIN=pressure|operator|shutdown, JMEM_RESULT=done|failed,
// JMEM_MEMORY_HIGH_BYTES (throttle, restore_memory_high; "infinity" for none), JMEM_FREEZE_METHOD.
void logAction(const ActionRecord& record);

}  // namespace jmem::throttle
