#pragma once

#include <dlfcn.h>
#include <stdlib.h>

#include <string>

#include "support/fixture_tree.h"

namespace jmem::test {

// The script the stand-in libnvidia-ml answers from (nvml_standin.cpp), named by JMEM_NVML_STANDIN
// while it lives. Each write replaces the file, which the stand-in notices by its new inode.
class StandinScript {
 public:
  explicit StandinScript(const std::string& text = "") {
    write(text);
    ::setenv("JMEM_NVML_STANDIN", tree_.path("script").c_str(), 1);
  }
  ~StandinScript() { ::unsetenv("JMEM_NVML_STANDIN"); }
  StandinScript(const StandinScript&) = delete;
  StandinScript& operator=(const StandinScript&) = delete;

  void write(const std::string& text) const {
    tree_.write("script.new", text);
    std::filesystem::rename(tree_.path("script.new"), tree_.path("script"));
  }

 private:
  FixtureTree tree_;
};

// How often the loaded stand-in saw `function` called; 0 when it is not loaded.
inline unsigned int standinCalls(const char* library, const char* function) {
  void* handle = ::dlopen(library, RTLD_NOW | RTLD_NOLOAD);
  if (!handle) return 0;
  using Calls = unsigned int (*)(const char*);
  auto calls = reinterpret_cast<Calls>(::dlsym(handle, "jmemNvmlStandinCalls"));
  const unsigned int count = calls ? calls(function) : 0;
  ::dlclose(handle);
  return count;
}

}  // namespace jmem::test
