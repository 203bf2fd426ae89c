#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ctl/client.h"
#include "ctl/options.h"
#include "ledger/ledger_json.h"

namespace jmem::ctl {

using Json = nlohmann::ordered_json;

struct Style {
  bool color = false;  // a terminal, and NO_COLOR unset
  bool legend = true;
  bool full_command = false;  // --full: the command line, not the process name
  // A UID as the tables show it: the user's name where given, else the number.
  std::string (*user_name)(std::uint32_t uid) = nullptr;
};

// `text` in the SGR colour `code` ("31", "1") when the style has colour, else as it is.
std::string paint(const Style& style, const char* code, const std::string& text);

// Each command renders what the client returns; they only print, so they are pure of the bus.
// With `gpus`, a row per GPU NVML reports (or why there is none) after NvMap's; with `room`, the
// headroom and what more throttling could give.
std::string renderStatus(const GovernorInfo& info, const SystemRecord& system,
                         const std::vector<LedgerUnit>& top_units, std::uint64_t now_usec, const Style& style,
                         const GpuSnapshot* gpus = nullptr, const RoomRecord* room = nullptr);
Json renderStatusJson(const GovernorInfo& info, const SystemRecord& system,
                      const ThrottleView* throttle = nullptr, const GpuSnapshot* gpus = nullptr,
                      const RoomRecord* room = nullptr);
// "1.4G (MemAvailable 1.9G above available_low_mib 512.0M); throttling could give 1.1G more (...)"
std::string headroomLine(const RoomRecord& room);
Json roomJson(const RoomRecord& room);
// One unit's yield, or one step of the ladder: unit, rung, bytes.
Json roomUnitJson(const RoomUnitRecord& step);
// The JSON writes each process and unit as `jmemd --dump` does (ledger/ledger_json.h).
std::string renderProcesses(const std::vector<LedgerProcess>& processes, const Style& style);
Json renderProcessesJson(const std::vector<LedgerProcess>& processes);
std::string renderUnits(const std::vector<LedgerUnit>& units, const Style& style);
Json renderUnitsJson(const std::vector<LedgerUnit>& units);

// Writes a command's output, through a pager on a terminal unless --no-pager or --json.
void emit(const std::string& text, const CtlOptions& options);
// A command's JSON as text: indented, or on one line with --json=short; every character outside
// printable ASCII as \uXXXX (DEL, C1 and bidi controls included), so that JSON on a terminal is as
// safe as the tables; invalid UTF-8 becomes U+FFFD.
std::string jsonText(const Json& json, bool one_line = false);

// Runs a parsed command line (ctl/verbs.cpp); returns the exit code.
int runCommand(const CtlOptions& options);

}  // namespace jmem::ctl

namespace jmem::ctl {

// kExitOk, kExitDrift, kExitUnknown or kExitRebootPending, by the verdict.
int checkExitCode(const CheckView& check);
std::string renderCheck(const CheckView& check, const Style& style);
Json renderCheckJson(const CheckView& check);
std::string renderPlan(const PlanView& plan, const Style& style);
Json renderPlanJson(const PlanView& plan);
std::string renderResults(const std::vector<ChangeResultRecord>& results, const char* verb);
Json renderResultsJson(const std::vector<ChangeResultRecord>& results);

// The throttle: a section of `status`, its JSON, and what throttle and release did.
std::string renderThrottle(const ThrottleView& throttle, const Style& style);
Json renderThrottleJson(const ThrottleView& throttle);
std::string renderActions(const std::vector<ThrottleActionRecord>& actions);

// reclaim: what each knob would give back here, NVIDIA's figure beside it, and what makes it up.
std::string renderReclaim(const ReclaimRecord& reclaim, const Style& style);
// make-room's answer, and a request for room as status lists it.
std::string renderRoomAnswer(const RoomRequestRecord& answer);
std::string roomLine(const RoomRequestRecord& request);
Json renderRoomJson(const RoomRequestRecord& request);
Json renderReclaimJson(const ReclaimRecord& reclaim);

// explain UNIT: the policy's rules that match it, where they are written, and what the throttle would do.
std::string renderExplain(const ExplainRecord& explanation, const std::string& mode, const Style& style);
Json renderExplainJson(const ExplainRecord& explanation);
Json renderActionsJson(const std::vector<ThrottleActionRecord>& actions);

}  // namespace jmem::ctl
