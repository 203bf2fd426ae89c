// Rendering of the throttle: its lines in `status`, its JSON, and what throttle and release did.
#include <time.h>

#include <cstdio>

#include "core/clock.h"
#include "core/text.h"
#include "ctl/commands.h"

namespace jmem::ctl {
namespace {

std::string unitLine(const ThrottleUnitRecord& u) {
  std::string line = terminalSafe(u.unit) + ":";
  if (u.memory_high_bytes) {
    line += " MemoryHigh " + formatIec(*u.memory_high_bytes) + " (was " +
            (u.prior_memory_high_bytes ? formatIec(*u.prior_memory_high_bytes) : std::string("infinity")) +
            ")";
  }
  if (u.frozen) line += " frozen";
  if (u.stopped) line += " stopped";
  if (u.by_operator) line += " [operator]";
  return line;
}

Json knownBytes(const std::optional<std::uint64_t>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json actionJson(const ThrottleActionRecord& r) {
  return Json{{"time_usec", r.time_usec},
              {"unit", r.unit},
              {"action", r.action},
              {"origin", r.origin},
              {"memory_high_bytes", knownBytes(r.memory_high_bytes)},
              {"ok", r.ok},
              {"detail", r.detail}};
}

}  // namespace

std::string renderThrottle(const ThrottleView& t, const Style& style) {
  std::string out;
  auto row = [&](const char* label, const std::string& value) {
    char head[32];
    std::snprintf(head, sizeof head, "%12s: ", label);
    out += head + value + "\n";
  };
  std::string phase = terminalSafe(t.phase);
  if (phase != "calm") phase = paint(style, "33", phase);
  row("Throttle", phase + (t.units.empty() ? ", nothing applied"
                                           : ", " + std::to_string(t.units.size()) + " unit(s) held"));
  for (const auto& trigger : t.triggers) row("Trigger", terminalSafe(trigger));
  for (const auto& u : t.units) row("Holding", unitLine(u));
  for (const auto& would : t.would) row("Would", terminalSafe(would) + " (audit mode)");
  if (!t.waiting.empty()) row("Waiting", terminalSafe(t.waiting));
  for (const auto& c : t.controls) {
    if (!c.available) row("Cannot", terminalSafe(c.action + ": " + c.note));
  }
  for (const auto& room : t.rooms) row("Room", roomLine(room));
  if (!t.recent.empty()) {
    const auto& r = t.recent.back();
    row("Last action", clockTime(r.time_usec) + " " + (r.ok ? "" : "FAILED ") +
                           terminalSafe(r.action + " " + r.unit + " (" + r.origin + "): " + r.detail));
  }
  return out;
}

Json renderThrottleJson(const ThrottleView& t) {
  Json units = Json::array();
  for (const auto& u : t.units) {
    units.push_back(Json{{"unit", u.unit},
                         {"memory_high_bytes", knownBytes(u.memory_high_bytes)},
                         {"prior_memory_high_bytes", knownBytes(u.prior_memory_high_bytes)},
                         {"frozen", u.frozen},
                         {"stopped", u.stopped},
                         {"by_operator", u.by_operator}});
  }
  Json controls = Json::object();
  for (const auto& c : t.controls) controls[c.action] = Json{{"available", c.available}, {"note", c.note}};
  Json recent = Json::array();
  for (const auto& r : t.recent) recent.push_back(actionJson(r));
  Json rooms = Json::array();
  for (const auto& r : t.rooms) rooms.push_back(renderRoomJson(r));
  return Json{{"phase", t.phase},
              {"triggers", t.triggers},
              {"waiting", t.waiting},
              {"would", t.would},
              {"units", std::move(units)},
              {"controls", std::move(controls)},
              {"recent", std::move(recent)},
              {"rooms", rooms}};
}

std::string roomLine(const RoomRequestRecord& r) {
  std::string line = terminalSafe(r.phase) + " " + formatIec(r.bytes) + " for " +
                     (r.unit.empty() ? std::string("a load") : terminalSafe(r.unit)) + " (uid " +
                     std::to_string(r.caller_uid) + ")";
  if (!r.units.empty()) line += ": " + terminalSafe(join(r.units, ", "));
  return line;
}

std::string renderRoomAnswer(const RoomRequestRecord& r) {
  std::string out = terminalSafe(r.message) + "\n";
  if (r.made && r.phase == "holding")
    out += "Held " +
           (r.hold_sec > 0
                ? "for " + std::to_string(r.hold_sec) + " s"
                : std::string("until the memory of ") + (r.unit.empty() ? "the load" : terminalSafe(r.unit)) +
                      " stops growing (at most 600 s)") +
           (r.units.empty() ? "" : ": " + terminalSafe(join(r.units, ", ")) + " stay as they are") + ".\n";
  return out;
}

Json renderRoomJson(const RoomRequestRecord& r) {
  return Json{
      {"made", r.made},         {"message", r.message}, {"id", r.id},
      {"unit", r.unit},         {"bytes", r.bytes},     {"room_at_start_bytes", r.room_at_start_bytes},
      {"steps", r.steps},       {"units", r.units},     {"caller_uid", r.caller_uid},
      {"hold_sec", r.hold_sec}, {"phase", r.phase}};
}

std::string renderActions(const std::vector<ThrottleActionRecord>& actions) {
  if (actions.empty()) return "Nothing to do.\n";
  std::string out;
  for (const auto& a : actions)
    out +=
        std::string(a.ok ? "" : "FAILED ") + terminalSafe(a.action + " " + a.unit + ": " + a.detail) + "\n";
  return out;
}

Json renderActionsJson(const std::vector<ThrottleActionRecord>& actions) {
  Json list = Json::array();
  for (const auto& a : actions) list.push_back(actionJson(a));
  return Json{{"actions", std::move(list)}};
}

}  // namespace jmem::ctl
