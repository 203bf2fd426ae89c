#include "throttle/psi_trigger.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>

#include "core/file_reader.h"
#include "core/unique_fd.h"

namespace jmem::throttle {
namespace {

// Only the kernel's pressure file takes a trigger: procfs's, a regular file. An injected proc root
// (a captured tree) is data to read, and writing the line there would corrupt its pressure file.
bool isKernelFile(int fd) {
  struct statfs fs {};
  struct stat st {};
  return ::fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC && ::fstat(fd, &st) == 0 &&
         S_ISREG(st.st_mode);
}

// Writes the trigger on a fresh descriptor; returns it, or -errno. Opened without following a final
// link, and written only once it is known to be procfs's file (see isKernelFile).
int registerTrigger(const std::filesystem::path& file, std::chrono::milliseconds stall,
                    std::chrono::milliseconds window) {
  UniqueFd fd(::open(file.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW));
  if (!fd) return -errno;
  if (!isKernelFile(fd.get())) return -EXDEV;
  const std::string line = psiTriggerLine(stall, window);
  // The kernel takes the line with its terminating NUL.
  if (::write(fd.get(), line.c_str(), line.size() + 1) < 0) return -errno;
  return fd.release();
}

}  // namespace

std::string psiTriggerLine(std::chrono::microseconds stall, std::chrono::microseconds window) {
  return "some " + std::to_string(stall.count()) + " " + std::to_string(window.count());
}

Status requireKernelPressureFile(const std::filesystem::path& pressure_file) {
  // O_PATH: nothing is opened for reading or writing (a FIFO or device is never entered) to look.
  const UniqueFd fd(::open(pressure_file.c_str(), O_PATH | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return systemError("open", pressure_file.string(), errno);
  if (!isKernelFile(fd.get()))
    return Error{
        pressure_file.string() + " is not the kernel's pressure file (an injected proc root is only read)",
        EXDEV};
  return ok();
}

Result<std::unique_ptr<PsiTrigger>> PsiTrigger::open(const std::filesystem::path& pressure_file,
                                                     std::chrono::milliseconds stall,
                                                     std::chrono::milliseconds window) {
  if (auto kernel = requireKernelPressureFile(pressure_file); !kernel) return kernel.error();
  int fd = registerTrigger(pressure_file, stall, window);
  if ((fd == -EPERM || fd == -EINVAL) && window < std::chrono::seconds(2)) {
    stall = stall * 2000 / window.count();
    window = std::chrono::seconds(2);
    fd = registerTrigger(pressure_file, stall, window);
  }
  if (fd < 0) return systemError("register a PSI trigger on", pressure_file.string(), -fd);
  return std::unique_ptr<PsiTrigger>(new PsiTrigger(fd, stall, window));
}

std::string PsiTrigger::describe() const {
  return "PSI memory some stall crossed " + std::to_string(stall_.count()) + " ms within " +
         std::to_string(window_.count()) + " ms (kernel trigger)";
}

}  // namespace jmem::throttle
