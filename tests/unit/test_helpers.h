// Shared test helpers: fixture paths and throwaway host trees.
#pragma once
#include <string>

namespace tunectl::test {

// tests/fixtures/hosts/<name> in the source tree.
std::string fixture_host(const std::string& name);

// A fresh temporary directory removed (recursively) on destruction.
class TempTree {
 public:
  TempTree();
  ~TempTree();
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` at root-relative `rel` (parents created); mode applied after writing.
  void write(const std::string& rel, const std::string& content, unsigned mode = 0644) const;
  void symlink(const std::string& target, const std::string& rel) const;
  std::string read(const std::string& rel) const;
  // Copies a fixture host tree (modes and symlinks kept) into this temp dir; returns the path.
  std::string copy_fixture(const std::string& name) const;

 private:
  std::string path_;
};

}  // namespace tunectl::test
