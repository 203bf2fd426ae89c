#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compliance/check.h"

namespace jmem::compliance {

struct PlannedChange {
  enum class Kind {
    kSetDefaultTarget,
    kMaskUnit,
    kDisableUnit,
    kStopUnit,
    kMaskUserUnit,
    kEditBootArguments
  };
  Kind kind = Kind::kStopUnit;
  std::string subject;           // the unit, "default.target", or the extlinux.conf path
  std::string before;            // as observed: "enabled", "graphical.target", "active", the old APPEND
  std::string after;             // what the change leads to
  std::uint64_t bytes_back = 0;  // memory expected back: the unit's cost now
};
std::string_view toString(PlannedChange::Kind kind);

struct Plan {
  std::vector<PlannedChange> changes;  // in the order apply makes them
  std::vector<std::string> notes;      // drift apply will not touch, and why
  // Items whose state could not be observed, so no change can be planned for them: "subject: why".
  std::vector<std::string> unknown;
  bool reboot_needed = false;  // the boot arguments change only at the next boot
  std::uint64_t bytesBack() const;
};

// Pure: the changes that bring the device to the policy, in a safe order: the default target, each
// unit's file (mask or disable, so nothing restarts it) before stopping it, user units, and the boot
// arguments last (only where the policy allows editing extlinux.conf).
Plan planChanges(const policy::Policy& policy, const CheckReport& report, const ObservedState& observed);

}  // namespace jmem::compliance
