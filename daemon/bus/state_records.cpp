#include "bus/state_records.h"

#include <algorithm>
#include <string>

namespace jmem {

SelfStatsRecord selfStatsRecord(const SelfStats& s) {
  return {s.ticks(),       s.latenessPercentileUsec(50), s.latenessPercentileUsec(99), s.latenessMaxUsec(),
          s.cpuMeanUsec(), s.lastRollupReads()};
}

CheckItemRecord checkItemRecord(const compliance::CheckItem& item) {
  const auto& where = item.where;
  return {std::string(compliance::toString(item.kind)),
          item.subject,
          item.policy_class,
          item.expected,
          item.actual,
          std::string(compliance::toString(item.state)),
          where.line ? where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column)
                     : where.file,
          item.cost_bytes};
}

PlanChangeRecord planChangeRecord(const compliance::PlannedChange& change) {
  return {std::string(compliance::toString(change.kind)), change.subject, change.before, change.after,
          change.bytes_back};
}

ChangeResultRecord changeResultRecord(const compliance::ChangeResult& result) {
  return {result.kind, result.target, result.detail, result.ok};
}

JournalChangeRecord journalChangeRecord(std::string_view journal, const Change& c) {
  return {std::string(journal),
          c.seq,
          c.txn,
          c.kind,
          c.target,
          std::string(toString(c.state)),
          c.before.dump(),
          c.after.dump(),
          c.intent_time_usec,
          c.state_time_usec};
}

ThrottleUnitRecord throttleUnitRecord(const throttle::UnitState& u) {
  return {u.unit, u.memory_high_bytes, u.prior_memory_high_bytes, u.frozen, u.stopped, u.by_operator};
}

ThrottleActionRecord throttleActionRecord(const throttle::ActionRecord& r) {
  return {r.time_usec,
          r.action.unit,
          std::string(throttle::toString(r.action.kind)),
          r.origin,
          r.action.memory_high_bytes,
          r.ok,
          r.ok ? r.action.reason : r.error};
}

ReclaimRecord reclaimRecord(const reclaim::Report& report) {
  ReclaimRecord record{{}, report.policy_would_take_bytes, report.other_means_bytes, report.notes};
  for (const reclaim::Row& r : report.rows) {
    record.rows.push_back({r.knob, r.bytes, r.backBytes(), r.guide, std::string(reclaim::toString(r.way)),
                           r.how, std::string(reclaim::toString(r.taken)), r.parts});
  }
  return record;
}

RoomRecord roomRecord(const throttle::Room& r) {
  RoomRecord record{r.mem_available_bytes, r.low_watermark_bytes, r.headroom_bytes, r.throttle_bytes, {}};
  for (const auto& u : r.units) record.units.push_back({u.unit, u.rung, u.bytes});
  return record;
}

RoomRequestRecord roomRequestRecord(const throttle::RoomRequest& r) {
  RoomRequestRecord record;
  record.id = r.id;
  record.unit = r.requester;
  record.bytes = r.bytes;
  record.room_at_start_bytes = r.headroom_at_start_bytes;
  record.steps = r.steps;
  record.units = r.units;
  record.caller_uid = r.caller_uid;
  record.hold_sec = r.hold ? static_cast<std::uint32_t>(r.hold->count()) : 0;
  record.phase = std::string(throttle::toString(r.phase));
  return record;
}

RoomRequestRecord roomAnswerRecord(const throttle::RoomOutcome& outcome) {
  RoomRequestRecord record = roomRequestRecord(outcome.request);
  record.made = outcome.kind == throttle::RoomOutcome::Kind::kMade;
  record.message = outcome.message;
  return record;
}

ExplainRecord explainRecord(const throttle::Explanation& e) {
  ExplainRecord record;
  record.unit = e.unit;
  record.in_ledger = e.in_ledger;
  record.cost_bytes = e.cost_bytes;
  for (const auto& m : e.matches)
    record.matches.push_back({m.kind, m.name, m.pattern, m.where, m.detail, m.governs});
  record.is_protected = e.is_protected;
  record.kept = e.kept;
  record.essential = e.essential;
  record.never_acted_on = e.never_acted_on.value_or("");
  record.rung_now = e.rung_now;
  if (e.next) record.next = RoomUnitRecord{e.next->unit, e.next->rung, e.next->bytes};
  for (const auto& s : e.sequence) record.sequence.push_back({s.unit, s.rung, s.bytes});
  return record;
}

std::vector<ThrottleControlRecord> throttleControlRecords(const throttle::CgroupFeatures& c) {
  return {{"throttle", c.memory_high, c.memory_high ? std::string("MemoryHigh=") : c.memory_high_note},
          {"freeze", c.freeze != throttle::FreezeMethod::kNone, c.freeze_note}};
}

std::vector<pid_t> visibleGpuPids(const GpuDevice& device, const Ledger& ledger,
                                  const ProcVisibility& visibility, const Caller& caller) {
  std::vector<pid_t> out;
  for (const GpuProcess& process : device.processes) {
    // The ledger's processes are in PID order.
    const auto at =
        std::lower_bound(ledger.processes.begin(), ledger.processes.end(), process.pid,
                         [](const LedgerProcess& p, pid_t value) { return p.sample.pid < value; });
    const bool known = at != ledger.processes.end() && at->sample.pid == process.pid;
    if (mayShowDetails(visibility, caller, known ? at->sample.uid : static_cast<uid_t>(-1)))
      out.push_back(process.pid);
  }
  return out;
}

}  // namespace jmem
