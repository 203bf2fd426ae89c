#include "bus/throttle_records.h"

namespace jmem {

BusRecord encodeRoom(const RoomRecord& r) {
  std::vector<BusRecord> units;
  for (const auto& u : r.units) {
    units.push_back(BusRecord{{"unit", sdbus::Variant(u.unit)},
                              {"rung", sdbus::Variant(u.rung)},
                              {"bytes", sdbus::Variant(u.bytes)}});
  }
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
  std::vector<BusRecord> units;
  readField<std::vector<BusRecord>>(record, "units", units);
  for (const auto& u : units) {
    RoomUnitRecord unit;
    readField<std::string>(u, "unit", unit.unit);
    readField<std::string>(u, "rung", unit.rung);
    readField<std::uint64_t>(u, "bytes", unit.bytes);
    r.units.push_back(std::move(unit));
  }
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
