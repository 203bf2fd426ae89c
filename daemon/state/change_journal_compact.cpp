// Compaction: a journal rewritten with only what is still live, so that it does not grow without
// bound on a device that throttles and releases for years.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "core/file_reader.h"
#include "core/file_writer.h"
#include "state/change_journal.h"
#include "state/private_files.h"

namespace jmem {

// A file past its threshold that is mostly history is rewritten with what is still live. A failure
// leaves the file as it was; it is noted (once per message) and tried again at the next revert.
void ChangeJournal::compactIfGrown() {
  if (damaged() || size_bytes_ <= limits_.compact_above_bytes) return;
  std::size_t live = 0;
  const std::uint64_t newest = entries_.empty() ? 0 : entries_.rbegin()->first;
  for (const auto& [seq, entry] : entries_) {
    if (entry.change.state != ChangeState::kReverted || seq == newest)
      live += entry.intent_line_bytes + entry.state_line_bytes;
  }
  if (live * 2 > size_bytes_) return;
  if (auto compacted = compact(); !compacted) {
    const std::string what = "could not compact: " + compacted.error().message;
    const bool noted = std::any_of(problems_.begin(), problems_.end(),
                                   [&](const JournalProblem& p) { return p.repaired && p.what == what; });
    if (!noted) problems_.push_back({0, what, true});
  }
}

Status ChangeJournal::compact() {
  const std::string display = path_.string();
  if (broken_) {
    return Error{"Failed to compact " + display + ": an earlier write or sync failed; reopen the journal",
                 EIO};
  }
  if (damaged()) {
    return Error{"Refusing to compact " + display + ": it has lines set aside, kept for a person to read",
                 EPERM};
  }
  auto next = compacted();
  if (!next) return next.error();
  if (Status replaced = replaceFileWith(next->content); !replaced) return replaced;

  // The new file is in place: from here on, a failure leaves the journal without a usable descriptor.
  auto reopened = openPrivateFileAt(dir_fd_.get(), kChangeJournalFile, O_RDWR | O_APPEND, display);
  if (!reopened) {
    broken_ = true;
    return reopened.error();
  }
  fd_ = std::move(*reopened);
  if (auto synced = syncFd(dir_fd_.get(), dir_.string()); !synced) {
    broken_ = true;
    return synced.error();
  }
  entries_ = std::move(next->entries);
  size_bytes_ = next->content.size();
  lines_ = next->lines;
  revision_ = nextRevision();
  return ok();
}

Result<ChangeJournal::Compacted> ChangeJournal::compacted() const {
  const std::uint64_t newest = entries_.empty() ? 0 : entries_.rbegin()->first;
  Compacted next;
  for (const auto& [seq, entry] : entries_) {
    if (entry.change.state == ChangeState::kReverted && seq != newest) continue;
    Entry copy = entry;
    auto intent = line(entry.change, ChangeState::kIntent, entry.change.intent_time_usec);
    if (!intent) return intent.error();
    next.content += *intent;
    copy.change.line = ++next.lines;
    copy.intent_line_bytes = intent->size();
    copy.state_line_bytes = 0;
    if (entry.change.state != ChangeState::kIntent) {
      auto state = line(entry.change, entry.change.state, entry.change.state_time_usec);
      if (!state) return state.error();
      next.content += *state;
      copy.state_line_bytes = state->size();
      ++next.lines;
    }
    next.entries.emplace(seq, std::move(copy));
  }
  return next;
}

// Written and synced under a temporary name, then renamed over the journal; on failure the journal
// is as it was and the temporary file is gone.
Status ChangeJournal::replaceFileWith(const std::string& content) {
  const std::string temporary = (dir_ / kCompactFile).string();
  // Whatever is at the temporary name goes (unlink never follows a link); the file is made anew.
  ::unlinkat(dir_fd_.get(), kCompactFile, 0);
  auto fd = openPrivateFileAt(dir_fd_.get(), kCompactFile, O_WRONLY, temporary, true);
  if (!fd) return fd.error();
  auto written = writeAll(fd->get(), content, temporary);
  if (written) written = syncFd(fd->get(), temporary);
  fd->reset();
  if (written && ::renameat(dir_fd_.get(), kCompactFile, dir_fd_.get(), kChangeJournalFile) != 0) {
    written = systemError("replace", path_.string(), errno);
  }
  if (!written) ::unlinkat(dir_fd_.get(), kCompactFile, 0);
  return written;
}

}  // namespace jmem
