#include "throttle/psi_trigger.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/file_reader.h"

namespace jmem::throttle {
namespace {

// Writes the trigger on a fresh descriptor; returns it, or -errno.
int registerTrigger(const std::filesystem::path& file, std::chrono::milliseconds stall,
                    std::chrono::milliseconds window) {
  const int fd = ::open(file.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -errno;
  const std::string line = psiTriggerLine(stall, window);
  // The kernel takes the line with its terminating NUL.
  if (::write(fd, line.c_str(), line.size() + 1) < 0) {
    const int error = errno;
    ::close(fd);
    return -error;
  }
  return fd;
}

}  // namespace

std::string psiTriggerLine(std::chrono::microseconds stall, std::chrono::microseconds window) {
  return "some " + std::to_string(stall.count()) + " " + std::to_string(window.count());
}

Result<std::unique_ptr<PsiTrigger>> PsiTrigger::open(const std::filesystem::path& pressure_file,
                                                     std::chrono::milliseconds stall,
                                                     std::chrono::milliseconds window) {
  int fd = registerTrigger(pressure_file, stall, window);
  if ((fd == -EPERM || fd == -EINVAL) && window < std::chrono::seconds(2)) {
    stall = stall * 2000 / window.count();
    window = std::chrono::seconds(2);
    fd = registerTrigger(pressure_file, stall, window);
  }
  if (fd < 0) return systemError("register a PSI trigger on", pressure_file.string(), -fd);
  return std::unique_ptr<PsiTrigger>(new PsiTrigger(fd, stall, window));
}

PsiTrigger::~PsiTrigger() {
  if (fd_ >= 0) ::close(fd_);
}

std::string PsiTrigger::describe() const {
  return "PSI memory some stall crossed " + std::to_string(stall_.count()) + " ms within " +
         std::to_string(window_.count()) + " ms (kernel trigger)";
}

}  // namespace jmem::throttle
