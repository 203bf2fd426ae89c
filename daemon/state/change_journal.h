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

namespace jmem {

inline constexpr const char* kDefaultStateDir = "/var/lib/jmem";
inline constexpr const char* kChangeJournalFile = "changes.jsonl";

enum class ChangeState { kIntent, kDone, kFailed, kReverted };
std::string_view toString(ChangeState state);
std::optional<ChangeState> parseChangeState(std::string_view text);

// What the caller is about to change. kind names the mechanism ("default_target", "unit_file",
// "global_user_mask", "unit_active", "file"), target what it applies to (a unit name or a path), before
// the prior state, complete enough to restore it ({"unit_file_state": "enabled"}, {"target":
// "graphical.target"}, {"backup": "/var/lib/jmem/backup/..."}), after the state the change leads to.
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
};

struct ChangeJournalLimits {
  std::size_t max_line_bytes = 64 * 1024;
  std::size_t max_file_bytes = 16 * 1024 * 1024;
};

// The write-ahead record of every change the governor makes, so that each can be reverted exactly, also
// after a SIGKILL halfway through or a reboot. One append-only JSON Lines file, DIR/changes.jsonl; each
// line {"seq", "txn", "state", "kind", "target", "before", "after", "time_usec"} where state is "intent",
// then "done" or "failed", then "reverted"; every line of a change repeats its kind, target, before and
// after.
//
// Protocol: recordIntent() returns only once the line is on disk (fdatasync); make the change only then;
// record its outcome; revert in pendingForRevert() order and markReverted() each. A change whose intent
// has no outcome may or may not have happened: its revert must cope with either.
//
// One process at a time: open() takes an exclusive lock on the directory. The file stays bounded: a line
// over max_line_bytes is refused; an intent that would take the file past max_file_bytes (counting room
// for the outcome and revert lines of every change not yet reverted) first compacts away the reverted
// changes and is refused if that is not enough. One thread.
class ChangeJournal {
 public:
  // Creates the directory (0700) and the file (0600) if missing. A torn last line (a write cut short by a
  // crash) is dropped and reported in problems(), as is any line that is not a valid record; neither
  // keeps the journal from opening. A file over max_file_bytes, or a lock held elsewhere, does.
  static Result<std::unique_ptr<ChangeJournal>> open(const std::filesystem::path& dir,
                                                     ChangeJournalLimits limits = {});
  ~ChangeJournal();
  ChangeJournal(const ChangeJournal&) = delete;
  ChangeJournal& operator=(const ChangeJournal&) = delete;

  // What open() skipped, one message per line: "/var/lib/jmem/changes.jsonl:7: ...".
  const std::vector<std::string>& problems() const { return problems_; }
  const std::filesystem::path& path() const { return path_; }

  // A fresh transaction id ("<time_usec>-<random hex>"), for grouping the changes of one apply.
  static std::string newTransactionId();

  // Appends the intent and syncs it before returning its sequence number (increasing, from 1).
  Result<std::uint64_t> recordIntent(const ChangeIntent& intent);
  // kDone or kFailed, once, for a change still in kIntent.
  Status recordOutcome(std::uint64_t seq, ChangeState outcome);
  // Marking a change reverted twice is no error (and writes nothing).
  Status markReverted(std::uint64_t seq);

  // Every change not yet reverted, newest first: the order to undo them in.
  std::vector<Change> pendingForRevert() const;
  std::optional<Change> find(std::uint64_t seq) const;

  // Rewrites the file atomically with only the changes not yet reverted (and the newest change, so that
  // sequence numbers never repeat).
  Status compact();

 private:
  struct Entry {
    Change change;
    std::size_t intent_line_bytes = 0;
  };

  ChangeJournal(std::filesystem::path dir, ChangeJournalLimits limits);
  Status load();
  void apply(const nlohmann::json& record, std::size_t line_number, std::size_t line_bytes);
  Result<std::string> line(const Change& change, ChangeState state, std::uint64_t time_usec) const;
  Status append(const std::string& text);
  Status appendState(std::uint64_t seq, ChangeState state, std::string_view verb);
  std::size_t reservedBytes() const;

  std::filesystem::path dir_;
  std::filesystem::path path_;
  ChangeJournalLimits limits_;
  int dir_fd_ = -1;
  int fd_ = -1;
  std::size_t size_bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  bool broken_ = false;  // a write or sync failed: what is on disk is unknown, so nothing more is recorded
  std::map<std::uint64_t, Entry> entries_;
  std::vector<std::string> problems_;
};

}  // namespace jmem
