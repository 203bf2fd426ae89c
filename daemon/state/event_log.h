#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jmem {

// What jmemd did or decided, as one entry of the system journal whose fields a fleet can query and
// `jmemctl log` reads back. Every entry has MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=jmemd and JMEM_EVENT;
// the others where they apply:
//   JMEM_UNIT    the unit it is about        JMEM_TARGET  what a change applies to (a unit or a path)
//   JMEM_ORIGIN  pressure, operator, enforce, shutdown or make-room
//   JMEM_RESULT  done, failed or reverted    JMEM_CALLER_UID  who asked, as the bus says
//   JMEM_MODE, JMEM_POLICY_FINGERPRINT, JMEM_POLICY_FILES, JMEM_VERDICT, JMEM_KIND, JMEM_ACTION,
//   JMEM_MEMORY_HIGH_BYTES, JMEM_FREEZE_METHOD, JMEM_ROOM_BYTES
namespace event {
inline constexpr std::string_view kStarted = "started";
inline constexpr std::string_view kStopping = "stopping";
inline constexpr std::string_view kPolicyLoaded = "policy_loaded";
inline constexpr std::string_view kPolicyRefused = "policy_refused";
inline constexpr std::string_view kVerdict = "verdict";     // the policy check's verdict changed
inline constexpr std::string_view kApply = "apply";         // an apply or an enforcement, as a whole
inline constexpr std::string_view kRevert = "revert";       // a revert, as a whole
inline constexpr std::string_view kChange = "change";       // one change of an apply or a revert
inline constexpr std::string_view kAction = "action";       // a throttle action
inline constexpr std::string_view kWouldAct = "would_act";  // audit mode: what enforce would do
// A request for room: JMEM_RESULT asked, made, failed or released (its hold over).
inline constexpr std::string_view kRoom = "room";
inline constexpr std::array<std::string_view, 11> kKinds = {
    kStarted, kStopping, kPolicyLoaded, kPolicyRefused, kVerdict, kApply,
    kRevert,  kChange,   kAction,       kWouldAct,      kRoom};
}  // namespace event

struct Event {
  std::string_view kind;  // one of event::kKinds
  int priority = 6;       // syslog's: 3 error, 4 warning, 5 notice, 6 info
  std::string message;
  // By name without the JMEM_ prefix ("UNIT"); an empty value is written as empty, so that an event
  // kind always has the same fields (an action's JMEM_FREEZE_METHOD is empty but for freeze and thaw).
  std::vector<std::pair<std::string_view, std::string>> fields;
};

// Pure: the entry's fields as the journal takes them, "NAME=value", MESSAGE first.
std::vector<std::string> journalFields(const Event& event);

// To the journal under systemd (JOURNAL_STREAM set, as logAction did), otherwise as a log line on
// stderr at its priority.
void logEvent(const Event& event);

}  // namespace jmem
