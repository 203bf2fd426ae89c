#include "gpu/gpu_sampler.h"

#include <cerrno>
#include <utility>

namespace jmem {

GpuSampler::GpuSampler(GpuSamplerOptions options, GpuLog log)
    : options_(std::move(options)), log_(std::move(log)) {}

GpuSampler::~GpuSampler() = default;

void GpuSampler::tryLoad() {
  samples_since_try_ = 0;
  ++load_attempts_;
  auto library = NvmlLibrary::open(options_.library);
  if (library) {
    library_ = std::move(*library);
    return;
  }
  load_error_ = library.error();
  load_error_is_absence_ = load_error_.errno_value == ENOENT;
}

void GpuSampler::report(Problems problems) {
  if (log_) {
    for (const auto& [message, kind] : problems) {
      if (!reported_.contains(message)) log_(kind, message);
    }
  }
  reported_ = std::move(problems);
}

GpuSnapshot GpuSampler::sample() {
  GpuSnapshot snapshot;
  if (options_.library.empty()) {
    snapshot.reason = "no NVML library configured";
    return snapshot;
  }
  if (!library_ && (load_attempts_ == 0 || ++samples_since_try_ >= options_.retry_after_samples)) tryLoad();
  if (!library_) {
    snapshot.reason = load_error_.message;
    report({{snapshot.reason, load_error_is_absence_ ? GpuNotice::kNoSource : GpuNotice::kFailure}});
    return snapshot;
  }
  auto readings = library_->read();
  if (!readings) {
    // A read that fails whole (the driver unloaded or reset, NVML uninitialized) is not mended by
    // asking the same library again: it is shut down and started afresh at the next try.
    library_.reset();
    samples_since_try_ = 0;
    load_error_ = readings.error();
    load_error_is_absence_ = false;
    snapshot.reason = load_error_.message;
    report({{snapshot.reason, GpuNotice::kFailure}});
    return snapshot;
  }
  snapshot.available = true;
  Problems problems;
  snapshot.devices.reserve(readings->size());
  for (const NvmlDeviceReading& reading : *readings) {
    GpuDevice device = gpuDeviceOf(reading);
    for (const std::string& problem : device.problems) {
      problems.emplace("GPU " + std::to_string(device.index) +
                           (device.name.empty() ? "" : " (" + device.name + ")") + ": " + problem,
                       GpuNotice::kFailure);
    }
    snapshot.devices.push_back(std::move(device));
  }
  report(std::move(problems));
  return snapshot;
}

}  // namespace jmem
