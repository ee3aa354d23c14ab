// Helpers for unit tests: scratch directories that clean up after themselves and
// paths into the source tree and ../shared test corpora.
#pragma once

#include <filesystem>
#include <string>

namespace hotline::testing {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The repository root (from HOTLINE_SOURCE_DIR, set by CTest; else the compiled-in path).
std::filesystem::path source_dir();
// ../shared/testdata beside the checkout (HOTLINE_SHARED_DIR overrides).
std::filesystem::path shared_testdata_dir();

// Writes `text` to `path`, creating parent directories.
void write_file(const std::filesystem::path& path, const std::string& text);
std::string read_file(const std::filesystem::path& path);

}  // namespace hotline::testing
