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

#include "core/result.h"

namespace jmem::bench {

// CPU time of the calling thread, the kernel's work in its system calls (reading /proc) included.
std::chrono::nanoseconds threadCpuTime();

struct Reading {
  std::uint64_t pss_bytes = 0;  // 0 in a statm pass
  std::uint64_t rss_bytes = 0;
};

struct PassResult {
  std::unordered_map<pid_t, Reading> readings;  // processes with memory, by PID
  std::size_t listed = 0;
  std::size_t unreadable = 0;  // exited mid-pass, denied or invalid
  std::chrono::nanoseconds cpu{0};
};

// What a naive reader does every tick: list /proc, open each PID's directory, read and parse a file.
// The listing is kept open and rewound, as ProcessSampler does, so both pay the same for it.
class ProcScanner {
 public:
  static Result<std::unique_ptr<ProcScanner>> open(const std::filesystem::path& proc_root);
  ~ProcScanner();
  ProcScanner(const ProcScanner&) = delete;
  ProcScanner& operator=(const ProcScanner&) = delete;

  // smaps_rollup of every process: the baseline and the truth the sampler is compared with.
  PassResult fullPass();
  // statm of every process.
  PassResult statmPass();
  // One process's PSS and what reading it cost; nullopt when it could not be read.
  std::optional<std::uint64_t> rollupPss(pid_t pid, std::chrono::nanoseconds& cpu);

 private:
  explicit ProcScanner(DIR* dir) : dir_(dir) {}
  template <typename Read>
  PassResult pass(Read read);

  DIR* dir_;
  std::string buffer_;
};

}  // namespace jmem::bench
