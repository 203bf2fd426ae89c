// A stand-in for libnvidia-ml.so.1: exports the functions of daemon/gpu/nvml_abi.h and answers from a
// script, so the loader is tested without NVIDIA's driver. The script is the file that the environment
// variable JMEM_NVML_STANDIN names, read again whenever it was replaced (a new inode: write it beside and
// rename). One directive a line; '#' starts a comment:
//
//   init CODE                 what nvmlInit_v2 answers (default 0)
//   count CODE                what nvmlDeviceGetCount_v2 answers (default 0)
//   device                    starts a device; the lines below describe it
//   handle CODE               what nvmlDeviceGetHandleByIndex_v2 answers for it
//   name TEXT / uuid TEXT     its name and UUID (the rest of the line)
//   name_code CODE / uuid_code CODE
//   memory CODE TOTAL USED [RESERVED]
//                             nvmlDeviceGetMemoryInfo_v2 (3: NOT_SUPPORTED, as an integrated GPU answers)
//   compute CODE PID:BYTES... a process list (BYTES "na": NVML_VALUE_NOT_AVAILABLE)
//   graphics CODE PID:BYTES...
//   compute_grows N           each compute-list call first adds N processes (PIDs from 100000), as if
//                             they started between the call that sized the list and the one filling it
//
// Built twice: as libnvidia-ml.so.1, and without the _v3 calls (JMEM_NVML_STANDIN_WITHOUT_V3), as a
// driver older than R510 would be.
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "gpu/nvml_abi.h"

namespace {

struct Row {
  unsigned int pid = 0;
  unsigned long long bytes = 0;
};

struct List {
  nvmlReturn_t code = 0;
  std::vector<Row> rows;
  unsigned int grows = 0;
};

struct Device {
  nvmlReturn_t handle = 0;
  std::string name = "Stand-in GPU";
  std::string uuid = "GPU-00000000-0000-0000-0000-000000000000";
  nvmlReturn_t name_code = 0;
  nvmlReturn_t uuid_code = 0;
  nvmlReturn_t memory_code = 0;
  unsigned long long total = 0;
  unsigned long long used = 0;
  unsigned long long reserved = 0;
  List compute;
  List graphics;
};

struct Script {
  nvmlReturn_t init = 0;
  nvmlReturn_t count = 0;
  std::vector<Device> devices;
};

std::mutex mutex;
Script script;
ino_t script_inode = 0;
std::map<std::string, unsigned int> calls;
bool initialized = false;

List parseList(std::istringstream& in) {
  List list;
  in >> list.code;
  std::string entry;
  while (in >> entry) {
    const auto colon = entry.find(':');
    if (colon == std::string::npos) continue;
    Row row;
    row.pid = static_cast<unsigned int>(std::stoul(entry.substr(0, colon)));
    const std::string bytes = entry.substr(colon + 1);
    row.bytes = bytes == "na" ? jmem::nvml::kValueNotAvailable : std::stoull(bytes);
    list.rows.push_back(row);
  }
  return list;
}

std::string restOfLine(std::istringstream& in) {
  std::string rest;
  std::getline(in >> std::ws, rest);
  return rest;
}

Script parseScript(std::istream& file) {
  Script parsed;
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream in(line);
    std::string word;
    if (!(in >> word) || word[0] == '#') continue;
    if (word == "init") {
      in >> parsed.init;
    } else if (word == "count") {
      in >> parsed.count;
    } else if (word == "device") {
      parsed.devices.emplace_back();
    } else if (parsed.devices.empty()) {
      continue;
    } else if (word == "handle") {
      in >> parsed.devices.back().handle;
    } else if (word == "name") {
      parsed.devices.back().name = restOfLine(in);
    } else if (word == "uuid") {
      parsed.devices.back().uuid = restOfLine(in);
    } else if (word == "name_code") {
      in >> parsed.devices.back().name_code;
    } else if (word == "uuid_code") {
      in >> parsed.devices.back().uuid_code;
    } else if (word == "memory") {
      Device& device = parsed.devices.back();
      in >> device.memory_code >> device.total >> device.used;
      if (!(in >> device.reserved)) device.reserved = 0;
    } else if (word == "compute") {
      parsed.devices.back().compute = parseList(in);
    } else if (word == "graphics") {
      parsed.devices.back().graphics = parseList(in);
    } else if (word == "compute_grows") {
      in >> parsed.devices.back().compute.grows;
    }
  }
  return parsed;
}

// Reads the script again when the file was replaced; without the variable, no devices.
void refresh() {
  const char* path = std::getenv("JMEM_NVML_STANDIN");
  struct stat status {};
  if (!path || ::stat(path, &status) != 0) {
    script = Script{};
    script_inode = 0;
    return;
  }
  if (status.st_ino == script_inode) return;
  std::ifstream file(path);
  script = parseScript(file);
  script_inode = status.st_ino;
}

Device* deviceOf(nvmlDevice_t handle) {
  const auto index = reinterpret_cast<std::uintptr_t>(handle);
  if (index == 0 || index > script.devices.size()) return nullptr;
  return &script.devices[index - 1];
}

nvmlReturn_t copyText(const std::string& text, char* out, unsigned int length) {
  if (!out) return jmem::nvml::kErrorInvalidArgument;
  if (text.size() + 1 > length) return jmem::nvml::kErrorInsufficientSize;
  std::memcpy(out, text.c_str(), text.size() + 1);
  return jmem::nvml::kSuccess;
}

