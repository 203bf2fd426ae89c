#include "sources/process_sampler.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "core/file_reader.h"
#include "core/text.h"

namespace jmem {

Result<std::unique_ptr<ProcessSampler>> ProcessSampler::open(const std::filesystem::path& proc_root,
                                                             SamplerOptions options) {
  DIR* dir = ::opendir(proc_root.c_str());
  if (dir == nullptr) return systemError("open", proc_root.string(), errno);
  return std::unique_ptr<ProcessSampler>(new ProcessSampler(dir, proc_root, options));
}

ProcessSampler::ProcessSampler(DIR* proc_dir, std::filesystem::path proc_root, SamplerOptions options)
    : proc_dir_(proc_dir), proc_root_(std::move(proc_root)), options_(options) {}

ProcessSampler::~ProcessSampler() {
  ::closedir(proc_dir_);
}

std::chrono::milliseconds ProcessSampler::firstDeadline(pid_t pid) const {
  // Spread over (0, max_age] by a hash of the PID, so a first tick over 300 processes does not
  // turn into 300 refreshes in the same later tick.
  const auto slot = (static_cast<std::uint64_t>(pid) * 2654435761u) % 1000 + 1;
  return options_.max_age * static_cast<std::int64_t>(slot) / 1000;
}

bool ProcessSampler::movedPastThreshold(const Entry& entry, std::uint64_t resident_pages) const {
  const std::uint64_t before = entry.resident_pages_at_read;
  const std::uint64_t delta_pages =
      resident_pages > before ? resident_pages - before : before - resident_pages;
  const std::uint64_t threshold_bytes =
      std::max(entry.sample->rollup.pss_bytes / 10000 * options_.refresh_threshold_permyriad,
               options_.refresh_threshold_floor_bytes);
  return delta_pages * options_.page_bytes > threshold_bytes;
}

void ProcessSampler::refresh(Entry& entry, SteadyClock::time_point now, std::chrono::milliseconds age,
                             TickStats& stats) {
  entry.refresh_due = now + age;
  // Read in place: a failed read leaves the entry out of samples() until one succeeds again.
  if (!entry.sample) entry.sample = std::make_unique<ProcessSample>();
  ProcessSample& sample = *entry.sample;
  const std::string comm_before = sample.comm;  // at most 15 bytes: no allocation
  entry.state = entry.dir.readIdentity(sample, buffer_);
  entry.identity_read = entry.state == ReadOutcome::kRead;
  if (entry.state != ReadOutcome::kRead) return;
  // The command line is the process's own until it execs, which also names it anew: read once per
  // process identity (this directory, this comm), not with every rollup.
  if (sample.comm != comm_before) entry.cmdline_read = false;
  if (!entry.cmdline_read) {
    ++stats.cmdline_reads;
    entry.state = entry.dir.readCmdline(sample.cmdline, buffer_);
    if (entry.state != ReadOutcome::kRead) return;
    entry.cmdline_read = true;
  }
  // statm first: a change that lands between the two reads is then seen by the next tick.
  std::uint64_t resident_pages = 0;
  const ReadOutcome statm = entry.dir.readResidentPages(resident_pages, buffer_);
  ++stats.statm_reads;
  if (statm != ReadOutcome::kRead) {
    // Kernel threads answer ESRCH for smaps_rollup; statm's zero size already says why.
    entry.state = statm;
    if (statm == ReadOutcome::kNoMemory) forgetSample(entry);
    return;
  }
  ++stats.rollup_reads;
  entry.state = entry.dir.readRollup(sample.rollup, buffer_);
  if (entry.state != ReadOutcome::kRead && entry.state != ReadOutcome::kNoMemory) return;
  entry.resident_pages_at_read = resident_pages;
  if (entry.state == ReadOutcome::kNoMemory) forgetSample(entry);
}

// Without memory for good (nothing refreshes it again): its identity is of no use to the ledger.
void ProcessSampler::forgetSample(Entry& entry) {
  entry.sample.reset();
  entry.cmdline_read = false;
}

TickStats ProcessSampler::tick(SteadyClock::time_point now) {
  TickStats stats;
  ++generation_;
  counts_.exited = 0;
  counts_.listed = 0;
  ::rewinddir(proc_dir_);
  const int root_fd = ::dirfd(proc_dir_);
  while (const dirent* item = ::readdir(proc_dir_)) {
    const auto pid_value = parseUnsigned(item->d_name);
    if (!pid_value || *pid_value == 0 || *pid_value > 0x3fffffff) continue;
    const auto pid = static_cast<pid_t>(*pid_value);
    ++counts_.listed;

    auto [it, inserted] = entries_.try_emplace(pid);
    Entry& entry = it->second;
    entry.generation = generation_;
    if (inserted) {
      ++stats.new_processes;
      entry.dir = ProcessDir(root_fd, pid, (proc_root_ / item->d_name).string());
      if (!entry.dir.isOpen()) {
        entry.state = outcomeFromErrno(entry.dir.openErrno());
        entry.refresh_due = now + options_.max_age;
      } else {
        refresh(entry, now, firstDeadline(pid), stats);
      }
    } else if (entry.state == ReadOutcome::kRead) {
      std::uint64_t resident_pages = 0;
      ++stats.statm_reads;
      const ReadOutcome statm = entry.dir.readResidentPages(resident_pages, buffer_);
      if (statm == ReadOutcome::kExited) {
        entry.state = statm;
      } else if (now >= entry.refresh_due) {
        ++stats.expired_refreshes;
        refresh(entry, now, options_.max_age, stats);
      } else if (statm != ReadOutcome::kRead || movedPastThreshold(entry, resident_pages)) {
        ++stats.moved_refreshes;
        refresh(entry, now, options_.max_age, stats);
      }
    } else if (entry.state != ReadOutcome::kNoMemory && entry.state != ReadOutcome::kExited &&
               now >= entry.refresh_due && entry.dir.isOpen()) {
      ++stats.expired_refreshes;
      refresh(entry, now, options_.max_age, stats);
    }
    if (entry.state == ReadOutcome::kExited) {
      ++counts_.exited;
      entries_.erase(it);
    }
  }
  std::erase_if(entries_, [&](const auto& item) { return item.second.generation != generation_; });
  recount();
  return stats;
}

void ProcessSampler::recount() {
  counts_.with_memory = counts_.without_memory = counts_.denied = counts_.invalid = 0;
  for (const auto& [pid, entry] : entries_) {
    switch (entry.state) {
      case ReadOutcome::kRead:
        ++counts_.with_memory;
        break;
      case ReadOutcome::kNoMemory:
        ++counts_.without_memory;
        break;
      case ReadOutcome::kDenied:
        ++counts_.denied;
        break;
      case ReadOutcome::kInvalid:
      case ReadOutcome::kExited:
        ++counts_.invalid;
        break;
    }
  }
}

std::vector<const ProcessSample*> ProcessSampler::current() const {
  std::vector<const ProcessSample*> out;
  out.reserve(counts_.with_memory);
  for (const auto& [pid, entry] : entries_) {
    if (entry.state == ReadOutcome::kRead) out.push_back(entry.sample.get());
  }
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->pid < b->pid; });
  return out;
}

