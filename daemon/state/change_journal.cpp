#include "state/change_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>

#include "core/clock.h"
#include "core/file_reader.h"
#include "core/file_writer.h"

namespace jmem {
namespace {

// An outcome or revert line differs from its intent line only in "state" and "time_usec".
constexpr std::size_t kLineSlackBytes = 32;

// The file from its start, through the descriptor already checked; one byte past max_bytes tells a
// file at its limit from one over it.
Result<std::string> readAllFrom(int fd, std::size_t max_bytes, const std::string& display_path) {
  std::string content;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(content.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return systemError("read", display_path, errno);
    }
    if (n == 0) return content;
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > max_bytes) {
      return Error{"Failed to open " + display_path + ": larger than its limit of " +
                       std::to_string(max_bytes) + " bytes",
                   EFBIG};
    }
  }
}

bool sameSubject(const Change& change, const JournalRecord& record) {
  return change.txn == record.txn && change.kind == record.kind && change.target == record.target &&
         change.before == record.before && change.after == record.after;
}

}  // namespace

ChangeJournal::ChangeJournal(std::filesystem::path dir, ChangeJournalLimits limits)
    : dir_(std::move(dir)), path_(dir_ / kChangeJournalFile), limits_(limits) {}

Result<std::unique_ptr<ChangeJournal>> ChangeJournal::open(const std::filesystem::path& dir,
                                                           ChangeJournalLimits limits) {
  std::unique_ptr<ChangeJournal> journal(new ChangeJournal(dir, limits));
  auto dir_fd = openStateDirectory(dir);
  if (!dir_fd) return dir_fd.error();
  journal->dir_fd_ = std::move(*dir_fd);
  if (::flock(journal->dir_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Error{"Failed to lock " + dir.string() + ": another process has the change journal open", errno};
    }
    return systemError("lock", dir.string(), errno);
  }

  auto fd = openPrivateFileAt(journal->dir_fd_.get(), kChangeJournalFile, O_RDWR | O_APPEND,
                              journal->path_.string(), true);
  if (!fd) return fd.error();
  journal->fd_ = std::move(*fd);
  // A compaction cut short leaves its temporary file behind; the journal itself is whole. unlink never
  // follows a link.
  ::unlinkat(journal->dir_fd_.get(), kCompactFile, 0);

  auto loaded = journal->load();
  if (!loaded) return loaded.error();
  journal->compactIfGrown();
  return journal;
}

std::string ChangeJournal::describe(const JournalProblem& problem) const {
  if (problem.line == 0) return path_.string() + ": " + problem.what;
  return path_.string() + ":" + std::to_string(problem.line) + ": " + problem.what;
}

std::vector<std::string> ChangeJournal::problemMessages() const {
  std::vector<std::string> messages;
  for (const auto& problem : problems_) messages.push_back(describe(problem));
  return messages;
}

bool ChangeJournal::damaged() const {
  return std::any_of(problems_.begin(), problems_.end(), [](const JournalProblem& p) { return !p.repaired; });
}

// Every record is written with one write() that ends in '\n': bytes after the last '\n' are a write a
// crash cut short, whose recordIntent never returned, so its change was never made. Whole but for its
// newline (an editor that drops the last one), it is kept: an intent that may have happened is safe.
Status ChangeJournal::repairTail(std::string& content) {
  const std::string display = path_.string();
  const auto last_newline = content.rfind('\n');
  const std::size_t whole = last_newline == std::string::npos ? 0 : last_newline + 1;
  if (whole == content.size()) return ok();
  const std::size_t tail_bytes = content.size() - whole;
  const std::size_t line_number =
      static_cast<std::size_t>(std::count(content.begin(), content.end(), '\n')) + 1;
  if (tail_bytes < limits_.max_line_bytes && parseJournalRecord(std::string_view(content).substr(whole))) {
    auto written = writeAll(fd_.get(), "\n", display);
    if (written) written = syncFd(fd_.get(), display);
    if (!written) return written.error();
    content += '\n';
    problems_.push_back({line_number, "gave a whole last line the newline it lacked", true});
    return ok();
  }
  if (::ftruncate(fd_.get(), static_cast<off_t>(whole)) != 0) return systemError("truncate", display, errno);
  if (auto synced = syncFd(fd_.get(), display); !synced) return synced.error();
  content.resize(whole);
  problems_.push_back({line_number,
                       "dropped a torn last line of " + std::to_string(tail_bytes) +
                           " bytes (a write cut short by a crash; its change was never made)",
                       true});
  return ok();
}

