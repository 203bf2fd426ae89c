#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "gpu/gpu_snapshot.h"
#include "gpu/nvml_abi.h"

namespace jmem {

// The library NVIDIA's driver installs; found through the dynamic linker's search path.
inline constexpr const char* kNvmlLibrary = "libnvidia-ml.so.1";

// The most tries at a process list that grows between the call that sizes it and the call that fills it.
inline constexpr int kMaxProcessListTries = 4;

// libnvidia-ml loaded with dlopen and initialized; shut down and unloaded when destroyed. Calls NVML
// from one thread only.
class NvmlLibrary {
 public:
  // Loads `path` (a file name is looked up like any shared library), finds every function of
  // nvml_abi.h and calls nvmlInit_v2. The error says which step failed: "Failed to load NVML:
  // libnvidia-ml.so.1: cannot open shared object file: ..." (errno_value ENOENT: no NVML here), "... has
  // no nvmlDeviceGetComputeRunningProcesses_v3 ...", "nvmlInit_v2 failed: Driver Not Loaded (9)".
  static Result<std::unique_ptr<NvmlLibrary>> open(const std::string& path);
  ~NvmlLibrary();
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  // Every device's answers. An error only when the device count cannot be read; a device's failed
  // call is part of its reading.
  Result<std::vector<NvmlDeviceReading>> read();

 private:
  struct Functions {
    decltype(&nvmlInit_v2) init = nullptr;
    decltype(&nvmlShutdown) shutdown = nullptr;
    decltype(&nvmlErrorString) error_string = nullptr;
    decltype(&nvmlDeviceGetCount_v2) count = nullptr;
    decltype(&nvmlDeviceGetHandleByIndex_v2) handle = nullptr;
    decltype(&nvmlDeviceGetName) name = nullptr;
    decltype(&nvmlDeviceGetUUID) uuid = nullptr;
    decltype(&nvmlDeviceGetMemoryInfo_v2) memory = nullptr;
    decltype(&nvmlDeviceGetComputeRunningProcesses_v3) compute = nullptr;
    decltype(&nvmlDeviceGetGraphicsRunningProcesses_v3) graphics = nullptr;
  };
  using ListFunction = decltype(&nvmlDeviceGetComputeRunningProcesses_v3);

  NvmlLibrary(void* handle, const Functions& functions) : handle_(handle), fn_(functions) {}
  NvmlFailure failure(const char* call, nvmlReturn_t code) const;
  NvmlAnswer<std::string> text(const char* call, nvmlReturn_t (*get)(nvmlDevice_t, char*, unsigned int),
                               nvmlDevice_t device, unsigned int size) const;
  NvmlAnswer<std::vector<NvmlProcessRow>> processes(const char* call, ListFunction list, nvmlDevice_t device);

  void* handle_;
  Functions fn_;
  std::vector<nvmlProcessInfo_t> buffer_;  // kept between reads: a tick allocates nothing once it fits
};

}  // namespace jmem