std::vector<ProcessSample> ProcessSampler::samples() const {
  std::vector<ProcessSample> out;
  out.reserve(counts_.with_memory);
  for (const ProcessSample* sample : current()) out.push_back(*sample);
  return out;
}

std::vector<UnreadableProcess> ProcessSampler::unreadable() const {
  std::vector<UnreadableProcess> out;
  for (const auto& [pid, entry] : entries_) {
    if (entry.state != ReadOutcome::kDenied) continue;
    // The identity, read before the rollup was refused; none when even that was.
    const bool known = entry.sample && entry.identity_read;
    out.push_back({pid, known ? entry.sample->comm : std::string(),
                   known ? std::optional<uid_t>(entry.sample->uid) : std::nullopt});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
  if (out.size() > kMaxUnreadableKept) out.resize(kMaxUnreadableKept);
  return out;
}

std::vector<std::string> ProcessSampler::problems() const {
  std::vector<std::pair<pid_t, std::string>> found;
  for (const auto& [pid, entry] : entries_) {
    if (entry.state == ReadOutcome::kInvalid && !entry.dir.problem().empty())
      found.emplace_back(pid, entry.dir.problem());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  out.reserve(found.size());
  for (auto& item : found) out.push_back(std::move(item.second));
  return out;
}

}  // namespace jmem
