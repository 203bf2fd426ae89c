#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "gpu/gpu_snapshot.h"
#include "gpu/nvml_library.h"

namespace jmem {

// What the sampler has to say, once per problem: kNoSource when the library is not there (most machines:
// worth a debug line, no warning), kFailure when NVML is there and a call fails.
enum class GpuNotice { kNoSource, kFailure };
using GpuLog = std::function<void(GpuNotice, const std::string&)>;

struct GpuSamplerOptions {
  std::string library = kNvmlLibrary;  // empty: no NVML source at all
  // After a failed load or init (the driver may load after jmemd starts), the next try comes this
  // many samples later; a missing library costs a file-system search, not NVML's start-up, per try.
  unsigned int retry_after_samples = 60;
};

// GPU memory each tick from NVML. Loads and initializes the library at the first sample and keeps it;
// reads every device each sample. A read that fails whole drops the library, to load it again later. A
// problem (a failed load, a failing call) is logged when it first appears, not every tick, and again only
// after it went away and came back.
class GpuSampler {
 public:
  explicit GpuSampler(GpuSamplerOptions options = {}, GpuLog log = {});
  ~GpuSampler();
  GpuSampler(const GpuSampler&) = delete;
  GpuSampler& operator=(const GpuSampler&) = delete;

  GpuSnapshot sample();

  bool loaded() const { return library_ != nullptr; }
  unsigned int loadAttempts() const { return load_attempts_; }

 private:
  void tryLoad();
  using Problems = std::map<std::string, GpuNotice>;
  void report(Problems problems);

  GpuSamplerOptions options_;
  GpuLog log_;
  std::unique_ptr<NvmlLibrary> library_;
  Error load_error_;
  bool load_error_is_absence_ = false;
  unsigned int samples_since_try_ = 0;
  unsigned int load_attempts_ = 0;
  Problems reported_;  // the problems of the last sample, each logged when it appeared
};

}  // namespace jmem
