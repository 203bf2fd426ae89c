#include "ctl/verbs.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iostream>

#include "core/clock.h"
#include "core/text.h"

namespace jmem::ctl {
namespace {

int runStatus(GovernorClient* client, const CtlOptions& options, const Style& style) {
  const auto info = client->info();
  const auto system = client->system();
  const auto throttle = client->throttleState();
  const auto gpus = client->gpus();
  if (options.json) {
    emit(renderStatusJson(info, system, &throttle, &gpus), options);
  } else {
    emit(renderStatus(info, system, {}, realtimeUsec(), style, &gpus) + renderThrottle(throttle, style) +
             "\n" + renderUnits(client->units(5, SortKey::kCost), style),
         options);
  }
  // A stale ledger fails status, after showing it: a script that asks "is jmemd well?" hears no.
  return info.sample_state == "stale" ? kExitFailure : kExitOk;
}

int runTop(GovernorClient* client, const CtlOptions& options, const Style& style) {
  bool truncated = false;
  std::size_t shown = 0;
  if (options.units) {
    const auto units = client->units(options.limit, options.sort, &truncated);
    shown = units.size();
    emit(options.json ? renderUnitsJson(units) : renderUnits(units, style), options);
  } else {
    const auto processes = client->processes(options.limit, options.sort, &truncated);
    shown = processes.size();
    emit(options.json ? renderProcessesJson(processes) : renderProcesses(processes, style), options);
  }
  // On stderr, so that --json stays one document.
  if (truncated) {
    std::cerr << "jmemctl: only the first " << shown
              << " rows: jmemd bounds each reply to 4 MiB; ask for fewer with --lines\n";
  }
  return kExitOk;
}

int runMonitor(GovernorClient* client, const CtlOptions& options, const Style& style) {
  return monitor(*client, options, style);
}

int runReload(GovernorClient* client, const CtlOptions&, const Style&) {
  client->reload();
  return kExitOk;
}

int runValidate(GovernorClient*, const CtlOptions& options, const Style&) {
  return validate(options);
}

int runCheck(GovernorClient* client, const CtlOptions& options, const Style& style) {
  const auto check = client->check();
  emit(options.json ? renderCheckJson(check) : renderCheck(check, style), options);
  return checkExitCode(check);
}

int runPlan(GovernorClient* client, const CtlOptions& options, const Style& style) {
  const auto plan = client->plan();
  emit(options.json ? renderPlanJson(plan) : renderPlan(plan, style), options);
  return plan.unknown.empty() ? kExitOk : kExitUnknown;
}

// An item that failed (a change not undone, a journal line set aside) fails the command, so that a
// package removal behind it stops instead of leaving changes without their journal.
int resultsExitCode(const std::vector<ChangeResultRecord>& results) {
  const bool failed =
      std::any_of(results.begin(), results.end(), [](const ChangeResultRecord& r) { return !r.ok; });
  return failed ? kExitFailure : kExitOk;
}

int runApply(GovernorClient* client, const CtlOptions&, const Style&) {
  const auto results = client->apply();
  std::cout << renderResults(results, "apply") << std::flush;
  return resultsExitCode(results);
}

int runRevert(GovernorClient* client, const CtlOptions&, const Style&) {
  const auto results = client->revert();
  std::cout << renderResults(results, "revert") << std::flush;
  return resultsExitCode(results);
}

int runThrottle(GovernorClient* client, const CtlOptions& options, const Style&) {
  std::cout << renderActions(client->throttle(options.unit)) << std::flush;
  return kExitOk;
}

int runRelease(GovernorClient* client, const CtlOptions& options, const Style&) {
  std::cout << renderActions(client->release(options.unit)) << std::flush;
  return kExitOk;
}

constexpr std::array kVerbs{
    VerbEntry{"status", Verb::kStatus, Operands::kNone,
              "  status                 The system at a glance (the default)\n", runStatus},
    VerbEntry{"top", Verb::kTop, Operands::kNone,
              "  top                    Processes by cost (PSS + NvMap)\n"
              "    --units              Units instead of processes\n"
              "    -n N                 Show N rows (default 20; 0 for all)\n"
              "    --sort KEY           pss, nvmap, gpu or cost (default)\n",
              runTop},
    VerbEntry{"monitor", Verb::kMonitor, Operands::kNone,
              "  monitor                Print changes as the governor announces them, until interrupted\n",
              runMonitor},
    VerbEntry{"reload", Verb::kReload, Operands::kNone,
              "  reload                 Make jmemd reload its policy (root, or the polkit action "
              "org.jmem.governor1.manage)\n",
              runReload},
    VerbEntry{
        "validate", Verb::kValidate, Operands::kFiles,
        "  validate FILE...       Check policy files as jmemd would read them, without a running jmemd; "
        "every\n"
        "                         problem and warning as FILE:LINE:COLUMN (a warning does not fail a file).\n"
        "                         A file in a directory named policy.d, or named after --drop-in, is a\n"
        "                         drop-in: all of them are merged onto the base in the order of their "
        "names,\n"
        "                         as jmemd merges policy.d, and checked once. Any other file is a main\n"
        "                         policy, checked on its own\n"
        "    --drop-in FILE...    The files after it are drop-ins\n"
        "    --base FILE          The base (default: /etc/jmem/policy.toml where it exists, else the "
        "built-in\n"
        "                         default)\n"
        "    --builtin-base       The built-in default is the base\n",
        runValidate, false},
    VerbEntry{"check", Verb::kCheck, Operands::kNone,
              "  check                  Each policy item: expected, actual, state, and what a drift costs "
              "now; the\n"
              "                         verdict is compliant, reboot-pending, unknown or drift\n",
              runCheck},
    VerbEntry{
        "plan", Verb::kPlan, Operands::kNone,
        "  plan                   The changes apply would make, and the memory expected back; the items it\n"
        "                         cannot plan, their state unknown\n",
        runPlan},
    VerbEntry{"apply", Verb::kApply, Operands::kNone,
              "  apply                  Make them, each recorded first so revert can undo it (authorized as "
              "reload)\n",
              runApply},
    VerbEntry{"revert", Verb::kRevert, Operands::kNone,
              "  revert                 Undo every change jmemd made, newest first (authorized as reload)\n",
              runRevert},
    VerbEntry{
        "throttle", Verb::kThrottle, Operands::kUnit,
        "  throttle UNIT          Take the next step of UNIT's throttle ladder now: MemoryHigh, then freeze\n"
        "                         (authorized as reload; jmemd then never releases it by itself)\n",
        runThrottle},
    VerbEntry{
        "release", Verb::kRelease, Operands::kUnit,
        "  release UNIT           Undo every throttle step in effect on UNIT, newest first (authorized as "
        "reload)\n",
        runRelease},
};

}  // namespace

std::span<const VerbEntry> verbTable() {
  return kVerbs;
}

const VerbEntry* findVerb(std::string_view name) {
  const auto found =
      std::find_if(kVerbs.begin(), kVerbs.end(), [&](const VerbEntry& v) { return v.name == name; });
  return found == kVerbs.end() ? nullptr : &*found;
}

const VerbEntry& verbEntry(Verb verb) {
  return *std::find_if(kVerbs.begin(), kVerbs.end(), [&](const VerbEntry& v) { return v.verb == verb; });
}

int runCommand(const CtlOptions& options) {
  const VerbEntry& entry = verbEntry(options.verb);
  Style style;
  style.legend = !options.no_legend;
  const char* no_color = std::getenv("NO_COLOR");
  style.color = isatty(STDOUT_FILENO) && (no_color == nullptr || *no_color == '\0');
  if (!entry.needs_daemon) return entry.run(nullptr, options, style);
  try {
    GovernorClient client;
    return entry.run(&client, options, style);
  } catch (const sdbus::Error& error) {
    const auto described = describeError(error);
    // A reload's refusal lists one problem a line, each already made safe by jmemd.
    std::cerr << terminalSafeLines(described.message) << std::endl;
    return described.exit_code;
  }
}

}  // namespace jmem::ctl
