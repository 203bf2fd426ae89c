#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "ledger/ranking.h"

namespace jmem::ctl {

// Exit codes, as `jmemctl --help` and README.md list them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotRunning = 3;
inline constexpr int kExitDenied = 4;
inline constexpr int kExitDrift = 5;  // check: the device drifts from the policy
// check: nothing drifts but some item could not be observed; plan: some item could not be planned
inline constexpr int kExitUnknown = 6;
inline constexpr int kExitRebootPending = 7;  // check: compliant once the device reboots
inline constexpr int kExitNoRoom = 8;         // make-room: the room could not be made

enum class Verb {
  kHelp,
  kStatus,
  kTop,
  kMonitor,
  kReload,
  kValidate,
  kCheck,
  kPlan,
  kApply,
  kRevert,
  kThrottle,
  kRelease,
  kExplain,
  kLog,
  kReclaim,
  kMakeRoom
};

// The rows `top` shows when --lines does not say: a screen's worth on a terminal.
inline constexpr std::uint32_t kDefaultTopLines = 20;

struct CtlOptions {
  Verb verb = Verb::kStatus;
  bool help = false;      // --help, or the help verb
  std::string help_verb;  // help VERB, VERB --help: that verb's help alone
  bool version = false;
  bool json = false;
  bool json_short = false;  // --json=short: one line; --json and --json=pretty indent
  bool no_pager = false;
  bool no_legend = false;
  bool units = false;                      // top --units
  std::uint32_t limit = kDefaultTopLines;  // top --lines
  bool limit_given = false;
  SortKey sort = SortKey::kCost;
  bool full = false;   // top --full: whole command lines instead of the process name
  bool batch = false;  // top -b: plain snapshots, as when not on a terminal
  // top -n: snapshots to print before exiting; 0 until interrupted. Unset: the live screen until q on
  // a terminal, one snapshot elsewhere.
  std::optional<std::uint32_t> iterations;
  std::vector<std::string> files;     // validate FILE...: main policies, or drop-ins in a policy.d
  bool drop_in = false;               // validate --drop-in: the files after it are drop-ins
  std::vector<std::string> dropins;   // validate --drop-in FILE...
  std::string base;                   // validate --base FILE: what drop-ins merge onto
  bool builtin_base = false;          // validate --builtin-base
  std::string unit;                   // throttle UNIT, release UNIT, explain UNIT
  std::string log_unit;               // log --unit: its events alone
  std::uint64_t since_usec = 0;       // log --since: CLOCK_REALTIME; 0 for all
  std::uint64_t room_bytes = 0;       // make-room SIZE
  std::string room_for;               // make-room --for UNIT; "" for jmemctl's own unit, if any
  std::uint32_t room_timeout_s = 60;  // make-room --timeout
  std::uint32_t room_hold_s = 0;      // make-room --hold; 0: until the unit's memory stops growing
  bool room_option = false;           // any of the three given
};

// "700M", "1.5G", "512MiB", "4096": bytes, in powers of 1024 as jmem prints them; nullopt for
// anything else (no sign, no exponent, at most 1 TiB).
std::optional<std::uint64_t> parseSize(std::string_view text);

Result<CtlOptions> parseCtlOptions(const std::vector<std::string_view>& args);

std::string ctlUsage();
// One verb's help: its usage line, what it does and its options, then the options every verb takes.
std::string verbUsage(std::string_view verb);

// `jmemctl validate`, which needs no jmemd (ctl/validate.cpp); returns the exit code.
int validate(const CtlOptions& options);

}  // namespace jmem::ctl
