#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/file_reader.h"
#include "core/result.h"
#include "core/shared_text.h"
#include "core/unique_fd.h"
#include "sources/cgroup_unit.h"
#include "sources/smaps_rollup.h"

namespace jmem {

// One process as the ledger sees it.
struct ProcessSample {
  pid_t pid = 0;
  std::string comm;
  SharedText cmdline;  // shared by the sampler and every ledger that holds the process
  uid_t uid = 0;
  UnitPlacement placement;
  SmapsRollup rollup;
};

enum class ReadOutcome {
  kRead,      // identity and rollup read
  kNoMemory,  // a kernel thread or a zombie: no smaps data
  kExited,    // gone between listing and reading
  kDenied,    // not ours to read (needs root or CAP_SYS_PTRACE)
  kInvalid,   // files that do not parse: skipped, never guessed
};

// A /proc/PID directory held open: every read goes through this fd, so a PID reused by a new
// process can never be mistaken for the one that was opened (reads fail with ESRCH instead).
class ProcessDir {
 public:
  ProcessDir() = default;
  // `display_dir` names the directory in problems ("/proc/42"); the PID when empty.
  ProcessDir(int proc_root_fd, pid_t pid, std::string display_dir = {});
  bool isOpen() const { return static_cast<bool>(fd_); }
  int openErrno() const { return open_errno_; }
  pid_t pid() const { return pid_; }

  // comm, uid and unit: what a process can change about itself while it lives (prctl, setuid, a move).
  ReadOutcome readIdentity(ProcessSample& sample, std::string& buffer) const;
  // The command line, which the caller reads once per process identity (see ProcessSampler).
  ReadOutcome readCmdline(SharedText& cmdline, std::string& buffer) const;
  // smaps_rollup, or the whole smaps on kernels without the rollup.
  ReadOutcome readRollup(SmapsRollup& rollup, std::string& buffer) const;
  // Resident pages from statm; kNoMemory when the process has no address space. Read every tick, so its
  // descriptor is kept and re-read from offset 0 (the kernel regenerates the text, and answers ESRCH once
  // the process is gone): a fifth of the cost of opening it each time. Out of descriptors, it falls back to
  // opening the file for each read.
  ReadOutcome readResidentPages(std::uint64_t& resident_pages, std::string& buffer);
  // Why the last read that ended kInvalid failed, naming the file ("/proc/42/statm: ..."); empty if none.
  const std::string& problem() const { return problem_; }

 private:
  UniqueFd fd_;
  UniqueFd statm_fd_;
  int open_errno_ = 0;
  pid_t pid_ = 0;
  std::string display_dir_;
  mutable std::string problem_;  // diagnostics only: the reads stay const for their callers

  static constexpr int kStatmNotRegular = -2;

  Result<FileRead> read(const char* file, std::string& buffer, std::size_t max_bytes) const;
  int openStatm() const;  // a descriptor, -1 with errno, or kStatmNotRegular
  ReadOutcome failed(const Error& error) const;
  ReadOutcome invalid(std::string_view file, std::string_view why) const;
};

ReadOutcome outcomeFromErrno(int errno_value);

}  // namespace jmem
