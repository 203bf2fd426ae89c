#include "compliance/change_events.h"

#include <algorithm>
#include <string>

namespace jmem::compliance {

std::vector<Event> changeEvents(bool apply, const ChangeOrigin& who,
                                const Result<std::vector<ChangeResult>>& outcome) {
  const std::string uid = who.caller_uid ? std::to_string(*who.caller_uid) : std::string();
  const std::string by = who.origin == "enforce"
                             ? std::string("Enforce mode, correcting drift from the policy")
                         : who.caller_uid ? (apply ? "Apply by uid " : "Revert by uid ") + uid
                                          : std::string(apply ? "Apply" : "Revert");
  const std::string_view whole = apply ? event::kApply : event::kRevert;
  const std::string done_word = apply ? "done" : "reverted";
  std::vector<Event> events;
  if (!outcome) {
    events.push_back({whole,
                      3,
                      by + " failed: " + outcome.error().message,
                      {{"ORIGIN", std::string(who.origin)}, {"CALLER_UID", uid}, {"RESULT", "failed"}}});
    return events;
  }
  std::size_t failed = 0;
  for (const ChangeResult& r : *outcome) {
    if (!r.ok) ++failed;
    events.push_back({event::kChange,
                      r.ok ? 5 : 3,
                      (r.ok ? "" : "Failed: ") + r.kind + " " + r.target + ": " + r.detail,
                      {{"KIND", r.kind},
                       {"TARGET", r.target},
                       {"UNIT", r.target.find('/') == std::string::npos ? r.target : std::string()},
                       {"ORIGIN", std::string(who.origin)},
                       {"CALLER_UID", uid},
                       {"RESULT", r.ok ? done_word : "failed"}}});
  }
  const std::size_t made = outcome->size() - failed;
  std::string message = by + ": " + std::to_string(made) + (made == 1 ? " change " : " changes ") +
                        (apply ? "made" : "reverted");
  if (failed > 0) message += ", " + std::to_string(failed) + " failed";
  if (outcome->empty()) message = by + ": nothing to change";
  events.push_back({whole,
                    failed > 0 ? 3 : 5,
                    message,
                    {{"ORIGIN", std::string(who.origin)},
                     {"CALLER_UID", uid},
                     {"RESULT", failed > 0 ? "failed" : done_word}}});
  return events;
}

}  // namespace jmem::compliance
