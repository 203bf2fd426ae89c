#include "state/change_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "core/clock.h"
#include "core/file_reader.h"

namespace jmem {
namespace {

// An outcome or revert line differs from its intent line only in "state" and "time_usec".
constexpr std::size_t kLineSlackBytes = 32;
constexpr const char* kCompactFile = "changes.jsonl.tmp";

Status syncFd(int fd, const std::string& display_path) {
  if (::fsync(fd) != 0) return systemError("sync", display_path, errno);
  return ok();
}

Status syncDirectory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return systemError("open", dir.string(), errno);
  auto synced = syncFd(fd, dir.string());
  ::close(fd);
  return synced;
}

Status writeAll(int fd, std::string_view text, const std::string& display_path) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return systemError("write", display_path, errno);
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

std::optional<std::uint64_t> unsignedField(const nlohmann::json& record, const char* key) {
  const auto it = record.find(key);
  if (it == record.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

const std::string* stringField(const nlohmann::json& record, const char* key) {
  const auto it = record.find(key);
  if (it == record.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

}  // namespace

std::string_view toString(ChangeState state) {
  switch (state) {
    case ChangeState::kIntent:
      return "intent";
    case ChangeState::kDone:
      return "done";
    case ChangeState::kFailed:
      return "failed";
    case ChangeState::kReverted:
      return "reverted";
  }
  return "intent";
}

std::optional<ChangeState> parseChangeState(std::string_view text) {
  for (const auto state :
       {ChangeState::kIntent, ChangeState::kDone, ChangeState::kFailed, ChangeState::kReverted}) {
    if (toString(state) == text) return state;
  }
  return std::nullopt;
}

ChangeJournal::ChangeJournal(std::filesystem::path dir, ChangeJournalLimits limits)
    : dir_(std::move(dir)), path_(dir_ / kChangeJournalFile), limits_(limits) {}

ChangeJournal::~ChangeJournal() {
  if (fd_ >= 0) ::close(fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);  // releases the lock
}

Result<std::unique_ptr<ChangeJournal>> ChangeJournal::open(const std::filesystem::path& dir,
                                                           ChangeJournalLimits limits) {
  std::unique_ptr<ChangeJournal> journal(new ChangeJournal(dir, limits));
  const auto parent = dir.has_parent_path() ? dir.parent_path() : std::filesystem::path(".");
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) return systemError("create", parent.string(), error.value());
  if (::mkdir(dir.c_str(), 0700) == 0) {
    auto synced = syncDirectory(parent);
    if (!synced) return synced.error();
  } else if (errno != EEXIST) {
    return systemError("create", dir.string(), errno);
  }

  journal->dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (journal->dir_fd_ < 0) return systemError("open", dir.string(), errno);
  if (::flock(journal->dir_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Error{"Failed to lock " + dir.string() + ": another process has the change journal open", errno};
    }
    return systemError("lock", dir.string(), errno);
  }

  const std::string display = journal->path_.string();
  journal->fd_ = ::openat(journal->dir_fd_, kChangeJournalFile, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY);
  if (journal->fd_ < 0 && errno == ENOENT) {
    journal->fd_ = ::openat(journal->dir_fd_, kChangeJournalFile,
                            O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (journal->fd_ < 0) return systemError("create", display, errno);
    auto synced = syncFd(journal->dir_fd_, dir.string());
    if (!synced) return synced.error();
  }
  if (journal->fd_ < 0) return systemError("open", display, errno);
  // A compaction cut short leaves its temporary file behind; the journal itself is whole.
  ::unlinkat(journal->dir_fd_, kCompactFile, 0);

  auto loaded = journal->load();
  if (!loaded) return loaded.error();
  return journal;
}

Status ChangeJournal::load() {
  const std::string display = path_.string();
  std::string content;
  auto read = readFileAt(dir_fd_, kChangeJournalFile, content, limits_.max_file_bytes, display);
  if (!read) return read.error();
  if (read->truncated) {
    return Error{"Failed to open " + display + ": larger than its limit of " +
                     std::to_string(limits_.max_file_bytes) + " bytes",
                 EFBIG};
  }

  // Every record is written with one write() that ends in '\n': bytes after the last '\n' are a write
  // that a crash cut short. Its change was never made (recordIntent had not returned), so it goes.
  const auto last_newline = content.rfind('\n');
  const std::size_t whole = last_newline == std::string::npos ? 0 : last_newline + 1;
  if (whole < content.size()) {
    problems_.push_back(display + ": dropped a torn last line of " + std::to_string(content.size() - whole) +
                        " bytes (a write was cut short)");
    if (::ftruncate(fd_, static_cast<off_t>(whole)) != 0) return systemError("truncate", display, errno);
    auto synced = syncFd(fd_, display);
    if (!synced) return synced.error();
    content.resize(whole);
  }
  size_bytes_ = content.size();

  std::string_view rest(content);
  std::size_t line_number = 0;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const std::string_view text = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    ++line_number;
    const std::string where = display + ":" + std::to_string(line_number) + ": ";
    if (text.size() + 1 > limits_.max_line_bytes) {
      problems_.push_back(where + "skipped a line of " + std::to_string(text.size() + 1) +
                          " bytes, over the limit of " + std::to_string(limits_.max_line_bytes));
      continue;
    }
    const auto record = nlohmann::json::parse(text, nullptr, false);
    if (record.is_discarded() || !record.is_object()) {
      problems_.push_back(where + "skipped a line that is not a JSON object");
      continue;
    }
    apply(record, line_number, text.size() + 1);
  }
  return ok();
}

void ChangeJournal::apply(const nlohmann::json& record, std::size_t line_number, std::size_t line_bytes) {
  const std::string where = path_.string() + ":" + std::to_string(line_number) + ": ";
  const auto seq = unsignedField(record, "seq");
  const auto time_usec = unsignedField(record, "time_usec");
  const std::string* txn = stringField(record, "txn");
  const std::string* kind = stringField(record, "kind");
  const std::string* target = stringField(record, "target");
  const std::string* state_text = stringField(record, "state");
  const auto state = state_text ? parseChangeState(*state_text) : std::nullopt;
  if (!seq || *seq == 0 || !time_usec || !txn || !kind || kind->empty() || !target || !state ||
      !record.contains("before") || !record.contains("after")) {
    problems_.push_back(where + "skipped a record with missing or invalid fields");
    return;
  }
  next_seq_ = std::max(next_seq_, *seq + 1);
  // A copy, not record_state: GCC 12 at -O2 takes the checked optional for possibly uninitialized.
  const ChangeState record_state = state.value_or(ChangeState::kIntent);

  auto it = entries_.find(*seq);
  if (record_state == ChangeState::kIntent) {
    if (it != entries_.end()) {
      problems_.push_back(where + "skipped a second intent for change " + std::to_string(*seq));
      return;
    }
    Entry entry;
    entry.change =
        Change{*seq,       *txn,      *kind, *target, record["before"], record["after"], ChangeState::kIntent,
               *time_usec, *time_usec};
    entry.intent_line_bytes = line_bytes;
    entries_.emplace(*seq, std::move(entry));
    return;
  }
  if (it == entries_.end()) {
    problems_.push_back(where + "skipped the " + *state_text + " of change " + std::to_string(*seq) +
                        ", which has no intent");
    return;
  }
  Change& change = it->second.change;
  if (change.state == ChangeState::kReverted) {
    problems_.push_back(where + "skipped the " + *state_text + " of change " + std::to_string(*seq) +
                        ", which was reverted before");
    return;
  }
  change.state = record_state;
  change.state_time_usec = *time_usec;
}

Result<std::string> ChangeJournal::line(const Change& change, ChangeState state,
                                        std::uint64_t time_usec) const {
  // Written by hand to keep the keys in this order: a person reading the file sees seq and state first.
  try {
    std::string text = "{\"seq\":" + std::to_string(change.seq);
    text += ",\"txn\":" + nlohmann::json(change.txn).dump();
    text += ",\"state\":\"" + std::string(toString(state)) + "\"";
    text += ",\"kind\":" + nlohmann::json(change.kind).dump();
    text += ",\"target\":" + nlohmann::json(change.target).dump();
    text += ",\"before\":" + change.before.dump();
    text += ",\"after\":" + change.after.dump();
    text += ",\"time_usec\":" + std::to_string(time_usec) + "}\n";
    return text;
  } catch (const nlohmann::json::exception& e) {
    return Error{"Failed to record the change to " + change.target + ": " + e.what(), EINVAL};
  }
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
  auto written = writeAll(fd_, text, display);
  if (written) written = syncFd(fd_, display);
  if (!written) {
    // Take back a partial line; if even that fails, what is on disk is unknown from here on.
    if (::ftruncate(fd_, static_cast<off_t>(size_bytes_)) != 0 || ::fsync(fd_) != 0) broken_ = true;
    return written.error();
  }
  size_bytes_ += text.size();
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
  const std::uint64_t now = realtimeUsec();
  Change change{
      next_seq_, intent.txn, intent.kind, intent.target, intent.before, intent.after, ChangeState::kIntent,
      now,       now};
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
  if (!fits()) {
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
  entries_.emplace(change.seq, Entry{std::move(change), text->size()});
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
  return appendState(seq, ChangeState::kReverted, "mark reverted");
}

std::vector<Change> ChangeJournal::pendingForRevert() const {
  std::vector<Change> pending;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->second.change.state != ChangeState::kReverted) pending.push_back(it->second.change);
  }
  return pending;
}

std::optional<Change> ChangeJournal::find(std::uint64_t seq) const {
  const auto it = entries_.find(seq);
  if (it == entries_.end()) return std::nullopt;
  return it->second.change;
}

Status ChangeJournal::compact() {
  const std::string display = path_.string();
  if (broken_) {
    return Error{"Failed to compact " + display + ": an earlier write or sync failed; reopen the journal",
                 EIO};
  }
  const std::uint64_t newest = entries_.empty() ? 0 : entries_.rbegin()->first;
  std::string content;
  std::map<std::uint64_t, Entry> kept;
  for (const auto& [seq, entry] : entries_) {
    if (entry.change.state == ChangeState::kReverted && seq != newest) continue;
    auto intent = line(entry.change, ChangeState::kIntent, entry.change.intent_time_usec);
    if (!intent) return intent.error();
    content += *intent;
    if (entry.change.state != ChangeState::kIntent) {
      auto state = line(entry.change, entry.change.state, entry.change.state_time_usec);
      if (!state) return state.error();
      content += *state;
    }
    kept.emplace(seq, entry);
  }

  const std::string temporary = (dir_ / kCompactFile).string();
  const int fd = ::openat(dir_fd_, kCompactFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0) return systemError("create", temporary, errno);
  auto written = writeAll(fd, content, temporary);
  if (written) written = syncFd(fd, temporary);
  ::close(fd);
  if (written && ::renameat(dir_fd_, kCompactFile, dir_fd_, kChangeJournalFile) != 0) {
    written = systemError("replace", display, errno);
  }
  if (!written) {
    ::unlinkat(dir_fd_, kCompactFile, 0);
    return written.error();
  }

  // The new file is in place: from here on, a failure leaves the journal without a usable descriptor.
  ::close(fd_);
  fd_ = ::openat(dir_fd_, kChangeJournalFile, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY);
  if (fd_ < 0) {
    broken_ = true;
    return systemError("open", display, errno);
  }
  auto synced = syncFd(dir_fd_, dir_.string());
  if (!synced) {
    broken_ = true;
    return synced.error();
  }
  entries_ = std::move(kept);
  size_bytes_ = content.size();
  return ok();
}

}  // namespace jmem
