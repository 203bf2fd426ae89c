#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bus/bus_record.h"

namespace jmem {

// GetThrottle's units: a unit with actions in effect.
struct ThrottleUnitRecord {
  std::string unit;
  std::optional<std::uint64_t> memory_high_bytes;        // the MemoryHigh set; absent when not throttled
  std::optional<std::uint64_t> prior_memory_high_bytes;  // the one it replaced; absent for infinity
  bool frozen = false;
  bool stopped = false;
  bool by_operator = false;  // released only by an operator
  friend bool operator==(const ThrottleUnitRecord&, const ThrottleUnitRecord&) = default;
};

// GetThrottle's controls: whether this device can take an action (throttle, freeze), how or why not.
struct ThrottleControlRecord {
  std::string action;
  bool available = false;
  std::string note;
  friend bool operator==(const ThrottleControlRecord&, const ThrottleControlRecord&) = default;
};

// An action taken: GetThrottle's recent ones, and what Throttle and Release did.
struct ThrottleActionRecord {
  std::uint64_t time_usec = 0;  // CLOCK_REALTIME
  std::string unit;
  std::string action;                              // throttle, freeze, stop, thaw, restore_memory_high, start
  std::string origin;                              // pressure, operator, shutdown
  std::optional<std::uint64_t> memory_high_bytes;  // absent when none (or infinity)
  bool ok = false;
  std::string detail;  // the reason, or the error when !ok
  friend bool operator==(const ThrottleActionRecord&, const ThrottleActionRecord&) = default;
};

// GetHeadroom: what a new workload can take now, and what the ladder left could give (throttle/room.h).
struct RoomUnitRecord {
  std::string unit;
  std::string rung;  // throttle or stop
  std::uint64_t bytes = 0;
  friend bool operator==(const RoomUnitRecord&, const RoomUnitRecord&) = default;
};
struct RoomRecord {
  std::uint64_t mem_available_bytes = 0;
  std::uint64_t low_watermark_bytes = 0;
  std::uint64_t headroom_bytes = 0;
  std::uint64_t throttle_bytes = 0;
  std::vector<RoomUnitRecord> units;
  friend bool operator==(const RoomRecord&, const RoomRecord&) = default;
};

// MakeRoom's answer and GetRoomRequests' entries (throttle/make_room.h).
struct RoomRequestRecord {
  bool made = false;
  std::string message;
  std::uint64_t id = 0;
  std::string unit;
  std::uint64_t bytes = 0;
  std::uint64_t room_at_start_bytes = 0;
  std::vector<std::string> steps;
  std::vector<std::string> units;
  std::uint32_t caller_uid = 0;
  std::uint32_t hold_sec = 0;  // 0: until the unit's memory stops growing
  std::string phase;           // making, holding, queued
  friend bool operator==(const RoomRequestRecord&, const RoomRequestRecord&) = default;
};
BusRecord encodeRoomRequest(const RoomRequestRecord& r);
RoomRequestRecord decodeRoomRequest(const BusRecord& record);

// Explain: what the policy says of a unit and what the throttle would do to it (throttle/explain.h).
struct PolicyMatchRecord {
  std::string kind, name, pattern, where, detail;
  bool governs = false;
  friend bool operator==(const PolicyMatchRecord&, const PolicyMatchRecord&) = default;
};
struct ExplainRecord {
  std::string unit;
  bool in_ledger = false;
  std::uint64_t cost_bytes = 0;
  std::vector<PolicyMatchRecord> matches;
  bool is_protected = false;
  bool kept = false;
  bool essential = false;
  std::string never_acted_on;  // why; empty when the throttle may act on it
  std::string rung_now;
  std::optional<RoomUnitRecord> next;  // the next rung and what it gives
  std::vector<RoomUnitRecord> sequence;
  friend bool operator==(const ExplainRecord&, const ExplainRecord&) = default;
};

BusRecord encodeExplain(const ExplainRecord& explanation);
ExplainRecord decodeExplain(const BusRecord& record);

BusRecord encodeRoom(const RoomRecord& room);
RoomRecord decodeRoom(const BusRecord& record);

BusRecord encodeThrottleUnit(const ThrottleUnitRecord& unit);
ThrottleUnitRecord decodeThrottleUnit(const BusRecord& record);
BusRecord encodeThrottleControl(const ThrottleControlRecord& control);
ThrottleControlRecord decodeThrottleControl(const BusRecord& record);
BusRecord encodeThrottleAction(const ThrottleActionRecord& action);
ThrottleActionRecord decodeThrottleAction(const BusRecord& record);

}  // namespace jmem
