#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "state/change_journal.h"

namespace jmem::compliance {

// The backups of the files apply rewrites, inside the state directory.
inline constexpr const char* kBackupDirectory = "backup";

// What a record of the policy's changes may say beyond the journal's own schema, from what apply
// writes (applier.cpp), so that a forged or damaged record is set aside instead of reverted.
struct RecordRules {
  std::string extlinux;              // the policy's boot.extlinux: the only file a record may name
  std::filesystem::path backup_dir;  // STATE_DIR/backup: where its backup must be
};

// Pure: why `change` is not a record apply could have written, or nullopt when it is. Per kind:
//   default_target    target default.target; before.target and after.target names of .target units;
//                     before.etc_link (optional) "" or a path ending in /before.target: the link
//                     /etc/systemd/system/default.target had, or none
//   unit_file         target a unit name, not an essential unit; before.unit_file_state and (optional)
//                     before.active_state strings; after.action mask or disable
//   unit_active       target a unit name, not an essential unit; before.active_state a string;
//                     after.active_state inactive
//   global_user_mask  target a unit name; before.masked and after.masked booleans
//   file              target rules.extlinux; before.backup BACKUP_DIR/extlinux.conf.TXN of its own
//                     transaction, before.append and after.append strings, after.label (optional) the
//                     LABEL of the entry edited
// and no other key in before or after. Any other kind is unknown.
std::optional<std::string> whyRejected(const Change& change, const RecordRules& rules);

// The name of a file record's backup inside the backup directory.
std::string backupName(const std::string& txn);

}  // namespace jmem::compliance
