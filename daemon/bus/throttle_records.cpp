#include "bus/throttle_records.h"

namespace jmem {

namespace {

BusRecord encodeStep(const RoomUnitRecord& u) {
  return BusRecord{
      {"unit", sdbus::Variant(u.unit)}, {"rung", sdbus::Variant(u.rung)}, {"bytes", sdbus::Variant(u.bytes)}};
}

RoomUnitRecord decodeStep(const BusRecord& record) {
  RoomUnitRecord unit;
  readField<std::string>(record, "unit", unit.unit);
  readField<std::string>(record, "rung", unit.rung);
  readField<std::uint64_t>(record, "bytes", unit.bytes);
  return unit;
}

std::vector<BusRecord> encodeSteps(const std::vector<RoomUnitRecord>& steps) {
  std::vector<BusRecord> out;
  for (const auto& step : steps) out.push_back(encodeStep(step));
  return out;
}

std::vector<RoomUnitRecord> decodeSteps(const BusRecord& record, const char* name) {
  std::vector<BusRecord> list;
  readField<std::vector<BusRecord>>(record, name, list);
  std::vector<RoomUnitRecord> out;
  for (const auto& each : list) out.push_back(decodeStep(each));
  return out;
}

}  // namespace

BusRecord encodeExplain(const ExplainRecord& e) {
  std::vector<BusRecord> matches;
  for (const auto& m : e.matches) {
    matches.push_back(BusRecord{{"kind", sdbus::Variant(m.kind)},
                                {"name", sdbus::Variant(m.name)},
                                {"pattern", sdbus::Variant(m.pattern)},
                                {"where", sdbus::Variant(m.where)},
                                {"detail", sdbus::Variant(m.detail)},
                                {"governs", sdbus::Variant(m.governs)}});
  }
  BusRecord out{
      {"unit", sdbus::Variant(e.unit)},
      {"in_ledger", sdbus::Variant(e.in_ledger)},
      {"cost_bytes", sdbus::Variant(e.cost_bytes)},
      {"matches", sdbus::Variant(matches)},
      {"protected", sdbus::Variant(e.is_protected)},
      {"kept", sdbus::Variant(e.kept)},
      {"essential", sdbus::Variant(e.essential)},
      {"never_acted_on", sdbus::Variant(e.never_acted_on)},
      {"rung_now", sdbus::Variant(e.rung_now)},
      {"sequence", sdbus::Variant(encodeSteps(e.sequence))},
  };
  if (e.next) out["next"] = sdbus::Variant(encodeStep(*e.next));
  return out;
}

ExplainRecord decodeExplain(const BusRecord& record) {
  ExplainRecord e;
  readField<std::string>(record, "unit", e.unit);
  readField<bool>(record, "in_ledger", e.in_ledger);
  readField<std::uint64_t>(record, "cost_bytes", e.cost_bytes);
  std::vector<BusRecord> matches;
  readField<std::vector<BusRecord>>(record, "matches", matches);
  for (const auto& m : matches) {
    PolicyMatchRecord match;
    readField<std::string>(m, "kind", match.kind);
    readField<std::string>(m, "name", match.name);
    readField<std::string>(m, "pattern", match.pattern);
    readField<std::string>(m, "where", match.where);
    readField<std::string>(m, "detail", match.detail);
    readField<bool>(m, "governs", match.governs);
    e.matches.push_back(std::move(match));
  }
  readField<bool>(record, "protected", e.is_protected);
  readField<bool>(record, "kept", e.kept);
  readField<bool>(record, "essential", e.essential);
  readField<std::string>(record, "never_acted_on", e.never_acted_on);
  readField<std::string>(record, "rung_now", e.rung_now);
  BusRecord next;
  if (readField<BusRecord>(record, "next", next)) e.next = decodeStep(next);
  e.sequence = decodeSteps(record, "sequence");
  return e;
}

BusRecord encodeRoom(const RoomRecord& r) {
  const std::vector<BusRecord> units = encodeSteps(r.units);
  return BusRecord{
      {"mem_available_bytes", sdbus::Variant(r.mem_available_bytes)},
      {"low_watermark_bytes", sdbus::Variant(r.low_watermark_bytes)},
      {"headroom_bytes", sdbus::Variant(r.headroom_bytes)},
      {"throttle_bytes", sdbus::Variant(r.throttle_bytes)},
      {"units", sdbus::Variant(units)},
  };
}

RoomRecord decodeRoom(const BusRecord& record) {
  RoomRecord r;
  readField<std::uint64_t>(record, "mem_available_bytes", r.mem_available_bytes);
  readField<std::uint64_t>(record, "low_watermark_bytes", r.low_watermark_bytes);
  readField<std::uint64_t>(record, "headroom_bytes", r.headroom_bytes);
  readField<std::uint64_t>(record, "throttle_bytes", r.throttle_bytes);
  r.units = decodeSteps(record, "units");
  return r;
}

BusRecord encodeRoomRequest(const RoomRequestRecord& r) {
  return BusRecord{
      {"made", sdbus::Variant(r.made)},
      {"message", sdbus::Variant(r.message)},
      {"id", sdbus::Variant(r.id)},
      {"unit", sdbus::Variant(r.unit)},
      {"bytes", sdbus::Variant(r.bytes)},
      {"room_at_start_bytes", sdbus::Variant(r.room_at_start_bytes)},
      {"steps", sdbus::Variant(r.steps)},
      {"units", sdbus::Variant(r.units)},
      {"caller_uid", sdbus::Variant(r.caller_uid)},
      {"hold_sec", sdbus::Variant(r.hold_sec)},
      {"phase", sdbus::Variant(r.phase)},
  };
}

RoomRequestRecord decodeRoomRequest(const BusRecord& record) {
  RoomRequestRecord r;
  readField<bool>(record, "made", r.made);
  readField<std::string>(record, "message", r.message);
  readField<std::uint64_t>(record, "id", r.id);
  readField<std::string>(record, "unit", r.unit);
  readField<std::uint64_t>(record, "bytes", r.bytes);
  readField<std::uint64_t>(record, "room_at_start_bytes", r.room_at_start_bytes);
  readField<std::vector<std::string>>(record, "steps", r.steps);
  readField<std::vector<std::string>>(record, "units", r.units);
  readField<std::uint32_t>(record, "caller_uid", r.caller_uid);
  readField<std::uint32_t>(record, "hold_sec", r.hold_sec);
  readField<std::string>(record, "phase", r.phase);
  return r;
}

BusRecord encodeThrottleUnit(const ThrottleUnitRecord& u) {
  BusRecord out{
      {"unit", sdbus::Variant(u.unit)},
      {"frozen", sdbus::Variant(u.frozen)},
      {"stopped", sdbus::Variant(u.stopped)},
      {"by_operator", sdbus::Variant(u.by_operator)},
  };
  putKnown(out, "memory_high_bytes", u.memory_high_bytes);
  putKnown(out, "prior_memory_high_bytes", u.prior_memory_high_bytes);
  return out;
}

ThrottleUnitRecord decodeThrottleUnit(const BusRecord& record) {
  ThrottleUnitRecord u;
  readField<std::string>(record, "unit", u.unit);
  readField<std::uint64_t>(record, "memory_high_bytes", u.memory_high_bytes);
  readField<std::uint64_t>(record, "prior_memory_high_bytes", u.prior_memory_high_bytes);
  readField<bool>(record, "frozen", u.frozen);
  readField<bool>(record, "stopped", u.stopped);
  readField<bool>(record, "by_operator", u.by_operator);
  return u;
}

BusRecord encodeThrottleControl(const ThrottleControlRecord& c) {
  return BusRecord{
      {"action", sdbus::Variant(c.action)},
      {"available", sdbus::Variant(c.available)},
      {"note", sdbus::Variant(c.note)},
  };
}

ThrottleControlRecord decodeThrottleControl(const BusRecord& record) {
  ThrottleControlRecord c;
  readField<std::string>(record, "action", c.action);
  readField<bool>(record, "available", c.available);
  readField<std::string>(record, "note", c.note);
  return c;
}

BusRecord encodeThrottleAction(const ThrottleActionRecord& a) {
  BusRecord out{
      {"time_usec", sdbus::Variant(a.time_usec)},
      {"unit", sdbus::Variant(a.unit)},
      {"action", sdbus::Variant(a.action)},
      {"origin", sdbus::Variant(a.origin)},
      {"ok", sdbus::Variant(a.ok)},
      {"detail", sdbus::Variant(a.detail)},
  };
  putKnown(out, "memory_high_bytes", a.memory_high_bytes);
  return out;
}

ThrottleActionRecord decodeThrottleAction(const BusRecord& record) {
  ThrottleActionRecord a;
  readField<std::uint64_t>(record, "time_usec", a.time_usec);
  readField<std::string>(record, "unit", a.unit);
  readField<std::string>(record, "action", a.action);
  readField<std::string>(record, "origin", a.origin);
  readField<std::uint64_t>(record, "memory_high_bytes", a.memory_high_bytes);
  readField<bool>(record, "ok", a.ok);
  readField<std::string>(record, "detail", a.detail);
  return a;
}

}  // namespace jmem
