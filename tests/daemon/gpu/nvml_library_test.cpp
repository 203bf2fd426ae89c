#include "gpu/nvml_library.h"

#include <catch2/catch.hpp>
#include <cerrno>

#include "standin_script.h"

using namespace jmem;
using jmem::test::standinCalls;
using jmem::test::StandinScript;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

// "101:1048576 102:1048576 ..." for `count` processes from PID 101.
std::string manyProcesses(unsigned int count) {
  std::string rows;
  for (unsigned int i = 0; i < count; ++i) rows += " " + std::to_string(101 + i) + ":" + std::to_string(kMiB);
  return rows;
}

const std::vector<NvmlProcessRow>& rowsOf(const NvmlAnswer<std::vector<NvmlProcessRow>>& answer) {
  REQUIRE(std::holds_alternative<std::vector<NvmlProcessRow>>(answer));
  return std::get<std::vector<NvmlProcessRow>>(answer);
}

}  // namespace

TEST_CASE("without the library there is no NVML, and the reason names what could not be loaded", "[gpu]") {
  auto library = NvmlLibrary::open("/nonexistent/libnvidia-ml.so.1");
  REQUIRE_FALSE(library);
  CHECK(library.error().errno_value == ENOENT);
  CHECK(library.error().message.starts_with("Failed to load NVML: /nonexistent/libnvidia-ml.so.1: "));
}

TEST_CASE("a library that is there but cannot be loaded is a failure, not an absence", "[gpu]") {
  jmem::test::FixtureTree tree;
  tree.write("libnvidia-ml.so.1", "not an ELF file\n");
  const std::string path = tree.path("libnvidia-ml.so.1").string();
  auto library = NvmlLibrary::open(path);
  REQUIRE_FALSE(library);
  CHECK(library.error().errno_value == 0);
  CHECK_THAT(library.error().message, Catch::StartsWith("Failed to load NVML: " + path + ": "));
}

TEST_CASE("a library without the _v3 process lists is refused, naming the first missing function", "[gpu]") {
  StandinScript script;
  auto library = NvmlLibrary::open(JMEM_NVML_STANDIN_OLD);
  REQUIRE_FALSE(library);
  CHECK(library.error().errno_value == 0);
  CHECK(library.error().message == std::string(JMEM_NVML_STANDIN_OLD) +
                                       " has no nvmlDeviceGetComputeRunningProcesses_v3 (a driver older "
                                       "than R510?)");
}

TEST_CASE("an init failure is an error in NVML's words, and the library is not kept", "[gpu]") {
  StandinScript script("init 9\n");
  auto library = NvmlLibrary::open(JMEM_NVML_STANDIN);
  REQUIRE_FALSE(library);
  CHECK(library.error().errno_value == 0);
  CHECK(library.error().message == "nvmlInit_v2 failed: Driver Not Loaded (9)");
  CHECK(standinCalls(JMEM_NVML_STANDIN, "nvmlInit_v2") == 0);  // unloaded again
}

TEST_CASE("two devices are read call by call, one discrete and one without memory figures", "[gpu]") {
  StandinScript script(
      "device\n"
      "name NVIDIA RTX A6000\n"
      "uuid GPU-aaaa\n"
      "memory 0 51527024640 3221225472 503316480\n"
      "compute 0 4242:1073741824 4343:2147483648\n"
      "graphics 0 4444:67108864\n"
      "device\n"
      "name NVIDIA Thor\n"
      "uuid GPU-bbbb\n"
      "memory 3 0 0\n"
      "compute 0 5000:536870912\n"
      "graphics 0\n");
  auto library = NvmlLibrary::open(JMEM_NVML_STANDIN);
  REQUIRE(library);
  auto readings = (*library)->read();
  REQUIRE(readings);
  REQUIRE(readings->size() == 2);

  const NvmlDeviceReading& a6000 = (*readings)[0];
  CHECK(a6000.index == 0);
  CHECK_FALSE(a6000.handle_failure);
  CHECK(std::get<std::string>(a6000.name) == "NVIDIA RTX A6000");
  CHECK(std::get<std::string>(a6000.uuid) == "GPU-aaaa");
  REQUIRE(std::holds_alternative<NvmlMemoryRow>(a6000.memory));
  CHECK(std::get<NvmlMemoryRow>(a6000.memory).total_bytes == 51527024640ULL);
  CHECK(std::get<NvmlMemoryRow>(a6000.memory).used_bytes == 3221225472ULL);
  CHECK(std::get<NvmlMemoryRow>(a6000.memory).reserved_bytes == 480 * kMiB);
  const auto& compute = rowsOf(a6000.compute);
  REQUIRE(compute.size() == 2);
  CHECK(compute[1].pid == 4343);
  CHECK(compute[1].used_bytes == 2048 * kMiB);
  REQUIRE(rowsOf(a6000.graphics).size() == 1);
  CHECK(rowsOf(a6000.graphics)[0].pid == 4444);

  const NvmlDeviceReading& thor = (*readings)[1];
  CHECK(thor.index == 1);
  REQUIRE(std::holds_alternative<NvmlFailure>(thor.memory));
  CHECK(std::get<NvmlFailure>(thor.memory) ==
        NvmlFailure{"nvmlDeviceGetMemoryInfo_v2", nvml::kErrorNotSupported, "Not Supported"});
  CHECK(rowsOf(thor.compute).size() == 1);
  CHECK(rowsOf(thor.graphics).empty());
}

