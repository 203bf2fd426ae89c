#pragma once

#include <sys/types.h>

#include <string_view>
#include <vector>

#include "bus/compliance_records.h"
#include "bus/reclaim_records.h"
#include "bus/self_stats_record.h"
#include "bus/throttle_records.h"
#include "compliance/applier.h"
#include "compliance/check.h"
#include "compliance/plan.h"
#include "ledger/ledger.h"
#include "ledger/process_privacy.h"
#include "model/self_stats.h"
#include "reclaim/report.h"
#include "throttle/explain.h"
#include "throttle/room.h"
#include "throttle/throttler.h"

namespace jmem {

// The governor's state as the bus records carry it: pure, one function per record.
SelfStatsRecord selfStatsRecord(const SelfStats& stats);
CheckItemRecord checkItemRecord(const compliance::CheckItem& item);
PlanChangeRecord planChangeRecord(const compliance::PlannedChange& change);
ChangeResultRecord changeResultRecord(const compliance::ChangeResult& result);
JournalChangeRecord journalChangeRecord(std::string_view journal, const Change& change);
ThrottleUnitRecord throttleUnitRecord(const throttle::UnitState& unit);
ThrottleActionRecord throttleActionRecord(const throttle::ActionRecord& record);
RoomRecord roomRecord(const throttle::Room& room);
RoomRequestRecord roomRequestRecord(const throttle::RoomRequest& request);
RoomRequestRecord roomAnswerRecord(const throttle::RoomOutcome& outcome);
ReclaimRecord reclaimRecord(const reclaim::Report& report);
ExplainRecord explainRecord(const throttle::Explanation& explanation);
// For throttle and freeze, in that order: whether the device can take it, how or why not.
std::vector<ThrottleControlRecord> throttleControlRecords(const throttle::CgroupFeatures& controls);

// A GPU's PIDs the caller may see. One the ledger does not hold (in another PID namespace, say) has no
// known owner: only a caller that may see every process gets it.
std::vector<pid_t> visibleGpuPids(const GpuDevice& device, const Ledger& ledger,
                                  const ProcVisibility& visibility, const Caller& caller);

}  // namespace jmem
