#include <iostream>
#include <string_view>
#include <vector>

#include "ctl/commands.h"
#include "ctl/options.h"

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const auto options = jmem::ctl::parseCtlOptions(args);
  if (!options) {
    std::cerr << "jmemctl: " << options.error().message << std::endl;
    return jmem::ctl::kExitUsage;
  }
  if (options->version) {
    std::cout << "jmemctl " << JMEM_VERSION << '\n';
    return jmem::ctl::kExitOk;
  }
  return jmem::ctl::runCommand(*options);
}
