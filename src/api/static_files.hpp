// Resolves a request path to a file under the web console directory, refusing
// anything that could reach outside it (".." segments, "%2e%2e" once decoded,
// absolute or drive paths, backslashes, symlinks leading out). Paths without an
// extension that name no file fall back to index.html (single-page app routing).
//
// Thread-safety: none; used on the control loop. Touches the file system
// (stat/realpath) but never reads file contents.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>

#include "api/http_types.hpp"

namespace hotline::api {

struct StaticFile {
  std::filesystem::path path;  // canonical, inside the root
  std::string content_type;
  std::uint64_t size = 0;
};

class StaticFiles {
 public:
  StaticFiles() = default;
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}

  bool enabled() const { return !root_.empty(); }
  const std::string& root() const { return root_; }

  // `path` is the percent-decoded request path. Returns the file to send, or the
  // error response (400 for a refused path, 404 for a missing file).
  std::variant<StaticFile, Response> resolve(std::string_view path) const;

 private:
  std::string root_;
};

// "text/html; charset=utf-8" for ".html", "application/octet-stream" when unknown.
std::string_view content_type_for(const std::filesystem::path& file);

}  // namespace hotline::api
