#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"
#include "sources/cgroup_unit.h"

namespace jmem {

// What occupies /etc/systemd/user/NAME, where `systemctl --global mask` puts its link.
enum class GlobalMaskEntry {
  kNone,         // nothing
  kNullSymlink,  // a symlink to /dev/null: the unit is masked for every user
  kOther,        // a unit file or a symlink elsewhere: an administrator's, never replaced or removed
};

struct GlobalUserUnitState {
  GlobalMaskEntry etc_entry = GlobalMaskEntry::kNone;
  bool masked() const { return etc_entry == GlobalMaskEntry::kNullSymlink; }
  // A unit file (or alias link) for the name, or for its template, in the user unit search path,
  // not counting the mask itself; unit_file is where, as the system sees it ("/usr/lib/systemd/user/x").
  bool unit_file_exists = false;
  std::string unit_file;
};

// The user units' global mask, which has no D-Bus API: `systemctl --global mask X` creates the symlink
// /etc/systemd/user/X -> /dev/null and `--global unmask` removes it. Everything is relative to `root`
// ("/" on the system), so tests run on a tree of their own. Running user managers see a change only
// after their own daemon-reload (or the next login).
class GlobalUserUnits {
 public:
  explicit GlobalUserUnits(std::filesystem::path root = "/") : root_(std::move(root)) {}

  Result<GlobalUserUnitState> state(std::string_view unit) const;
  // Both return whether anything changed; masking twice or unmasking what is not masked is no error.
  // Neither replaces nor removes anything but a symlink to /dev/null.
  Result<bool> maskGlobal(std::string_view unit) const;
  Result<bool> unmaskGlobal(std::string_view unit) const;

  // The user unit search path that state() looks through, in systemd's order.
  static const char* const kSearchPath[4];

 private:
  std::filesystem::path maskPath(std::string_view unit) const;

  std::filesystem::path root_;
};

}  // namespace jmem
