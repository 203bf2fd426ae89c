#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ledger.h"
#include "policy/policy.h"
#include "sources/kernel_cmdline.h"
#include "system/desktop_units.h"

namespace jmem::compliance {

// What the device looks like now, as far as the policy cares. Gathered by the Observer; plain data,
// so the check is a pure function of it.
struct UnitObservation {
  bool found = false;           // systemd knows a unit file (or a loaded unit) of this name
  std::string unit_file_state;  // enabled, disabled, masked, static, ...
  std::string active_state;     // active, inactive, failed, ...
  std::string load_state;       // loaded, not-found, masked, ... ("" when unknown)
  std::string file_error;       // why the unit file state could not be read ("" when it was)
  std::string state_error;      // why the loaded unit's state could not be read ("" when it was)
};

struct UserUnitObservation {
  bool found = false;  // a unit file in the user search path
  bool masked = false;
  std::string error;  // why the search path could not be read ("" when it was)
};

struct BootObservation {
  std::string cmdline_error;               // empty when /proc/cmdline was read
  std::optional<std::string> cmdline;      // what this boot used
  std::string next_error;                  // empty when extlinux.conf's DEFAULT APPEND was read
  std::optional<std::string> next_append;  // what the next boot will use
  // Whether extlinux.conf was written after this boot began: only then can what it says differ from
  // this boot because no reboot has happened yet. nullopt with next_written_error when unknown.
  std::optional<bool> next_written_this_boot;
  std::string next_written_error;
};

struct ObservedState {
  std::string default_target_error;
  std::optional<std::string> default_target;
  // Every unit the policy names, and every installed unit its globs match, by name.
  std::map<std::string, UnitObservation> system_units;
  std::map<std::string, UserUnitObservation> user_units;
  // Globs whose installed units could not be listed, with why: their units are unknown.
  std::map<std::string, std::string> unlisted_globs;
  BootObservation boot;
};

// kRebootPending: the next boot complies (extlinux.conf says what the policy wants) and this boot
// cannot until it reboots.
enum class ItemState { kOk, kDrift, kUnknown, kNotApplicable, kRebootPending };
std::string_view toString(ItemState state);  // ok, drift, unknown, not applicable, reboot pending

// The answer for the device as a whole, from its items: any drift is drift; else anything that could
// not be observed makes it unknown (never compliant); else a boot argument waiting for the reboot
// makes it reboot-pending; else compliant.
enum class Verdict { kCompliant, kRebootPending, kUnknown, kDrift };
std::string_view toString(Verdict verdict);  // compliant, reboot-pending, unknown, drift

enum class ItemKind {
  kDefaultTarget,
  kUnitFile,      // the unit file state a mask or disable asks for
  kUnitActive,    // running or not
  kUserUnitMask,  // a global user unit's mask
  kBootNow,       // a boot argument as this boot used it (/proc/cmdline)
  kBootNext,      // as the next boot will use it (extlinux.conf)
};
std::string_view toString(ItemKind kind);

// How an unknown item's actual begins, before why it could not be observed.
inline constexpr std::string_view kUnknownPrefix = "unknown: ";

// One line of `jmemctl check`.
struct CheckItem {
  ItemKind kind = ItemKind::kUnitFile;
  std::string subject;       // a unit, a target, "swiotlb", a boot argument
  std::string policy_class;  // gui, audio, ... ("" for the target and boot items)
  policy::UnitAction action = policy::UnitAction::kKeep;
  std::string expected;
  std::string actual;
  ItemState state = ItemState::kUnknown;
  std::uint64_t cost_bytes = 0;  // what the drift costs now: PSS + NvMap of the unit's processes
  policy::SourceLocation where;  // where the policy asks for it
};

struct CheckReport {
  std::vector<CheckItem> items;
  std::string policy_fingerprint;  // of the policy checked (policy_json.h), so a stale report shows
  // Seen with the check, for the reclaim report's desktop row: none before it was observed, or with
  // why it could not be.
  std::optional<DesktopUnits> desktop;
  std::string desktop_error;
  Verdict verdict() const;
  std::size_t count(ItemState state) const;  // items in this state
  bool compliant() const { return verdict() == Verdict::kCompliant; }
  std::uint64_t driftCostBytes() const;
};

// Pure: the policy against what was observed, with each drift priced from the ledger (may be null).
CheckReport checkCompliance(const policy::Policy& policy, const ObservedState& observed,
                            const Ledger* ledger);

// Whether the swiotlb= of a command line is what the rule asks for. Absent means no swiotlb= at all;
// a slab count is not met by noforce, which sets no pool aside.
bool swiotlbRuleHolds(const policy::SwiotlbRule& rule, const Swiotlb& swiotlb);

// The units a class covers on this device: its names, and the installed units its globs match.
std::vector<std::string> unitsOfClass(const policy::UnitClass& unit_class, const ObservedState& observed);

}  // namespace jmem::compliance
