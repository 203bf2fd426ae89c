#include "sources/process_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "core/file_reader.h"
#include "core/text.h"
#include "sources/process_identity.h"
#include "sources/statm.h"

namespace jmem {
namespace {

constexpr std::size_t kMaxSmallFileBytes = 64 * 1024;
constexpr std::size_t kMaxSmapsBytes = 64 * 1024 * 1024;  // whole smaps of a large process, old kernels
constexpr std::size_t kStatmBytes = 256;

}  // namespace

ReadOutcome outcomeFromErrno(int errno_value) {
  switch (errno_value) {
    case ENOENT:
    case ESRCH:
      return ReadOutcome::kExited;
    case EACCES:
    case EPERM:
      return ReadOutcome::kDenied;
    default:
      return ReadOutcome::kInvalid;
  }
}

ProcessDir::ProcessDir(int proc_root_fd, pid_t pid, std::string display_dir)
    : pid_(pid), display_dir_(std::move(display_dir)) {
  const std::string name = std::to_string(pid);
  if (display_dir_.empty()) display_dir_ = name;
  // A /proc/PID is a directory, never a link: in an injected tree a link could lead anywhere.
  fd_.reset(::openat(proc_root_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd_) {
    open_errno_ = errno;
    if (outcomeFromErrno(open_errno_) == ReadOutcome::kInvalid)
      problem_ = systemError("open", display_dir_, open_errno_).message;
  }
}

ReadOutcome ProcessDir::failed(const Error& error) const {
  const ReadOutcome outcome = outcomeFromErrno(error.errno_value);
  if (outcome == ReadOutcome::kInvalid) problem_ = error.message;
  return outcome;
}

ReadOutcome ProcessDir::invalid(std::string_view file, std::string_view why) const {
  problem_ = display_dir_;
  problem_.append("/").append(file).append(": ").append(why);
  return ReadOutcome::kInvalid;
}

Result<FileRead> ProcessDir::read(const char* file, std::string& buffer, std::size_t max_bytes) const {
  return readFileAt(fd_.get(), file, buffer, max_bytes, display_dir_ + "/" + file, FinalSymlink::kRefuse);
}

ReadOutcome ProcessDir::readIdentity(ProcessSample& sample, std::string& buffer) const {
  sample.pid = pid_;
  auto read = this->read("comm", buffer, kMaxSmallFileBytes);
  if (!read) return failed(read.error());
  sample.comm = sanitizeName(trim(buffer));

  read = this->read("status", buffer, kMaxSmallFileBytes);
  if (!read) return failed(read.error());
  const auto uid = realUidFromStatus(buffer);
  if (!uid) return invalid("status", "no real UID");
  sample.uid = *uid;

  read = this->read("cgroup", buffer, kMaxSmallFileBytes);
  if (!read) return failed(read.error());
  const auto path = systemdCgroupPath(buffer);
  sample.placement = placementFromCgroupPath(path.value_or("/"));
  return ReadOutcome::kRead;
}

ReadOutcome ProcessDir::readCmdline(SharedText& cmdline, std::string& buffer) const {
  auto read = this->read("cmdline", buffer, kMaxCmdlineBytes);
  if (!read) return failed(read.error());
  cmdline = cmdlineFromProc(buffer);
  return ReadOutcome::kRead;
}

ReadOutcome ProcessDir::readRollup(SmapsRollup& rollup, std::string& buffer) const {
  const char* file = "smaps_rollup";
  auto read = this->read(file, buffer, kMaxSmallFileBytes);
  if (!read && read.error().errno_value == ENOENT) {
    file = "smaps";
    read = this->read(file, buffer, kMaxSmapsBytes);
  }
  if (!read) return failed(read.error());
  if (read->truncated) return invalid(file, "larger than a process's file can be");
  auto parsed = parseSmapsRollup(buffer);
  if (!parsed) return invalid(file, parsed.error().message);
  rollup = *parsed;
  return rollup.has_memory ? ReadOutcome::kRead : ReadOutcome::kNoMemory;
}

int ProcessDir::openStatm() const {
  UniqueFd fd(::openat(fd_.get(), "statm", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW));
  if (!fd) return -1;  // errno says why
  if (auto regular = requireRegularFile(fd.get(), display_dir_ + "/statm"); !regular) {
    problem_ = regular.error().message;
    return kStatmNotRegular;
  }
  return fd.release();
}

ReadOutcome ProcessDir::readResidentPages(std::uint64_t& resident_pages, std::string& buffer) {
  int open_errno = 0;
  if (!statm_fd_) {
    const int opened = openStatm();
    if (opened == kStatmNotRegular) return ReadOutcome::kInvalid;
    open_errno = errno;
    statm_fd_.reset(opened);
  }
  if (!statm_fd_) {
    if (open_errno != EMFILE && open_errno != ENFILE)
      return failed(systemError("open", display_dir_ + "/statm", open_errno));
    auto read = this->read("statm", buffer, kMaxSmallFileBytes);
    if (!read) return failed(read.error());
  } else {
    // Seven numbers of at most 20 digits: one read of this size is the whole file.
    buffer.resize(kStatmBytes);
    ssize_t got = 0;
    while ((got = ::pread(statm_fd_.get(), buffer.data(), buffer.size(), 0)) < 0 && errno == EINTR) {
    }
    if (got < 0) return failed(systemError("read", display_dir_ + "/statm", errno));
    if (static_cast<std::size_t>(got) == buffer.size()) return invalid("statm", "longer than seven numbers");
    buffer.resize(static_cast<std::size_t>(got));
  }
  const auto statm = parseStatm(buffer);
  if (!statm) return invalid("statm", "not the numbers statm holds");
  resident_pages = statm->resident_pages;
  // No address space at all (kernel threads, zombies); a swapped-out process still has a size.
  return statm->size_pages == 0 ? ReadOutcome::kNoMemory : ReadOutcome::kRead;
}

}  // namespace jmem