[[maybe_unused]] nvmlReturn_t answerList(List& list, unsigned int* count, nvmlProcessInfo_t* infos) {
  if (list.code != 0) return list.code;
  if (!count) return jmem::nvml::kErrorInvalidArgument;
  for (unsigned int i = 0; i < list.grows; ++i) {
    list.rows.push_back(Row{100000 + static_cast<unsigned int>(list.rows.size()), 1 << 20});
  }
  const auto needed = static_cast<unsigned int>(list.rows.size());
  if (*count < needed || (needed > 0 && !infos)) {
    *count = needed;
    return jmem::nvml::kErrorInsufficientSize;
  }
  for (unsigned int i = 0; i < needed; ++i) {
    infos[i] = nvmlProcessInfo_t{list.rows[i].pid, list.rows[i].bytes, 0xFFFFFFFFu, 0xFFFFFFFFu};
  }
  *count = needed;
  return jmem::nvml::kSuccess;
}

}  // namespace

extern "C" {

// For the tests: how often a function was called since the library was loaded.
__attribute__((visibility("default"))) unsigned int jmemNvmlStandinCalls(const char* function) {
  std::lock_guard lock(mutex);
  const auto found = calls.find(function);
  return found == calls.end() ? 0 : found->second;
}

nvmlReturn_t nvmlInit_v2(void) {
  std::lock_guard lock(mutex);
  ++calls["nvmlInit_v2"];
  refresh();
  if (script.init == 0) initialized = true;
  return script.init;
}

nvmlReturn_t nvmlShutdown(void) {
  std::lock_guard lock(mutex);
  ++calls["nvmlShutdown"];
  if (!initialized) return jmem::nvml::kErrorUninitialized;
  initialized = false;
  return jmem::nvml::kSuccess;
}

const char* nvmlErrorString(nvmlReturn_t result) {
  switch (result) {
    case 0:
      return "Success";
    case 1:
      return "Uninitialized";
    case 2:
      return "Invalid Argument";
    case 3:
      return "Not Supported";
    case 4:
      return "Insufficient Permissions";
    case 7:
      return "Insufficient Size";
    case 9:
      return "Driver Not Loaded";
    case 15:
      return "GPU is lost";
    case 25:
      return "Argument version mismatch";
    default:
      return "Unknown Error";
  }
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* deviceCount) {
  std::lock_guard lock(mutex);
  ++calls["nvmlDeviceGetCount_v2"];
  if (!initialized) return jmem::nvml::kErrorUninitialized;
  refresh();
  if (script.count != 0) return script.count;
  *deviceCount = static_cast<unsigned int>(script.devices.size());
  return jmem::nvml::kSuccess;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  std::lock_guard lock(mutex);
  if (!initialized) return jmem::nvml::kErrorUninitialized;
  if (index >= script.devices.size()) return jmem::nvml::kErrorInvalidArgument;
  if (script.devices[index].handle != 0) return script.devices[index].handle;
  *device = reinterpret_cast<nvmlDevice_t>(std::uintptr_t{index} + 1);
  return jmem::nvml::kSuccess;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t handle, char* name, unsigned int length) {
  std::lock_guard lock(mutex);
  Device* device = deviceOf(handle);
  if (!device) return jmem::nvml::kErrorInvalidArgument;
  if (device->name_code != 0) return device->name_code;
  return copyText(device->name, name, length);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t handle, char* uuid, unsigned int length) {
  std::lock_guard lock(mutex);
  Device* device = deviceOf(handle);
  if (!device) return jmem::nvml::kErrorInvalidArgument;
  if (device->uuid_code != 0) return device->uuid_code;
  return copyText(device->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t handle, nvmlMemory_v2_t* memory) {
  std::lock_guard lock(mutex);
  Device* device = deviceOf(handle);
  if (!device || !memory) return jmem::nvml::kErrorInvalidArgument;
  if (memory->version != jmem::nvml::kMemoryV2Version) return jmem::nvml::kErrorArgumentVersionMismatch;
  if (device->memory_code != 0) return device->memory_code;
  const unsigned long long taken = std::min(device->used + device->reserved, device->total);
  *memory =
      nvmlMemory_v2_t{memory->version, device->total, device->reserved, device->total - taken, device->used};
  return jmem::nvml::kSuccess;
}

#ifndef JMEM_NVML_STANDIN_WITHOUT_V3
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t handle, unsigned int* infoCount,
                                                     nvmlProcessInfo_t* infos) {
  std::lock_guard lock(mutex);
  ++calls["nvmlDeviceGetComputeRunningProcesses_v3"];
  Device* device = deviceOf(handle);
  if (!device) return jmem::nvml::kErrorInvalidArgument;
  return answerList(device->compute, infoCount, infos);
}

nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t handle, unsigned int* infoCount,
                                                      nvmlProcessInfo_t* infos) {
  std::lock_guard lock(mutex);
  ++calls["nvmlDeviceGetGraphicsRunningProcesses_v3"];
  Device* device = deviceOf(handle);
  if (!device) return jmem::nvml::kErrorInvalidArgument;
  return answerList(device->graphics, infoCount, infos);
}
#endif

}  // extern "C"