Status ChangeJournal::load() {
  auto read = readAllFrom(fd_.get(), limits_.max_file_bytes, path_.string());
  if (!read) return read.error();
  std::string content = std::move(*read);
  if (auto repaired = repairTail(content); !repaired) return repaired.error();
  size_bytes_ = content.size();

  std::string_view rest(content);
  std::size_t line_number = 0;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const std::string_view text = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    ++line_number;
    if (text.size() + 1 > limits_.max_line_bytes) {
      problems_.push_back({line_number, "a line of " + std::to_string(text.size() + 1) +
                                            " bytes, over the limit of " +
                                            std::to_string(limits_.max_line_bytes)});
      continue;
    }
    auto record = parseJournalRecord(text);
    if (!record) {
      problems_.push_back({line_number, record.error().message});
      continue;
    }
    if (auto why = apply(*record, line_number, text.size() + 1)) problems_.push_back({line_number, *why});
  }
  lines_ = line_number;
  return ok();
}

// Takes one record in; why it does not follow from the lines before it, if it does not.
std::optional<std::string> ChangeJournal::apply(const JournalRecord& record, std::size_t line_number,
                                                std::size_t line_bytes) {
  const std::string change_name = "change " + std::to_string(record.seq);
  next_seq_ = std::max(next_seq_, record.seq + 1);
  auto it = entries_.find(record.seq);
  if (record.state == ChangeState::kIntent) {
    if (it != entries_.end()) return "a second intent for " + change_name;
    Entry entry;
    entry.change = Change{record.seq,   record.txn,   record.kind,      record.target,    record.before,
                          record.after, record.state, record.time_usec, record.time_usec, line_number};
    entry.intent_line_bytes = line_bytes;
    entries_.emplace(record.seq, std::move(entry));
    return std::nullopt;
  }
  const std::string state(toString(record.state));
  if (it == entries_.end()) return "the " + state + " of " + change_name + ", which has no intent before it";
  Change& change = it->second.change;
  if (!sameSubject(change, record))
    return "the " + state + " of " + change_name + " does not repeat its intent (line " +
           std::to_string(change.line) + ")";
  if (change.state == ChangeState::kReverted)
    return "the " + state + " of " + change_name + ", reverted before";
  if (record.state != ChangeState::kReverted && change.state != ChangeState::kIntent)
    return "a second outcome for " + change_name + ", already " + std::string(toString(change.state));
  change.state = record.state;
  change.state_time_usec = record.time_usec;
  it->second.state_line_bytes = line_bytes;
  return std::nullopt;
}

Result<std::string> ChangeJournal::line(const Change& change, ChangeState state,
                                        std::uint64_t time_usec) const {
  auto text = formatJournalRecord(JournalRecord{change.seq, change.txn, state, change.kind, change.target,
                                                change.before, change.after, time_usec});
  if (!text)
    return Error{"Failed to record the change to " + change.target + ": " + text.error().message, EINVAL};
  return text;
}

std::size_t ChangeJournal::reservedBytes() const {
  std::size_t reserved = 0;
  for (const auto& [seq, entry] : entries_) {
    const std::size_t lines_to_come = entry.change.state == ChangeState::kIntent     ? 2
                                      : entry.change.state == ChangeState::kReverted ? 0
                                                                                     : 1;
    reserved += lines_to_come * (entry.intent_line_bytes + kLineSlackBytes);
  }
  return reserved;
}

Status ChangeJournal::append(const std::string& text) {
  const std::string display = path_.string();
  if (broken_) {
    return Error{"Failed to write " + display + ": an earlier write or sync failed; reopen the journal", EIO};
  }
  if (size_bytes_ + text.size() > limits_.max_file_bytes) {
    return Error{"Failed to write " + display + ": it would pass its limit of " +
                     std::to_string(limits_.max_file_bytes) + " bytes",
                 EFBIG};
  }
  auto written = writeAll(fd_.get(), text, display);
  if (written) written = syncFd(fd_.get(), display);
  if (!written) {
    // Take back a partial line; if even that fails, what is on disk is unknown from here on.
    if (::ftruncate(fd_.get(), static_cast<off_t>(size_bytes_)) != 0 || ::fsync(fd_.get()) != 0)
      broken_ = true;
    return written.error();
  }
  size_bytes_ += text.size();
  ++lines_;
  revision_ = nextRevision();
  return ok();
}

std::string ChangeJournal::newTransactionId() {
  std::uint32_t random = 0;
  if (::getrandom(&random, sizeof random, 0) != static_cast<ssize_t>(sizeof random)) {
    random = static_cast<std::uint32_t>(::getpid());
  }
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "-%08x", random);
  return std::to_string(realtimeUsec()) + suffix;
}

