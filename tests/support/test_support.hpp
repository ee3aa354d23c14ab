// Helpers for unit tests: scratch directories that clean up after themselves and
// paths into the source tree and ../shared test corpora.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

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

// A UDP port range (first, last; 500 ports) no other test process uses at the same
// time: CTest runs tests as parallel processes, and media engines sharing a range
// would take each other's ports. A slot is held by a TCP listener on
// 127.0.0.1:29000+slot for the life of the process; ranges lie in 30000-49999.
// Aborts the test if all 40 slots are taken.
std::pair<std::uint16_t, std::uint16_t> private_port_range();

}  // namespace hotline::testing
