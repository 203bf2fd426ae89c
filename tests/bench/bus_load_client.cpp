// Many bus clients calling jmemd's list methods in a loop, each on its own connection, for the bus
// load benchmark. Prints calls and errors; exits non-zero if any call failed.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "bus/bus_name.h"
#include "bus/sdbus_compat.h"
#include "generated/manager_proxy.h"

// The reply types as the interface XML defines them, so the client follows the interface.
using ManagerProxy = org::jmem::Governor1::Manager_proxy;
// Each list comes with a flag saying it was cut short to its reply bound.
using Processes = std::tuple_element_t<0, decltype(std::declval<ManagerProxy&>().ListProcesses(0, ""))>;
using Units = std::tuple_element_t<0, decltype(std::declval<ManagerProxy&>().ListUnits(0, ""))>;

int main(int argc, char** argv) {
  const int clients = argc > 1 ? std::atoi(argv[1]) : 50;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 30;
  std::atomic<long> calls{0};
  std::atomic<long> errors{0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto connection = sdbus::createSystemBusConnection();
        auto proxy = jmem::sdbus_compat::createProxy(*connection, jmem::kBusName, jmem::kObjectPath);
        while (std::chrono::steady_clock::now() < deadline) {
          try {
            Processes processes;
            Units units;
            bool truncated = false;
            if (i % 2 == 0) {
              proxy->callMethod("ListProcesses")
                  .onInterface(ManagerProxy::INTERFACE_NAME)
                  .withArguments(uint32_t{0}, std::string("cost"))
                  .storeResultsTo(processes, truncated);
            } else {
              proxy->callMethod("ListUnits")
                  .onInterface(ManagerProxy::INTERFACE_NAME)
                  .withArguments(uint32_t{0}, std::string("pss"))
                  .storeResultsTo(units, truncated);
            }
            ++calls;
          } catch (const sdbus::Error& e) {
            if (errors++ == 0) std::fprintf(stderr, "call failed: %s\n", e.getMessage().c_str());
          }
        }
      } catch (const sdbus::Error& e) {
        ++errors;
        std::fprintf(stderr, "client %d could not connect: %s\n", i, e.getMessage().c_str());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::printf("clients %d, seconds %d, calls %ld, errors %ld\n", clients, seconds, calls.load(),
              errors.load());
  return errors.load() == 0 ? 0 : 1;
}