Result<std::uint64_t> ChangeJournal::recordIntent(const ChangeIntent& intent) {
  if (intent.kind.empty())
    return Error{"Failed to record the change to " + intent.target + ": no kind", EINVAL};
  if (next_seq_ > kMaxJournalSeq)
    return Error{"Failed to record the change to " + intent.target + ": no sequence number is left",
                 EOVERFLOW};
  const std::uint64_t now = realtimeUsec();
  Change change{next_seq_,    intent.txn,           intent.kind, intent.target, intent.before,
                intent.after, ChangeState::kIntent, now,         now,           0};
  auto text = line(change, ChangeState::kIntent, now);
  if (!text) return text.error();
  const std::size_t max_intent_bytes = limits_.max_line_bytes - kLineSlackBytes;
  if (text->size() > max_intent_bytes) {
    return Error{"Failed to record the change to " + intent.target + ": its record of " +
                     std::to_string(text->size()) + " bytes is over the limit of " +
                     std::to_string(max_intent_bytes),
                 EMSGSIZE};
  }
  // Room for this line and, for it and every change not yet reverted, the lines still to come.
  const std::size_t needed = text->size() + 2 * (text->size() + kLineSlackBytes);
  const auto fits = [&] { return size_bytes_ + reservedBytes() + needed <= limits_.max_file_bytes; };
  if (!fits() && !damaged()) {
    auto compacted = compact();
    if (!compacted) return compacted.error();
  }
  if (!fits()) {
    return Error{"Failed to record the change to " + intent.target + ": " + path_.string() +
                     " would pass its limit of " + std::to_string(limits_.max_file_bytes) +
                     " bytes with the " + std::to_string(entries_.size()) +
                     " changes not yet reverted; revert them first",
                 EFBIG};
  }
  auto appended = append(*text);
  if (!appended) return appended.error();
  change.line = lines_;
  entries_.emplace(change.seq, Entry{std::move(change), text->size(), 0});
  return next_seq_++;
}

Status ChangeJournal::appendState(std::uint64_t seq, ChangeState state, std::string_view verb) {
  auto it = entries_.find(seq);
  if (it == entries_.end()) {
    return Error{"Failed to " + std::string(verb) + " change " + std::to_string(seq) + ": no such change",
                 ENOENT};
  }
  const std::uint64_t now = realtimeUsec();
  auto text = line(it->second.change, state, now);
  if (!text) return text.error();
  auto appended = append(*text);
  if (!appended) return appended.error();
  it->second.change.state = state;
  it->second.change.state_time_usec = now;
  it->second.state_line_bytes = text->size();
  return ok();
}

Status ChangeJournal::recordOutcome(std::uint64_t seq, ChangeState outcome) {
  const std::string what = "record the outcome of change " + std::to_string(seq);
  if (outcome != ChangeState::kDone && outcome != ChangeState::kFailed) {
    return Error{"Failed to " + what + ": an outcome is done or failed", EINVAL};
  }
  auto it = entries_.find(seq);
  if (it != entries_.end() && it->second.change.state != ChangeState::kIntent) {
    return Error{"Failed to " + what + ": it is already " + std::string(toString(it->second.change.state)),
                 EALREADY};
  }
  return appendState(seq, outcome, "record the outcome of");
}

Status ChangeJournal::markReverted(std::uint64_t seq) {
  auto it = entries_.find(seq);
  if (it != entries_.end() && it->second.change.state == ChangeState::kReverted) return ok();
  auto marked = appendState(seq, ChangeState::kReverted, "mark reverted");
  if (marked) compactIfGrown();
  return marked;
}

void ChangeJournal::reject(std::uint64_t seq, const std::string& why) {
  const auto it = entries_.find(seq);
  if (it == entries_.end()) return;
  problems_.push_back({it->second.change.line, why});
  entries_.erase(it);
  revision_ = nextRevision();
}

std::vector<Change> ChangeJournal::pendingForRevert() const {
  std::vector<Change> pending;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->second.change.state != ChangeState::kReverted) pending.push_back(it->second.change);
  }
  return pending;
}

std::uint64_t ChangeJournal::nextRevision() {
  static std::atomic<std::uint64_t> next{1};
  return next++;
}

std::vector<Change> ChangeJournal::history() const {
  std::vector<Change> changes;
  changes.reserve(entries_.size());
  for (const auto& [seq, entry] : entries_) changes.push_back(entry.change);
  return changes;
}

std::optional<Change> ChangeJournal::find(std::uint64_t seq) const {
  const auto it = entries_.find(seq);
  if (it == entries_.end()) return std::nullopt;
  return it->second.change;
}

}  // namespace jmem