TEST_CASE("NOT_SUPPORTED on a process list is that list's answer, the other list is still read", "[gpu]") {
  StandinScript script(
      "device\n"
      "memory 0 1000000 1000\n"
      "compute 3\n"
      "graphics 0 77:1000\n");
  auto library = NvmlLibrary::open(JMEM_NVML_STANDIN);
  REQUIRE(library);
  auto readings = (*library)->read();
  REQUIRE(readings);
  REQUIRE(readings->size() == 1);
  const NvmlDeviceReading& device = (*readings)[0];
  REQUIRE(std::holds_alternative<NvmlFailure>(device.compute));
  CHECK(std::get<NvmlFailure>(device.compute).call == "nvmlDeviceGetComputeRunningProcesses_v3");
  CHECK(std::get<NvmlFailure>(device.compute).code == nvml::kErrorNotSupported);
  REQUIRE(rowsOf(device.graphics).size() == 1);
}

TEST_CASE("a list longer than the buffer is read whole after INSUFFICIENT_SIZE, in one more call", "[gpu]") {
  StandinScript script("device\nmemory 0 100000000000 0\ncompute 0" + manyProcesses(50) + "\ngraphics 0\n");
  auto library = NvmlLibrary::open(JMEM_NVML_STANDIN);
  REQUIRE(library);
  const unsigned int before = standinCalls(JMEM_NVML_STANDIN, "nvmlDeviceGetComputeRunningProcesses_v3");
  auto readings = (*library)->read();
  REQUIRE(readings);
  const auto& rows = rowsOf((*readings)[0].compute);
  REQUIRE(rows.size() == 50);
  CHECK(rows.front().pid == 101);
  CHECK(rows.back().pid == 150);
  CHECK(standinCalls(JMEM_NVML_STANDIN, "nvmlDeviceGetComputeRunningProcesses_v3") - before == 2);

  // The buffer is kept: the next read needs one call.
  const unsigned int second = standinCalls(JMEM_NVML_STANDIN, "nvmlDeviceGetComputeRunningProcesses_v3");
  REQUIRE((*library)->read());
  CHECK(standinCalls(JMEM_NVML_STANDIN, "nvmlDeviceGetComputeRunningProcesses_v3") - second == 1);
}

TEST_CASE("a list that grows between the sizing call and the filling call is read once it fits", "[gpu]") {
  StandinScript script("device\nmemory 0 100000000000 0\ncompute 0" + manyProcesses(30) +
                       "\ncompute_grows 5\ngraphics 0\n");
  auto library = NvmlLibrary::open(JMEM_NVML_STANDIN);
  REQUIRE(library);
  auto readings = (*library)->read();
  REQUIRE(readings);
  // 35 do not fit the first buffer; 40 fit the one sized for 35 and its slack.
  CHECK(rowsOf((*readings)[0].compute).size() == 40);
}

TEST_CASE("a list that keeps growing is given up after a bounded number of calls", "[gpu]") {
  StandinScript script("device\nmemory 0 100000000000 0\ncompute 0\ncompute_grows 1000\ngraphics 0\n");
  auto library = NvmlLibrary::open(JMEM_NVML_STANDIN);
  REQUIRE(library);
  const unsigned int before = standinCalls(JMEM_NVML_STANDIN, "nvmlDeviceGetComputeRunningProcesses_v3");
  auto readings = (*library)->read();
  REQUIRE(readings);
  const auto& compute = (*readings)[0].compute;
  REQUIRE(std::holds_alternative<NvmlFailure>(compute));
  CHECK(std::get<NvmlFailure>(compute).code == nvml::kErrorInsufficientSize);
  CHECK(standinCalls(JMEM_NVML_STANDIN, "nvmlDeviceGetComputeRunningProcesses_v3") - before ==
        static_cast<unsigned int>(kMaxProcessListTries));
  CHECK(rowsOf((*readings)[0].graphics).empty());
}

TEST_CASE("a device whose handle cannot be had is read as that failure, the next device as usual", "[gpu]") {
  StandinScript script("device\nhandle 4\ndevice\nname second\nmemory 0 10 5\ncompute 0\ngraphics 0\n");
  auto library = NvmlLibrary::open(JMEM_NVML_STANDIN);
  REQUIRE(library);
  auto readings = (*library)->read();
  REQUIRE(readings);
  REQUIRE(readings->size() == 2);
  REQUIRE((*readings)[0].handle_failure);
  CHECK((*readings)[0].handle_failure->code == nvml::kErrorNoPermission);
  CHECK(std::get<std::string>((*readings)[1].name) == "second");
}

TEST_CASE("a failed device count is an error of the whole read", "[gpu]") {
  StandinScript script("count 999\n");
  auto library = NvmlLibrary::open(JMEM_NVML_STANDIN);
  REQUIRE(library);
  auto readings = (*library)->read();
  REQUIRE_FALSE(readings);
  CHECK(readings.error().message == "nvmlDeviceGetCount_v2 failed: Unknown Error (999)");
}

TEST_CASE("NVML is shut down and unloaded when the library is destroyed", "[gpu]") {
  StandinScript script;
  // Held open here so that the stand-in's counts outlive the library object.
  void* pinned = ::dlopen(JMEM_NVML_STANDIN, RTLD_NOW);
  REQUIRE(pinned);
  const unsigned int shutdowns = standinCalls(JMEM_NVML_STANDIN, "nvmlShutdown");
  {
    auto library = NvmlLibrary::open(JMEM_NVML_STANDIN);
    REQUIRE(library);
  }
  CHECK(standinCalls(JMEM_NVML_STANDIN, "nvmlShutdown") == shutdowns + 1);
  ::dlclose(pinned);
}
