#include "ctl/verbs.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iostream>

#include "core/clock.h"
#include "core/text.h"
#include "ctl/history.h"
#include "ctl/journal_reader.h"
#include "ctl/monitor.h"
#include "ctl/top_screen.h"
#include "ctl/user_names.h"
#include "sources/cgroup_unit.h"

namespace jmem::ctl {
namespace {

int runStatus(GovernorClient* client, const CtlOptions& options, const Style& style) {
  const auto info = client->info();
  const auto system = client->system();
  const auto throttle = client->throttleState();
  const auto gpus = client->gpus();
  const auto room = client->headroom();
  if (options.json) {
    emit(jsonText(renderStatusJson(info, system, &throttle, &gpus, room ? &*room : nullptr),
                  options.json_short),
         options);
  } else {
    emit(renderStatus(info, system, {}, realtimeUsec(), style, &gpus, room ? &*room : nullptr) +
             renderThrottle(throttle, style) + "\n" + renderUnits(client->units(5, SortKey::kCost), style),
         options);
  }
  // A stale ledger fails status, after showing it: a script that asks "is jmemd well?" hears no.
  return info.sample_state == "stale" ? kExitFailure : kExitOk;
}

int runTop(GovernorClient* client, const CtlOptions& options, const Style& style) {
  return runTopScreen(*client, options, style);
}

int runMonitor(GovernorClient* client, const CtlOptions& options, const Style& style) {
  return monitor(*client, options, style);
}

int runReload(GovernorClient* client, const CtlOptions& options, const Style&) {
  client->reload();
  // Quiet in text, as systemctl reload; JSON says what is in force now.
  if (options.json) {
    const auto info = client->info();
    emit(jsonText(Json{{"reloaded", true}, {"mode", info.mode}}, options.json_short), options);
  }
  return kExitOk;
}

int runValidate(GovernorClient*, const CtlOptions& options, const Style&) {
  return validate(options);
}

int runCheck(GovernorClient* client, const CtlOptions& options, const Style& style) {
  const auto check = client->check();
  emit(options.json ? jsonText(renderCheckJson(check), options.json_short) : renderCheck(check, style),
       options);
  return checkExitCode(check);
}

int runPlan(GovernorClient* client, const CtlOptions& options, const Style& style) {
  const auto plan = client->plan();
  emit(options.json ? jsonText(renderPlanJson(plan), options.json_short) : renderPlan(plan, style), options);
  return plan.unknown.empty() ? kExitOk : kExitUnknown;
}

// An item that failed (a change not undone, a journal line set aside) fails the command, so that a
// package removal behind it stops instead of leaving changes without their journal.
int resultsExitCode(const std::vector<ChangeResultRecord>& results) {
  const bool failed =
      std::any_of(results.begin(), results.end(), [](const ChangeResultRecord& r) { return !r.ok; });
  return failed ? kExitFailure : kExitOk;
}

void printResults(const std::vector<ChangeResultRecord>& results, const char* verb,
                  const CtlOptions& options) {
  std::cout << (options.json ? jsonText(renderResultsJson(results), options.json_short)
                             : renderResults(results, verb))
            << std::flush;
}

int runApply(GovernorClient* client, const CtlOptions& options, const Style&) {
  const auto results = client->apply();
  printResults(results, "apply", options);
  return resultsExitCode(results);
}

int runRevert(GovernorClient* client, const CtlOptions& options, const Style&) {
  const auto results = client->revert();
  printResults(results, "revert", options);
  return resultsExitCode(results);
}

void printActions(const std::vector<ThrottleActionRecord>& actions, const CtlOptions& options) {
  std::cout << (options.json ? jsonText(renderActionsJson(actions), options.json_short)
                             : renderActions(actions))
            << std::flush;
}

int runThrottle(GovernorClient* client, const CtlOptions& options, const Style&) {
  printActions(client->throttle(options.unit), options);
  return kExitOk;
}

int runRelease(GovernorClient* client, const CtlOptions& options, const Style&) {
  printActions(client->release(options.unit), options);
  return kExitOk;
}

// For ExecStartPre= of a workload's unit: without --for, the room is for the unit jmemctl runs in.
int runMakeRoom(GovernorClient* client, const CtlOptions& options, const Style&) {
  std::string unit = options.room_for;
  if (unit.empty()) {
    unit = readOwnUnit("/proc");
    // Outside a service (a shell, a session scope) there is no workload to make room for.
    if (!unit.ends_with(".service")) unit.clear();
  }
  client->setCallTimeout(std::chrono::seconds(options.room_timeout_s + 30));
  const auto answer = client->makeRoom(options.room_bytes, unit, options.room_timeout_s, options.room_hold_s);
  std::cout << (options.json ? jsonText(renderRoomJson(answer), options.json_short)
                             : renderRoomAnswer(answer))
            << std::flush;
  return answer.made ? kExitOk : kExitNoRoom;
}

// The system journal and the change journals each may be out of reach; what is shown says which.
int runLog(GovernorClient*, const CtlOptions& options, const Style& style) {
  const LogQuery query{options.since_usec, options.log_unit, options.limit_given ? options.limit : 0};
  std::vector<std::string> notes;
  JournalEvents journal;
  bool journal_read = false;
  if (auto read = readJournalEvents(query.since_usec)) {
    journal = std::move(*read);
    journal_read = journal.reach.readable;
    if (!journal_read)
      notes.push_back(
          "The system journal is not shown: only root and the groups systemd-journal and adm may "
          "read it. Shown: what jmemd's change journals hold.");
  } else {
    notes.push_back(read.error().message);
  }
  std::vector<LogEntry> changes;
  bool changes_read = false;
  try {
    GovernorClient client;
    bool truncated = false;
    changes = entriesOfChanges(client.changes(&truncated));
    changes_read = true;
    if (truncated)
      notes.push_back("jmemd's change journals hold more than one reply carries: the oldest are left out.");
  } catch (const sdbus::Error& error) {
    notes.push_back("jmemd's change journals are not shown: " + describeError(error).message);
  }
  const auto reach = journal.reach;
  const auto entries = mergeHistory(std::move(journal.entries), changes, reach, query);
  const bool filled_in =
      std::any_of(entries.begin(), entries.end(), [](const LogEntry& e) { return e.source == "changes"; });
  if (journal_read && filled_in) {
    notes.push_back(
        reach.oldest_entry_usec
            ? "Before " + localDateTime(*reach.oldest_entry_usec) +
                  ", the system journal's first entry of jmemd, rows come from jmemd's change journals."
            : std::string("The system journal holds no entry of jmemd: rows come from jmemd's change "
                          "journals."));
  }
  if (options.json) {
    Json out{{"entries", renderLogJson(entries)}, {"notes", notes}};
    emit(jsonText(out, options.json_short), options);
  } else {
    for (const auto& note : notes) std::cerr << terminalSafe(note) << "\n";
    emit(entries.empty() ? std::string("No events.\n") : renderLog(entries, style), options);
  }
  return journal_read || changes_read ? kExitOk : kExitFailure;
}

int runReclaim(GovernorClient* client, const CtlOptions& options, const Style& style) {
  const auto reclaim = client->reclaim();
  emit(
      options.json ? jsonText(renderReclaimJson(reclaim), options.json_short) : renderReclaim(reclaim, style),
      options);
  return kExitOk;
}

int runHelp(GovernorClient*, const CtlOptions& options, const Style&) {
  std::cout << (options.help_verb.empty() ? ctlUsage() : verbUsage(options.help_verb));
  return kExitOk;
}

int runExplain(GovernorClient* client, const CtlOptions& options, const Style& style) {
  const auto explanation = client->explain(options.unit);
  emit(options.json ? jsonText(renderExplainJson(explanation), options.json_short)
                    : renderExplain(explanation, client->info().mode, style),
       options);
  return kExitOk;
}

constexpr std::array kVerbs{
    VerbEntry{"help", Verb::kHelp, Operands::kVerb, "help [COMMAND]",
              "  help [COMMAND]         This help, or one command's\n", runHelp, false},
    VerbEntry{"status", Verb::kStatus, Operands::kNone, "status",
              "  status                 The system at a glance (the default)\n", runStatus},
    VerbEntry{"top", Verb::kTop, Operands::kNone,
              "top [--units] [--lines N] [--sort KEY] [--full] [-b] [-n N]",
              "  top                    Processes by cost (PSS + NvMap), under their units; on a terminal a\n"
              "                         live screen, redrawn as jmemd announces changes, until q\n"
              "    --units              Units alone, without their processes\n"
              "    --lines N            Show N rows (default: the screen's height, else 20; 0 for all)\n"
              "    --sort KEY           pss, nvmap, gpu, cost (default) or name; keys p, v, g, c, n\n"
              "                         on the live screen, where u shows units alone, f command\n"
              "                         lines, and q quits\n"
              "    --full               Whole command lines instead of process names\n"
              "    -b, --batch          Plain snapshots, as when the output is no terminal\n"
              "    -n, --iterations N   Snapshots before exiting (default 1 off a terminal; 0: until\n"
              "                         interrupted)\n",
              runTop},
    VerbEntry{"monitor", Verb::kMonitor, Operands::kNone, "monitor",
              "  monitor                Print changes as the governor announces them, until interrupted\n",
              runMonitor},
    VerbEntry{"reload", Verb::kReload, Operands::kNone, "reload",
              "  reload                 Make jmemd reload its policy (root, or the polkit action "
              "org.jmem.governor1.manage)\n",
              runReload},
    VerbEntry{
        "validate", Verb::kValidate, Operands::kFiles,
        "validate [--base FILE | --builtin-base] [FILE...] [--drop-in FILE...]",
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
    VerbEntry{"check", Verb::kCheck, Operands::kNone, "check",
              "  check                  Each policy item: expected, actual, state, and what a drift costs "
              "now; the\n"
              "                         verdict is compliant, reboot-pending, unknown or drift\n",
              runCheck},
    VerbEntry{
        "plan", Verb::kPlan, Operands::kNone, "plan",
        "  plan                   The changes apply would make, and the memory expected back; the items it\n"
        "                         cannot plan, their state unknown\n",
        runPlan},
    VerbEntry{"apply", Verb::kApply, Operands::kNone, "apply",
              "  apply                  Make them, each recorded first so revert can undo it (authorized as "
              "reload)\n",
              runApply},
    VerbEntry{"revert", Verb::kRevert, Operands::kNone, "revert",
              "  revert                 Undo every change jmemd made, newest first (authorized as reload)\n",
              runRevert},
    VerbEntry{
        "throttle", Verb::kThrottle, Operands::kUnit, "throttle UNIT",
        "  throttle UNIT          Take the next step of UNIT's throttle ladder now: MemoryHigh, then freeze\n"
        "                         (authorized as reload; jmemd then never releases it by itself)\n",
        runThrottle},
    VerbEntry{
        "release", Verb::kRelease, Operands::kUnit, "release UNIT",
        "  release UNIT           Undo every throttle step in effect on UNIT, newest first (authorized as "
        "reload)\n",
        runRelease},
    VerbEntry{"explain", Verb::kExplain, Operands::kUnit, "explain UNIT",
              "  explain UNIT           Which classes, keep entries and workloads of the policy match UNIT\n"
              "                         (file:line:column of each), whether it is protected, kept or\n"
              "                         essential, the rung it is on and the next, and every step the\n"
              "                         throttle would take if pressure held, with what each gives back\n",
              runExplain},
    VerbEntry{
        "log", Verb::kLog, Operands::kNone, "log [--since TIME] [--unit UNIT] [--lines N]",
        "  log                    What jmem did and decided: policy loads and refusals, checks, each\n"
        "                         change of an apply or revert, throttle actions, audit decisions,\n"
        "                         with origin, result and time, from the system journal and jmemd's\n"
        "                         change journals (these alone where the journal does not reach)\n"
        "    --since TIME         From TIME: 2026-12-04 14:03, 14:03, today, yesterday, -2h, 30min ago\n"
        "    --unit UNIT          Only what concerns UNIT\n"
        "    --lines N            Only the newest N\n",
        runLog, false},
    VerbEntry{"reclaim", Verb::kReclaim, Operands::kNone, "reclaim",
              "  reclaim                What each knob of NVIDIA's memory guide would give back on this\n"
              "                         device now, measured, NVIDIA's figure beside it: the desktop, each\n"
              "                         class of the policy, swiotlb, carveouts, the container runtime,\n"
              "                         GPU buffers outside workloads; how to get it and whether the\n"
              "                         policy takes it already\n",
              runReclaim},
    VerbEntry{
        "make-room", Verb::kMakeRoom, Operands::kSize, "make-room SIZE [--for UNIT] [--timeout S] [--hold S]",
        "  make-room SIZE         Before a load (ExecStartPre=): wait until SIZE (700M, 1.5G) is available\n"
        "                         above the policy's low watermark, made by dropping the page cache, then\n"
        "                         throttling, freezing (stopping where allowed) workloads of lower\n"
        "                         priority; hold it, then let go (authorized as reload; exit 8: no room)\n"
        "    --for UNIT           The unit room is made for (default: the service jmemctl runs in)\n"
        "    --timeout S          Give up after S seconds (default 60, at most 600)\n"
        "    --hold S             Keep the room S seconds (default: until UNIT stops growing)\n",
        runMakeRoom},
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
  // --help on any command is the help command's.
  const VerbEntry& entry = verbEntry(options.help ? Verb::kHelp : options.verb);
  Style style;
  style.legend = !options.no_legend;
  style.full_command = options.full;
  style.user_name = &userName;
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
