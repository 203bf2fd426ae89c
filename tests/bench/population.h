#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/result.h"

namespace jmem::bench {

inline constexpr std::uint64_t kMiB = 1024 * 1024;

struct PopulationOptions {
  std::size_t target_processes = 300;  // processes in /proc in total, those already there included
  std::uint64_t anon_bytes = 2048 * kMiB;
  std::uint64_t file_bytes = 3072 * kMiB;
  std::size_t churners = 4;
  std::filesystem::path file_dir;  // where the mapped file is created, unnamed (O_TMPFILE)
  std::chrono::seconds ready_timeout{300};
};

// What was built.
struct PopulationShape {
  std::size_t already_there = 0;  // processes in /proc before the first fork, this one included
  std::size_t sleepers = 0;
  std::size_t churners = 0;
  pid_t anon_pid = 0;    // holds anon_bytes of touched anonymous memory
  pid_t mapper_pid = 0;  // maps the whole file and has read every page
  pid_t sharer_pid = 0;  // maps the same file until unmapSharer(): halves the mapper's PSS meanwhile
  bool file_on_tmpfs = false;
  std::size_t children() const {
    return sleepers + churners + (anon_pid ? 1 : 0) + (mapper_pid ? 1 : 0) + (sharer_pid ? 1 : 0);
  }
};

// A process population for the benchmark, made of children of this process:
//   sleepers  idle, each with a small touched private allocation (64 KiB to 4 MiB);
//   anon      one holding a large touched anonymous allocation;
//   mapper    one mapping a large file and reading every page (a stand-in for model weights);
//   sharer    one mapping the same file, so that unmapping it later moves the mapper's PSS while the
//             mapper's resident set stays put: only the sampler's maximum age can notice that;
//   churners  a few that grow by a few MiB every 200 ms up to a cap, then free it all and start over.
// Children die with this process (PR_SET_PDEATHSIG). The file never has a name, so no exit path, not even
// SIGKILL, leaves it behind. The destructor kills and reaps every child.
class Population {
 public:
  // Waits, with a deadline, until every child has built its memory. `stop` is a signal handler's flag.
  static Result<std::unique_ptr<Population>> build(const PopulationOptions& options,
                                                   const volatile std::sig_atomic_t& stop);
  ~Population();
  Population(const Population&) = delete;
  Population& operator=(const Population&) = delete;

  const PopulationShape& shape() const { return shape_; }
  // This process or one of its children.
  bool owns(pid_t pid) const;

  // Asks the sharer to unmap the file and waits until it has.
  Status unmapSharer(std::chrono::seconds timeout, const volatile std::sig_atomic_t& stop);

 private:
  Population() = default;
  Status awaitReady(std::size_t expected, std::chrono::seconds timeout,
                    const volatile std::sig_atomic_t& stop);

  PopulationShape shape_;
  std::vector<pid_t> children_;
  int ready_fd_ = -1;    // read end: one byte per child when its memory is built
  int command_fd_ = -1;  // write end: commands to the sharer
};

// Processes listed in /proc right now.
std::size_t countProcesses();

}  // namespace jmem::bench
