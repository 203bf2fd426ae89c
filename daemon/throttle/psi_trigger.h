#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "core/result.h"
#include "core/unique_fd.h"

namespace jmem::throttle {

// The line that registers a PSI trigger: "some <stall_us> <window_us>".
std::string psiTriggerLine(std::chrono::microseconds stall, std::chrono::microseconds window);

// Whether `pressure_file` is the kernel's (on procfs, a regular file, not reached through a final link):
// the only file a trigger is ever written to. An error that says so for anything else, such as the
// file of a captured tree given as --proc-root.
Status requireKernelPressureFile(const std::filesystem::path& pressure_file);

// A PSI trigger registered on /proc/pressure/memory (the kernel's psi.rst): the descriptor becomes
// readable with EPOLLPRI when tasks stalled on memory for `stall` within a `window`, at most once per
// window. It lives as long as the descriptor.
class PsiTrigger {
 public:
  // Refused, with nothing written, unless requireKernelPressureFile holds.
  // Since 6.5 a writer without CAP_SYS_RESOURCE may only register windows that are multiples of 2 s
  // (EINVAL otherwise; EPERM before): the trigger is then registered over 2 s with the stall scaled
  // alike, and window() says so.
  static Result<std::unique_ptr<PsiTrigger>> open(const std::filesystem::path& pressure_file,
                                                  std::chrono::milliseconds stall,
                                                  std::chrono::milliseconds window = std::chrono::seconds(1));
  int fd() const { return fd_.get(); }
  std::chrono::milliseconds stall() const { return stall_; }
  std::chrono::milliseconds window() const { return window_; }
  // "PSI memory some stall crossed 200 ms within 1000 ms (kernel trigger)".
  std::string describe() const;

 private:
  PsiTrigger(int fd, std::chrono::milliseconds stall, std::chrono::milliseconds window)
      : fd_(fd), stall_(stall), window_(window) {}

  UniqueFd fd_;
  std::chrono::milliseconds stall_;
  std::chrono::milliseconds window_;
};

}  // namespace jmem::throttle
