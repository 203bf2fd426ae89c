#include "ledger/process_reader.h"

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

ProcessDir::ProcessDir(int proc_root_fd, pid_t pid) : pid_(pid) {
  const std::string name = std::to_string(pid);
  fd_ = ::openat(proc_root_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) open_errno_ = errno;
}

ProcessDir::~ProcessDir() {
  if (fd_ >= 0) ::close(fd_);
  if (statm_fd_ >= 0) ::close(statm_fd_);
}

ProcessDir::ProcessDir(ProcessDir&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      statm_fd_(std::exchange(other.statm_fd_, -1)),
      open_errno_(other.open_errno_),
      pid_(other.pid_) {}

ProcessDir& ProcessDir::operator=(ProcessDir&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    if (statm_fd_ >= 0) ::close(statm_fd_);
    fd_ = std::exchange(other.fd_, -1);
    statm_fd_ = std::exchange(other.statm_fd_, -1);
    open_errno_ = other.open_errno_;
    pid_ = other.pid_;
  }
  return *this;
}

ReadOutcome ProcessDir::readIdentity(ProcessSample& sample, std::string& buffer) const {
  sample.pid = pid_;
  auto read = readFileAt(fd_, "comm", buffer, kMaxSmallFileBytes, "comm");
  if (!read) return outcomeFromErrno(read.error().errno_value);
  sample.comm = sanitizeName(trim(buffer));

  read = readFileAt(fd_, "cmdline", buffer, kMaxCmdlineBytes, "cmdline");
  if (!read) return outcomeFromErrno(read.error().errno_value);
  sample.cmdline = cmdlineFromProc(buffer);

  read = readFileAt(fd_, "status", buffer, kMaxSmallFileBytes, "status");
  if (!read) return outcomeFromErrno(read.error().errno_value);
  const auto uid = realUidFromStatus(buffer);
  if (!uid) return ReadOutcome::kInvalid;
  sample.uid = *uid;

  read = readFileAt(fd_, "cgroup", buffer, kMaxSmallFileBytes, "cgroup");
  if (!read) return outcomeFromErrno(read.error().errno_value);
  const auto path = systemdCgroupPath(buffer);
  sample.placement = placementFromCgroupPath(path.value_or("/"));
  return ReadOutcome::kRead;
}

ReadOutcome ProcessDir::readRollup(SmapsRollup& rollup, std::string& buffer) const {
  auto read = readFileAt(fd_, "smaps_rollup", buffer, kMaxSmallFileBytes, "smaps_rollup");
  if (!read && read.error().errno_value == ENOENT) {
    read = readFileAt(fd_, "smaps", buffer, kMaxSmapsBytes, "smaps");
  }
  if (!read) return outcomeFromErrno(read.error().errno_value);
  if (read->truncated) return ReadOutcome::kInvalid;
  auto parsed = parseSmapsRollup(buffer);
  if (!parsed) return ReadOutcome::kInvalid;
  rollup = *parsed;
  return rollup.has_memory ? ReadOutcome::kRead : ReadOutcome::kNoMemory;
}

ReadOutcome ProcessDir::readResidentPages(std::uint64_t& resident_pages, std::string& buffer) {
  if (statm_fd_ < 0) statm_fd_ = ::openat(fd_, "statm", O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (statm_fd_ < 0) {
    if (errno != EMFILE && errno != ENFILE) return outcomeFromErrno(errno);
    auto read = readFileAt(fd_, "statm", buffer, kMaxSmallFileBytes, "statm");
    if (!read) return outcomeFromErrno(read.error().errno_value);
  } else {
    // Seven numbers of at most 20 digits: one read of this size is the whole file.
    buffer.resize(kStatmBytes);
    ssize_t got = 0;
    while ((got = ::pread(statm_fd_, buffer.data(), buffer.size(), 0)) < 0 && errno == EINTR) {
    }
    if (got < 0) return outcomeFromErrno(errno);
    if (static_cast<std::size_t>(got) == buffer.size()) return ReadOutcome::kInvalid;
    buffer.resize(static_cast<std::size_t>(got));
  }
  const auto statm = parseStatm(buffer);
  if (!statm) return ReadOutcome::kInvalid;
  resident_pages = statm->resident_pages;
  // No address space at all (kernel threads, zombies); a swapped-out process still has a size.
  return statm->size_pages == 0 ? ReadOutcome::kNoMemory : ReadOutcome::kRead;
}

}  // namespace jmem
