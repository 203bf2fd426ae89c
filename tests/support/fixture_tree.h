#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace jmem::test {

// A directory tree written from literals into a fresh temporary directory and removed afterwards:
// fixtures stay readable next to the test that uses them.
class FixtureTree {
 public:
  // Paths are relative ("proc/1/smaps_rollup"); parent directories are created.
  explicit FixtureTree(const std::map<std::string, std::string>& files = {});
  ~FixtureTree();
  FixtureTree(const FixtureTree&) = delete;
  FixtureTree& operator=(const FixtureTree&) = delete;

  void write(const std::string& relative_path, const std::string& content) const;
  void remove(const std::string& relative_path) const;
  std::filesystem::path path(const std::string& relative_path = {}) const;

 private:
  std::filesystem::path root_;
};

// The contents of a file under tests/fixtures (captured real files and the reference samples).
std::string fixtureFile(const std::string& relative_path);

}  // namespace jmem::test
