#include "population.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "core/file_reader.h"
#include "core/text.h"

namespace jmem::bench {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr auto kChurnInterval = std::chrono::milliseconds(200);

enum class Role { kSleeper, kAnon, kMapper, kSharer, kChurner };

struct ChildPlan {
  Role role = Role::kSleeper;
  std::uint64_t bytes = 0;       // sleeper, anon: the allocation; mapper, sharer: the file; churner: the cap
  std::uint64_t step_bytes = 0;  // churner: what it adds every interval
};

struct ChildFds {
  int ready = -1;    // write end: 'r' when built, 'f' on failure
  int command = -1;  // read end: the sharer's orders
  int file = -1;     // the mapped file
};

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

 private:
  int fd_;
};

volatile unsigned g_sink = 0;  // keeps the page reads of mapAndRead from being optimised away

std::uint64_t pageBytes() {
  return static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

void report(int fd, char byte) {
  while (::write(fd, &byte, 1) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void fail(const ChildFds& fds) {
  report(fds.ready, 'f');
  ::_exit(1);
}

[[noreturn]] void sleepForever() {
  for (;;) ::pause();
}

void* touchedAnonymous(std::uint64_t bytes) {
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return nullptr;
  std::memset(memory, 0x5a, bytes);
  return memory;
}

// Maps the whole file and reads one byte of every page, as a loader touching its weights would.
void* mapAndRead(int fd, std::uint64_t bytes) {
  void* memory = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (memory == MAP_FAILED) return nullptr;
  const auto* data = static_cast<const unsigned char*>(memory);
  const std::uint64_t page = pageBytes();
  unsigned sum = 0;
  for (std::uint64_t offset = 0; offset < bytes; offset += page) sum += data[offset];
  g_sink = sum;
  return memory;
}

[[noreturn]] void churn(const ChildPlan& plan, const ChildFds& fds) {
  std::vector<void*> chunks;
  chunks.reserve(plan.bytes / plan.step_bytes + 1);
  bool reported = false;
  for (;;) {
    if ((chunks.size() + 1) * plan.step_bytes > plan.bytes) {
      for (void* chunk : chunks) ::munmap(chunk, plan.step_bytes);
      chunks.clear();
    }
    void* chunk = touchedAnonymous(plan.step_bytes);
    if (chunk == nullptr) fail(fds);
    chunks.push_back(chunk);
    if (!reported) {
      report(fds.ready, 'r');
      reported = true;
    }
    timespec interval{0, std::chrono::nanoseconds(kChurnInterval).count()};
    while (::nanosleep(&interval, &interval) < 0 && errno == EINTR) {
    }
  }
}

const char* roleName(Role role) {
  switch (role) {
    case Role::kSleeper:
      return "bench-sleeper";
    case Role::kAnon:
      return "bench-anon";
    case Role::kMapper:
      return "bench-mapper";
    case Role::kSharer:
      return "bench-sharer";
    case Role::kChurner:
      return "bench-churner";
  }
  return "bench";
}

[[noreturn]] void runChild(const ChildPlan& plan, const ChildFds& fds, pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(0);  // the parent died before the line above
  ::prctl(PR_SET_NAME, roleName(plan.role));
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) std::signal(signal, SIG_DFL);
  if (plan.role != Role::kMapper && plan.role != Role::kSharer && fds.file >= 0) ::close(fds.file);
  if (plan.role != Role::kSharer) ::close(fds.command);

  switch (plan.role) {
    case Role::kSleeper:
    case Role::kAnon:
      if (touchedAnonymous(plan.bytes) == nullptr) fail(fds);
      report(fds.ready, 'r');
      sleepForever();
    case Role::kMapper:
      if (mapAndRead(fds.file, plan.bytes) == nullptr) fail(fds);
      ::close(fds.file);
      report(fds.ready, 'r');
      sleepForever();
    case Role::kSharer: {
      void* memory = mapAndRead(fds.file, plan.bytes);
      if (memory == nullptr) fail(fds);
      ::close(fds.file);
      report(fds.ready, 'r');
      char order = 0;
      ssize_t got = 0;
      while ((got = ::read(fds.command, &order, 1)) < 0 && errno == EINTR) {
      }
      if (got == 1) {
        ::munmap(memory, plan.bytes);
        report(fds.ready, 'r');
      }
      sleepForever();
    }
    case Role::kChurner:
      churn(plan, fds);
  }
  ::_exit(1);
}

// A file without a name (O_TMPFILE; else one unlinked at once), filled with data and flushed so that no
// writeback runs during the measurement.
Result<int> createUnnamedFile(const std::filesystem::path& dir, std::uint64_t bytes,
                              const volatile std::sig_atomic_t& stop) {
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd.get() < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string name = (dir / "jmem-bench-XXXXXX").string();
    fd = UniqueFd(::mkostemp(name.data(), O_CLOEXEC));
    if (fd.get() >= 0) ::unlink(name.c_str());
  }
  if (fd.get() < 0) return systemError("create a file in", dir.string(), errno);

  std::string chunk(kMiB, '\0');
  for (std::uint64_t offset = 0; offset < bytes;) {
    if (stop) return Error{"Interrupted while writing the mapped file"};
    std::fill(chunk.begin(), chunk.end(), static_cast<char>((offset / kMiB) % 251 + 1));
    const std::size_t length = std::min<std::uint64_t>(chunk.size(), bytes - offset);
    const ssize_t written = ::write(fd.get(), chunk.data(), length);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return systemError("write a file in", dir.string(), errno);
    offset += static_cast<std::uint64_t>(written);
  }
  if (::fdatasync(fd.get()) < 0) return systemError("flush a file in", dir.string(), errno);
  return fd.release();
}

std::string describeStatus(int status) {
  if (WIFSIGNALED(status)) return std::string("killed by ") + ::strsignal(WTERMSIG(status));
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

std::size_t countProcesses() {
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return 0;
  std::size_t count = 0;
  while (const dirent* item = ::readdir(dir)) {
    if (parseUnsigned(item->d_name)) ++count;
  }
  ::closedir(dir);
  return count;
}

Result<std::unique_ptr<Population>> Population::build(const PopulationOptions& options,
                                                      const volatile std::sig_atomic_t& stop) {
  std::unique_ptr<Population> population(new Population());
  PopulationShape& shape = population->shape_;
  shape.already_there = countProcesses();

  std::vector<ChildPlan> plans;
  if (options.anon_bytes > 0) plans.push_back({Role::kAnon, options.anon_bytes, 0});
  UniqueFd file;
  if (options.file_bytes > 0) {
    struct statfs fs {};
    shape.file_on_tmpfs = ::statfs(options.file_dir.c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
    auto created = createUnnamedFile(options.file_dir, options.file_bytes, stop);
    if (!created) return created.error();
    file = UniqueFd(*created);
    plans.push_back({Role::kMapper, options.file_bytes, 0});
    plans.push_back({Role::kSharer, options.file_bytes, 0});
  }
  for (std::size_t i = 0; i < options.churners; ++i) {
    plans.push_back({Role::kChurner, (32 + 16 * (i % 4)) * kMiB, (2 + i % 3) * kMiB});
  }
  const std::size_t special = plans.size();
  const std::size_t wanted = options.target_processes > shape.already_there + special
                                 ? options.target_processes - shape.already_there - special
                                 : 0;
  for (std::size_t i = 0; i < wanted; ++i) plans.push_back({Role::kSleeper, (64 * kKiB) << (i % 7), 0});

  int ready[2];
  int command[2];
  if (::pipe2(ready, O_CLOEXEC) < 0) return systemError("create", "a pipe", errno);
  population->ready_fd_ = ready[0];
  UniqueFd ready_write(ready[1]);
  if (::pipe2(command, O_CLOEXEC) < 0) return systemError("create", "a pipe", errno);
  population->command_fd_ = command[1];
  UniqueFd command_read(command[0]);

  const pid_t parent = ::getpid();
  const ChildFds fds{ready[1], command[0], file.get()};
  std::fflush(nullptr);
  for (const ChildPlan& plan : plans) {
    const pid_t pid = ::fork();
    if (pid < 0) return systemError("fork", "a child of the population", errno);
    if (pid == 0) {
      ::close(population->ready_fd_);
      ::close(population->command_fd_);
      runChild(plan, fds, parent);
    }
    population->children_.push_back(pid);
    switch (plan.role) {
      case Role::kSleeper:
        ++shape.sleepers;
        break;
      case Role::kAnon:
        shape.anon_pid = pid;
        break;
      case Role::kMapper:
        shape.mapper_pid = pid;
        break;
      case Role::kSharer:
        shape.sharer_pid = pid;
        break;
      case Role::kChurner:
        ++shape.churners;
        break;
    }
  }
  ready_write.reset();
  command_read.reset();
  file.reset();
  if (auto ready_all = population->awaitReady(plans.size(), options.ready_timeout, stop); !ready_all) {
    return ready_all.error();
  }
  return population;
}

Population::~Population() {
  for (const pid_t pid : children_) ::kill(pid, SIGKILL);
  for (const pid_t pid : children_) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  if (ready_fd_ >= 0) ::close(ready_fd_);
  if (command_fd_ >= 0) ::close(command_fd_);
}

bool Population::owns(pid_t pid) const {
  return pid == ::getpid() || std::find(children_.begin(), children_.end(), pid) != children_.end();
}

Status Population::unmapSharer(std::chrono::seconds timeout, const volatile std::sig_atomic_t& stop) {
  if (shape_.sharer_pid == 0) return ok();
  report(command_fd_, 'u');
  return awaitReady(1, timeout, stop);
}

Status Population::awaitReady(std::size_t expected, std::chrono::seconds timeout,
                              const volatile std::sig_atomic_t& stop) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t ready = 0;
  while (ready < expected) {
    if (stop) return Error{"Interrupted while waiting for the population"};
    int status = 0;
    const pid_t dead = ::waitpid(-1, &status, WNOHANG);
    if (dead > 0) {
      std::erase(children_, dead);
      return Error{"Child " + std::to_string(dead) + " of the population " + describeStatus(status)};
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Error{"Timed out after " + std::to_string(timeout.count()) + " s waiting for the population: " +
                   std::to_string(ready) + " of " + std::to_string(expected) + " ready"};
    }
    pollfd item{ready_fd_, POLLIN, 0};
    const int polled = ::poll(&item, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 200)));
    if (polled < 0 && errno != EINTR) return systemError("poll", "the population's pipe", errno);
    if (polled <= 0) continue;
    char bytes[256];
    const ssize_t got = ::read(ready_fd_, bytes, std::min(sizeof bytes, expected - ready));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return systemError("read", "the population's pipe", errno);
    if (got == 0) return Error{"Every child of the population exited"};
    for (ssize_t i = 0; i < got; ++i) {
      if (bytes[i] != 'r') return Error{"A child of the population could not build its memory"};
      ++ready;
    }
  }
  return ok();
}

}  // namespace jmem::bench
