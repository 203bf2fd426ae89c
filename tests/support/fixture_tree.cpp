#include "support/fixture_tree.h"

#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace jmem::test {

FixtureTree::FixtureTree(const std::map<std::string, std::string>& files) {
  std::string pattern = (std::filesystem::temp_directory_path() / "jmem-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  root_ = pattern;
  for (const auto& [path, content] : files) write(path, content);
}

FixtureTree::~FixtureTree() {
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

void FixtureTree::write(const std::string& relative_path, const std::string& content) const {
  const auto target = root_ / relative_path;
  std::filesystem::create_directories(target.parent_path());
  std::ofstream out(target, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write fixture " + target.string());
}

void FixtureTree::remove(const std::string& relative_path) const {
  std::filesystem::remove_all(root_ / relative_path);
}

std::filesystem::path FixtureTree::path(const std::string& relative_path) const {
  return relative_path.empty() ? root_ : root_ / relative_path;
}

std::string fixtureFile(const std::string& relative_path) {
  const auto path = std::filesystem::path(JMEM_FIXTURES_DIR) / relative_path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path.string());
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace jmem::test
