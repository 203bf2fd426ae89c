#pragma once

// The part of NVIDIA's Management Library (libnvidia-ml.so.1) that jmem uses, declared from NVML's
// public API reference: jmem neither builds nor links against the driver, and Debian's main archive
// has no nvml.h. jmemd loads the library at run time (nvml_library.h) and looks these functions up by
// name; the declarations give the lookups their types and let a stand-in library (tests/gpu_standin)
// be checked against them by the compiler.

extern "C" {

// nvmlReturn_t is a C enum: an int on every ABI jmem builds for.
typedef int nvmlReturn_t;
// An opaque handle that stays valid until nvmlShutdown.
typedef struct nvmlDevice_st* nvmlDevice_t;

// nvmlMemory_v2_t: bytes of the device's own memory. `used` is what allocations hold; `reserved` is
// what the driver sets aside for itself (480 MiB on an H100), which nvmlMemory_t (v1) counts as used
// and nvidia-smi does not.
typedef struct {
  unsigned int version;  // nvml::kMemoryV2Version
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
} nvmlMemory_v2_t;

// nvmlProcessInfo_t, which the _v3 process-list calls fill (nvml.h names its tag nvmlProcessInfo_v2_st).
// usedGpuMemory is NVML_VALUE_NOT_AVAILABLE where the driver cannot attribute memory to the process.
// The instance IDs are 0xFFFFFFFF unless MIG is on.
typedef struct {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
} nvmlProcessInfo_t;

nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
const char* nvmlErrorString(nvmlReturn_t result);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* deviceCount);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device);
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length);
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length);
nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t* memory);
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int* infoCount,
                                                     nvmlProcessInfo_t* infos);
nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t device, unsigned int* infoCount,
                                                      nvmlProcessInfo_t* infos);

}  // extern "C"

namespace jmem::nvml {

// nvmlReturn_t values jmem tells apart (nvml.h's NVML_SUCCESS, NVML_ERROR_*).
inline constexpr nvmlReturn_t kSuccess = 0;
inline constexpr nvmlReturn_t kErrorUninitialized = 1;
inline constexpr nvmlReturn_t kErrorInvalidArgument = 2;
inline constexpr nvmlReturn_t kErrorNotSupported = 3;
inline constexpr nvmlReturn_t kErrorNoPermission = 4;
inline constexpr nvmlReturn_t kErrorNotFound = 6;
inline constexpr nvmlReturn_t kErrorInsufficientSize = 7;
inline constexpr nvmlReturn_t kErrorDriverNotLoaded = 9;
inline constexpr nvmlReturn_t kErrorGpuIsLost = 15;
inline constexpr nvmlReturn_t kErrorArgumentVersionMismatch = 25;
inline constexpr nvmlReturn_t kErrorUnknown = 999;

// NVML_VALUE_NOT_AVAILABLE: a figure the driver cannot give, e.g. a process's memory on some systems.
inline constexpr unsigned long long kValueNotAvailable = ~0ULL;

// NVML_DEVICE_NAME_V2_BUFFER_SIZE and NVML_DEVICE_UUID_V2_BUFFER_SIZE: enough for any name or UUID.
inline constexpr unsigned int kNameBufferSize = 96;
inline constexpr unsigned int kUuidBufferSize = 96;

// NVML_STRUCT_VERSION(Memory, 2): the struct's size and its version in the top byte.
inline constexpr unsigned int kMemoryV2Version =
    static_cast<unsigned int>(sizeof(nvmlMemory_v2_t)) | (2U << 24);

// The layouts NVML writes: a wrong size here would corrupt memory, not just misread it.
static_assert(sizeof(nvmlProcessInfo_t) == 24, "nvmlProcessInfo_t must match NVML's layout");
static_assert(sizeof(nvmlMemory_v2_t) == 40, "nvmlMemory_v2_t must match NVML's layout");

}  // namespace jmem::nvml
