#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "sources/process_reader.h"

namespace jmem {

using SteadyClock = std::chrono::steady_clock;

struct SamplerOptions {
  // The staleness bound: no process's PSS is older than this (plus one tick). 0 re-reads every tick.
  std::chrono::milliseconds max_age{std::chrono::seconds(30)};
  // A process's PSS is re-read at once when its resident set (statm) moved by more than this share of
  // its PSS, or by more than the floor, whichever is larger. Both are half the accuracy goal.
  std::uint32_t refresh_threshold_permyriad = 50;
  std::uint64_t refresh_threshold_floor_bytes = 512 * 1024;
  std::uint64_t page_bytes = 4096;
};

struct ProcessCounts {
  std::size_t listed = 0;          // PIDs in /proc at the last tick
  std::size_t with_memory = 0;     // in the ledger
  std::size_t without_memory = 0;  // kernel threads and zombies
  std::size_t exited = 0;          // gone mid-read during the last tick
  std::size_t denied = 0;          // not readable by this process
  std::size_t invalid = 0;         // files that did not parse
};

// A process whose memory this process may not read (ProcessCounts::denied), by what is known of it:
// its name and owner when /proc showed them (it hides them under hidepid=).
struct UnreadableProcess {
  pid_t pid = 0;
  std::string comm;  // "" when unknown
  std::optional<uid_t> uid;
  friend bool operator==(const UnreadableProcess&, const UnreadableProcess&) = default;
};
// Kept from a tick, so that each caller can be shown the first of those it may see; listed (dump, bus).
inline constexpr std::size_t kMaxUnreadableKept = 1024;
inline constexpr std::size_t kMaxUnreadableListed = 32;

// What one tick cost, for the benchmark and the daemon's own accounting.
struct TickStats {
  std::size_t rollup_reads = 0;  // smaps_rollup reads: the expensive ones, they take the mmap lock
  std::size_t statm_reads = 0;
  std::size_t new_processes = 0;
  std::size_t moved_refreshes = 0;    // re-read because statm moved past the threshold
  std::size_t expired_refreshes = 0;  // re-read because the reading reached max_age
  std::size_t cmdline_reads = 0;      // once per process identity
};

// Keeps every process's PSS current at a fraction of the cost of reading every smaps_rollup each
// tick: cheap statm counters are read every tick; smaps_rollup only for new processes, for processes
// whose resident set moved, and when a reading reaches its maximum age (deadlines are spread over
// the window so the refreshes do not bunch up).
class ProcessSampler {
 public:
  static Result<std::unique_ptr<ProcessSampler>> open(const std::filesystem::path& proc_root,
                                                      SamplerOptions options);
  ~ProcessSampler();
  ProcessSampler(const ProcessSampler&) = delete;
  ProcessSampler& operator=(const ProcessSampler&) = delete;

  TickStats tick(SteadyClock::time_point now);

  // Processes with memory, by PID: the sampler's own, valid until the next tick.
  std::vector<const ProcessSample*> current() const;
  // The same, copied, for a caller that keeps them past the next tick.
  std::vector<ProcessSample> samples() const;
  const ProcessCounts& counts() const { return counts_; }
  // Why each process counted invalid was skipped, naming its file, by PID.
  std::vector<std::string> problems() const;
  // The processes counted denied, by PID, the first kMaxUnreadableKept.
  std::vector<UnreadableProcess> unreadable() const;

 private:
  struct Entry {
    ProcessDir dir;
    // Only while the process may have memory: kernel threads, a third of /proc on a Jetson, hold none.
    std::unique_ptr<ProcessSample> sample;
    ReadOutcome state = ReadOutcome::kInvalid;
    std::uint64_t resident_pages_at_read = 0;
    SteadyClock::time_point refresh_due;
    std::uint64_t generation = 0;
    bool cmdline_read = false;   // sample.cmdline is this process identity's
    bool identity_read = false;  // sample.comm and sample.uid are this process's, as of the last read
  };

  ProcessSampler(DIR* proc_dir, std::filesystem::path proc_root, SamplerOptions options);
  void refresh(Entry& entry, SteadyClock::time_point now, std::chrono::milliseconds age, TickStats& stats);
  static void forgetSample(Entry& entry);
  bool movedPastThreshold(const Entry& entry, std::uint64_t resident_pages) const;
  std::chrono::milliseconds firstDeadline(pid_t pid) const;
  void recount();

  DIR* proc_dir_;
  std::filesystem::path proc_root_;
  SamplerOptions options_;
  std::unordered_map<pid_t, Entry> entries_;
  std::uint64_t generation_ = 0;
  std::string buffer_;
  ProcessCounts counts_;
};

}  // namespace jmem
