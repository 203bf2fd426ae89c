#include "gpu/nvml_library.h"

#include <dlfcn.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace jmem {
namespace {

// Slack added to a list's buffer beyond what NVML asked for, so a process starting between two calls
// does not cost another round.
constexpr unsigned int kListSlack = 8;
constexpr unsigned int kFirstListCapacity = 32;
// More processes than any GPU runs: a count above it is a broken answer, not a list to allocate for.
constexpr unsigned int kMaxListEntries = 1U << 16;

std::string dlErrorText() {
  const char* text = ::dlerror();
  return text ? text : "unknown error";
}

template <typename F>
bool lookUp(void* handle, const char* symbol, F& out, std::string& missing) {
  ::dlerror();
  void* address = ::dlsym(handle, symbol);
  if (!address) {
    if (missing.empty()) missing = symbol;
    return false;
  }
  out = reinterpret_cast<F>(address);
  return true;
}

}  // namespace

Result<std::unique_ptr<NvmlLibrary>> NvmlLibrary::open(const std::string& path) {
  ::dlerror();
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    // ENOENT only when the library itself is not there (no NVML source on this machine); one that is
    // there and cannot be loaded (another architecture, a missing dependency, denied) is a failure.
    const std::string text = dlErrorText();
    const bool absent = text.starts_with(path + ": ") && text.ends_with("No such file or directory");
    return Error{"Failed to load NVML: " + text, absent ? ENOENT : 0};
  }
  Functions fn;
  std::string missing;
  lookUp(handle, "nvmlInit_v2", fn.init, missing);
  lookUp(handle, "nvmlShutdown", fn.shutdown, missing);
  lookUp(handle, "nvmlErrorString", fn.error_string, missing);
  lookUp(handle, "nvmlDeviceGetCount_v2", fn.count, missing);
  lookUp(handle, "nvmlDeviceGetHandleByIndex_v2", fn.handle, missing);
  lookUp(handle, "nvmlDeviceGetName", fn.name, missing);
  lookUp(handle, "nvmlDeviceGetUUID", fn.uuid, missing);
  lookUp(handle, "nvmlDeviceGetMemoryInfo_v2", fn.memory, missing);
  lookUp(handle, "nvmlDeviceGetComputeRunningProcesses_v3", fn.compute, missing);
  lookUp(handle, "nvmlDeviceGetGraphicsRunningProcesses_v3", fn.graphics, missing);
  if (!missing.empty()) {
    ::dlclose(handle);
    return Error{path + " has no " + missing + " (a driver older than R510?)"};
  }
  if (const nvmlReturn_t code = fn.init(); code != nvml::kSuccess) {
    const char* text = fn.error_string(code);
    std::string message = "nvmlInit_v2 failed: " + std::string(text ? text : "unknown error") + " (" +
                          std::to_string(code) + ")";
    ::dlclose(handle);
    return Error{std::move(message)};
  }
  return std::unique_ptr<NvmlLibrary>(new NvmlLibrary(handle, fn));
}

NvmlLibrary::~NvmlLibrary() {
  fn_.shutdown();
  ::dlclose(handle_);
}

NvmlFailure NvmlLibrary::failure(const char* call, nvmlReturn_t code) const {
  const char* text = fn_.error_string(code);
  return NvmlFailure{call, code, text ? text : ""};
}

NvmlAnswer<std::string> NvmlLibrary::text(const char* call,
                                          nvmlReturn_t (*get)(nvmlDevice_t, char*, unsigned int),
                                          nvmlDevice_t device, unsigned int size) const {
  std::string buffer(size, '\0');
  if (const nvmlReturn_t code = get(device, buffer.data(), size); code != nvml::kSuccess)
    return failure(call, code);
  buffer.resize(::strnlen(buffer.data(), size));
  return buffer;
}

// NVML answers INSUFFICIENT_SIZE with the count it needs; the list may grow again before the next call.
NvmlAnswer<std::vector<NvmlProcessRow>> NvmlLibrary::processes(const char* call, ListFunction list,
                                                               nvmlDevice_t device) {
  if (buffer_.size() < kFirstListCapacity) buffer_.resize(kFirstListCapacity);
  nvmlReturn_t code = nvml::kErrorInsufficientSize;
  unsigned int count = 0;
  for (int attempt = 0; attempt < kMaxProcessListTries; ++attempt) {
    count = static_cast<unsigned int>(buffer_.size());
    code = list(device, &count, buffer_.data());
    if (code != nvml::kErrorInsufficientSize || count > kMaxListEntries) break;
    buffer_.resize(std::max<std::size_t>(buffer_.size(), std::size_t{count} + kListSlack));
  }
  if (code != nvml::kSuccess) return failure(call, code);
  std::vector<NvmlProcessRow> rows;
  rows.reserve(count);
  for (unsigned int i = 0; i < std::min<std::size_t>(count, buffer_.size()); ++i) {
    rows.push_back(NvmlProcessRow{buffer_[i].pid, buffer_[i].usedGpuMemory});
  }
  return rows;
}

Result<std::vector<NvmlDeviceReading>> NvmlLibrary::read() {
  unsigned int count = 0;
  if (const nvmlReturn_t code = fn_.count(&count); code != nvml::kSuccess) {
    return Error{describe(failure("nvmlDeviceGetCount_v2", code))};
  }
  std::vector<NvmlDeviceReading> readings(count);
  for (unsigned int index = 0; index < count; ++index) {
    NvmlDeviceReading& reading = readings[index];
    reading.index = index;
    nvmlDevice_t device = nullptr;
    if (const nvmlReturn_t code = fn_.handle(index, &device); code != nvml::kSuccess) {
      reading.handle_failure = failure("nvmlDeviceGetHandleByIndex_v2", code);
      continue;
    }
    reading.name = text("nvmlDeviceGetName", fn_.name, device, nvml::kNameBufferSize);
    reading.uuid = text("nvmlDeviceGetUUID", fn_.uuid, device, nvml::kUuidBufferSize);
    nvmlMemory_v2_t memory{};
    memory.version = nvml::kMemoryV2Version;
    if (const nvmlReturn_t code = fn_.memory(device, &memory); code != nvml::kSuccess) {
      reading.memory = failure("nvmlDeviceGetMemoryInfo_v2", code);
    } else {
      reading.memory = NvmlMemoryRow{memory.total, memory.reserved, memory.used};
    }
    reading.compute = processes("nvmlDeviceGetComputeRunningProcesses_v3", fn_.compute, device);
    reading.graphics = processes("nvmlDeviceGetGraphicsRunningProcesses_v3", fn_.graphics, device);
  }
  return readings;
}

}  // namespace jmem
