#include "proc_pass.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "core/file_reader.h"
#include "core/text.h"
#include "sources/process_reader.h"

namespace jmem::bench {

std::chrono::nanoseconds threadCpuTime() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

Result<std::unique_ptr<ProcScanner>> ProcScanner::open(const std::filesystem::path& proc_root) {
  DIR* dir = ::opendir(proc_root.c_str());
  if (dir == nullptr) return systemError("open", proc_root.string(), errno);
  return std::unique_ptr<ProcScanner>(new ProcScanner(dir));
}

ProcScanner::~ProcScanner() {
  ::closedir(dir_);
}

template <typename Read>
PassResult ProcScanner::pass(Read read) {
  PassResult result;
  const auto start = threadCpuTime();
  ::rewinddir(dir_);
  const int root_fd = ::dirfd(dir_);
  while (const dirent* item = ::readdir(dir_)) {
    const auto pid = parseUnsigned(item->d_name);
    if (!pid || *pid == 0 || *pid > 0x3fffffff) continue;
    ++result.listed;
    ProcessDir dir(root_fd, static_cast<pid_t>(*pid));
    Reading reading;
    const ReadOutcome outcome = dir.isOpen() ? read(dir, reading) : outcomeFromErrno(dir.openErrno());
    if (outcome == ReadOutcome::kRead) {
      result.readings.emplace(dir.pid(), reading);
    } else if (outcome != ReadOutcome::kNoMemory) {
      ++result.unreadable;
    }
  }
  result.cpu = threadCpuTime() - start;
  return result;
}

PassResult ProcScanner::fullPass() {
  return pass([this](ProcessDir& dir, Reading& reading) {
    SmapsRollup rollup;
    const ReadOutcome outcome = dir.readRollup(rollup, buffer_);
    reading = {rollup.pss_bytes, rollup.rss_bytes};
    return outcome;
  });
}

PassResult ProcScanner::statmPass() {
  static const std::uint64_t page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return pass([this](ProcessDir& dir, Reading& reading) {
    std::uint64_t pages = 0;
    const ReadOutcome outcome = dir.readResidentPages(pages, buffer_);
    reading.rss_bytes = pages * page_bytes;
    return outcome;
  });
}

std::optional<std::uint64_t> ProcScanner::rollupPss(pid_t pid, std::chrono::nanoseconds& cpu) {
  const auto start = threadCpuTime();
  const ProcessDir dir(::dirfd(dir_), pid);
  SmapsRollup rollup;
  const ReadOutcome outcome = dir.isOpen() ? dir.readRollup(rollup, buffer_) : ReadOutcome::kExited;
  cpu = threadCpuTime() - start;
  if (outcome != ReadOutcome::kRead) return std::nullopt;
  return rollup.pss_bytes;
}

}  // namespace jmem::bench
