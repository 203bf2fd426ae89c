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
};

// Each command renders what the client returns; they only print, so they are pure of the bus.
// With `gpus`, a row per GPU NVML reports (or why there is none) after NvMap's.
std::string renderStatus(const GovernorInfo& info, const SystemRecord& system,
                         const std::vector<LedgerUnit>& top_units, std::uint64_t now_usec, const Style& style,
                         const GpuSnapshot* gpus = nullptr);
std::string renderStatusJson(const GovernorInfo& info, const SystemRecord& system,
                             const ThrottleView* throttle = nullptr, const GpuSnapshot* gpus = nullptr);
// The JSON writes each process and unit as `jmemd --dump` does (ledger/ledger_json.h).
std::string renderProcesses(const std::vector<LedgerProcess>& processes, const Style& style);
std::string renderProcessesJson(const std::vector<LedgerProcess>& processes);
std::string renderUnits(const std::vector<LedgerUnit>& units, const Style& style);
std::string renderUnitsJson(const std::vector<LedgerUnit>& units);

// Writes a command's output, through a pager on a terminal unless --no-pager or --json.
void emit(const std::string& text, const CtlOptions& options);
// `jmemctl monitor`: every signal of jmemd as a line until interrupted; returns the exit code.
int monitor(GovernorClient& client, const CtlOptions& options, const Style& style);

// Runs a parsed command line (ctl/verbs.cpp); returns the exit code.
int runCommand(const CtlOptions& options);

}  // namespace jmem::ctl

namespace jmem::ctl {

// kExitOk, kExitDrift, kExitUnknown or kExitRebootPending, by the verdict.
int checkExitCode(const CheckView& check);
std::string renderCheck(const CheckView& check, const Style& style);
std::string renderCheckJson(const CheckView& check);
std::string renderPlan(const PlanView& plan, const Style& style);
std::string renderPlanJson(const PlanView& plan);
std::string renderResults(const std::vector<ChangeResultRecord>& results, const char* verb);

// The throttle: a section of `status`, its JSON, and what throttle and release did.
std::string renderThrottle(const ThrottleView& throttle, const Style& style);
Json renderThrottleJson(const ThrottleView& throttle);
std::string renderActions(const std::vector<ThrottleActionRecord>& actions);

}  // namespace jmem::ctl
