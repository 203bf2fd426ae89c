#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "state/journal_record.h"
#include "state/private_files.h"

namespace jmem {

inline constexpr const char* kDefaultStateDir = "/var/lib/jmem";
inline constexpr const char* kChangeJournalFile = "changes.jsonl";
// Where compaction writes the journal anew before renaming it over the old.
inline constexpr const char* kCompactFile = "changes.jsonl.tmp";

// What the caller is about to change. kind names the mechanism ("default_target", "unit_file",
// "global_user_mask", "unit_active", "file"), target what it applies to (a unit name or a path), before
// the prior state, complete enough to restore it ({"unit_file_state": "enabled"}, {"target":
// "graphical.target"}, {"backup": "/var/lib/jmem/backup/..."}), after the state the change leads to.
// Both are flat objects (journal_record.h).
struct ChangeIntent {
  std::string txn;
  std::string kind;
  std::string target;
  nlohmann::json before = nlohmann::json::object();
  nlohmann::json after = nlohmann::json::object();
};

// A change as the journal knows it: its intent and the latest state recorded for it.
struct Change {
  std::uint64_t seq = 0;
  std::string txn;
  std::string kind;
  std::string target;
  nlohmann::json before;
  nlohmann::json after;
  ChangeState state = ChangeState::kIntent;
  std::uint64_t intent_time_usec = 0;  // CLOCK_REALTIME
  std::uint64_t state_time_usec = 0;
  std::size_t line = 0;  // the line of its intent in the file, for messages
};

struct ChangeJournalLimits {
  std::size_t max_line_bytes = 64 * 1024;
  std::size_t max_file_bytes = 16 * 1024 * 1024;
  // Past this size a file that is mostly history (changes reverted) is compacted.
  std::size_t compact_above_bytes = 256 * 1024;
};

// Something found wrong with the journal: a line set aside, or a repair jmemd made.
struct JournalProblem {
  std::size_t line = 0;   // 1-based; 0: the file as a whole
  std::string what;       // "not a JSON object", "dropped a torn last line of 40 bytes ..."
  bool repaired = false;  // a note: jmemd repaired it. Otherwise damage: the line stays, unread.
};

// The write-ahead record of every change the governor makes, so that each can be reverted exactly, also
// after a SIGKILL halfway through or a reboot. One append-only JSON Lines file, DIR/changes.jsonl, each
// line a record of journal_record.h: state "intent", then "done" or "failed", then "reverted"; every
// line of a change repeats its kind, target, before and after.
//
// Protocol: recordIntent() returns only once the line is on disk (fsync); make the change only then;
// record its outcome; revert in pendingForRevert() order and markReverted() each. A change whose intent
// has no outcome may or may not have happened: its revert must cope with either.
//
// Trust: DIR is checked as openStateDirectory() says and the file as openPrivateFileAt() does (no link,
// no FIFO, jmemd's own, writable by nobody else). Every line is checked against the schema and against
// the lines before it; one that fails is damage: set aside (never acted on, never rewritten away) and
// reported with its line number in problems(). The owner checks what each kind may say and reject()s
// a change outside it the same way. A journal with damage is incomplete: what the owner does with the
// rest is its call (compliance: nothing; the throttle: what it can verify). A torn last line, the mark
// of a crash mid-write, is repaired with a note: dropped, or given its newline if it is whole.
//
// One process at a time: open() takes an exclusive lock on the directory. The file stays bounded: a line
// over max_line_bytes is refused; an intent that would take the file past max_file_bytes (counting room
// for the outcome and revert lines of every change not yet reverted) first compacts away the reverted
// changes and is refused if that is not enough; a file past compact_above_bytes that is mostly reverted
// changes is compacted at open and after a revert. A damaged file is never compacted. One thread.
class ChangeJournal {
 public:
  // Creates the directory (0700) and the file (0600) if missing. A file over max_file_bytes, one that
  // fails the checks, or a lock held elsewhere keeps the journal from opening; damage does not.
  static Result<std::unique_ptr<ChangeJournal>> open(const std::filesystem::path& dir,
                                                     ChangeJournalLimits limits = {});
  ~ChangeJournal() = default;
  ChangeJournal(const ChangeJournal&) = delete;
  ChangeJournal& operator=(const ChangeJournal&) = delete;

  const std::vector<JournalProblem>& problems() const { return problems_; }
  // Each problem as "/var/lib/jmem/changes.jsonl:7: not a JSON object".
  std::vector<std::string> problemMessages() const;
  std::string describe(const JournalProblem& problem) const;
  // Some line is set aside: the journal may not say everything that was done.
  bool damaged() const;
  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& directory() const { return dir_; }
  // The state directory, held open and checked: for files kept beside the journal (backups).
  int directoryFd() const { return dir_fd_.get(); }

  // A fresh transaction id ("<time_usec>-<random hex>"), for grouping the changes of one apply.
  static std::string newTransactionId();

  // Appends the intent and syncs it before returning its sequence number (increasing, from 1).
  Result<std::uint64_t> recordIntent(const ChangeIntent& intent);
  // kDone or kFailed, once, for a change still in kIntent.
  Status recordOutcome(std::uint64_t seq, ChangeState outcome);
  // Marking a change reverted twice is no error (and writes nothing).
  Status markReverted(std::uint64_t seq);
  // Sets a pending change aside as damage: its owner found it outside what its kind may say.
  void reject(std::uint64_t seq, const std::string& why);

  // Every change not yet reverted, newest first: the order to undo them in.
  std::vector<Change> pendingForRevert() const;
  // Every change the journal holds (compaction drops reverted ones), oldest first: its history.
  std::vector<Change> history() const;
  // Moves on whenever what history() or problems() return may have changed; unique in the process, so
  // that two journals never share one.
  std::uint64_t revision() const { return revision_; }
  std::optional<Change> find(std::uint64_t seq) const;

  // Rewrites the file atomically with only the changes not yet reverted (and the newest change, so that
  // sequence numbers never repeat). Refused while damaged(): the lines set aside stay for a person.
  Status compact();

 private:
  struct Entry {
    Change change;
    std::size_t intent_line_bytes = 0;
    std::size_t state_line_bytes = 0;  // of its latest line after the intent; 0 while in kIntent
  };

  ChangeJournal(std::filesystem::path dir, ChangeJournalLimits limits);
  Status load();
  Status repairTail(std::string& content);
  std::optional<std::string> apply(const JournalRecord& record, std::size_t line_number,
                                   std::size_t line_bytes);
  Result<std::string> line(const Change& change, ChangeState state, std::uint64_t time_usec) const;
  Status append(const std::string& text);
  Status appendState(std::uint64_t seq, ChangeState state, std::string_view verb);
  std::size_t reservedBytes() const;
  void compactIfGrown();
  // What compact() writes: the live changes, numbered by their new lines.
  struct Compacted {
    std::string content;
    std::map<std::uint64_t, Entry> entries;
    std::size_t lines = 0;
  };
  Result<Compacted> compacted() const;
  Status replaceFileWith(const std::string& content);
  static std::uint64_t nextRevision();

  std::filesystem::path dir_;
  std::filesystem::path path_;
  ChangeJournalLimits limits_;
  UniqueFd dir_fd_;  // holds the lock
  UniqueFd fd_;
  std::size_t size_bytes_ = 0;
  std::size_t lines_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t revision_ = nextRevision();
  bool broken_ = false;  // a write or sync failed: what is on disk is unknown, so nothing more is recorded
  std::map<std::uint64_t, Entry> entries_;
  std::vector<JournalProblem> problems_;
};

}  // namespace jmem
