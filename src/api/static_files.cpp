#include "api/static_files.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <system_error>
#include <utility>
#include <vector>

namespace hotline::api {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::pair<std::string_view, std::string_view>, 26> kTypes{{
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".txt", "text/plain; charset=utf-8"},
    {".xml", "application/xml"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".wasm", "application/wasm"},
    {".pdf", "application/pdf"},
    {".wav", "audio/wav"},
    {".mp3", "audio/mpeg"},
    {".ogg", "audio/ogg"},
    {".csv", "text/csv; charset=utf-8"},
}};

bool inside(const fs::path& root, const fs::path& p) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

// A regular file under `root` after resolving symlinks, or nullopt.
std::optional<StaticFile> existing_file(const fs::path& root, const fs::path& candidate) {
  std::error_code ec;
  fs::path real = fs::canonical(candidate, ec);
  if (ec) return std::nullopt;
  if (fs::is_directory(real, ec)) {
    real = fs::canonical(real / "index.html", ec);
    if (ec) return std::nullopt;
  }
  if (!inside(root, real) || !fs::is_regular_file(real, ec)) return std::nullopt;
  std::uint64_t size = fs::file_size(real, ec);
  if (ec) return std::nullopt;
  return StaticFile{real, std::string(content_type_for(real)), size};
}

}  // namespace

std::string_view content_type_for(const fs::path& file) {
  std::string ext = file.extension().string();
  std::ranges::transform(ext, ext.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [e, type] : kTypes) {
    if (e == ext) return type;
  }
  return "application/octet-stream";
}

std::variant<StaticFile, Response> StaticFiles::resolve(std::string_view path) const {
  if (root_.empty()) return json_error(404, "not_found", "no web console configured");
  // Refuse rather than normalise: a well-behaved browser never sends these.
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string_view::npos ||
      path.find('\\') != std::string_view::npos || path.find("//") != std::string_view::npos ||
      path.find(':') != std::string_view::npos) {
    return json_error(400, "bad_path", "path refused");
  }
  std::vector<std::string_view> segments;
  std::size_t pos = 1;
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view seg = path.substr(pos, next - pos);
    if (seg == "..") return json_error(400, "bad_path", "path refused");
    if (!seg.empty() && seg != ".") segments.push_back(seg);
    pos = next + 1;
  }

  std::error_code ec;
  fs::path root = fs::canonical(root_, ec);
  if (ec) return json_error(404, "not_found", "web console directory is missing");
  fs::path candidate = root;
  for (std::string_view seg : segments) candidate /= fs::path(seg);
  if (auto file = existing_file(root, candidate)) return *file;

  // Single-page app: "/agents/42" is a client-side route, not a file.
  bool has_extension = !segments.empty() && segments.back().find('.') != std::string_view::npos;
  bool api_path = !segments.empty() && segments.front() == "api";
  if (!has_extension && !api_path) {
    if (auto index = existing_file(root, root / "index.html")) return *index;
  }
  return json_error(404, "not_found", "no such file");
}

}  // namespace hotline::api
