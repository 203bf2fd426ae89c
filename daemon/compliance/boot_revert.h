#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace jmem::compliance {

// How to undo jmem's edit of extlinux.conf's DEFAULT APPEND without undoing anyone else's.
struct BootRevert {
  enum class Kind {
    kRestoreBackup,  // the file is as jmem wrote it: put the backup back, byte for byte
    kEditArguments,  // the file moved on, jmem's arguments did not: undo only those (text)
    kAlreadyUndone,  // jmem's arguments are back as they were: nothing to write
    kConflict,       // jmem's arguments were changed since: refuse, say what differs (detail)
  };
  Kind kind = Kind::kConflict;
  std::string text;    // the file to write, for kRestoreBackup and kEditArguments
  std::string detail;  // for the answer: which arguments were undone, or what conflicts
};

// Pure. `backup` is the file before jmem's edit, `current` the file now; jmem changed the DEFAULT
// entry's APPEND from `before_append` to `after_append`, in the entry labelled `label` (nullopt for a
// record that did not say: the entry DEFAULT names now). jmem's change is the set of arguments whose
// occurrences differ between the two APPENDs; each is undone where the current entry still has it as
// jmem left it, and the whole item is a conflict when any of them has been changed to something else,
// when the entry is gone or is no longer the DEFAULT.
Result<BootRevert> planBootRevert(std::string_view backup, std::string_view current,
                                  const std::string& before_append, const std::string& after_append,
                                  const std::optional<std::string>& label);

}  // namespace jmem::compliance
