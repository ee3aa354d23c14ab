#include "api/http_types.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace hotline::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

Response json_error(int status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  Response r;
  r.status = status;
  // Error text may echo request bytes; replace invalid UTF-8 rather than throw.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return std::nullopt;
    out += c;
  }
  return out;
}

std::optional<TargetParts> split_target(std::string_view target) {
  if (target.empty()) return std::nullopt;
  if (target.front() != '/') {
    // Absolute-form: servers must accept it (RFC 9112 §3.2.2); keep only the path.
    std::size_t scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return std::nullopt;
    std::string_view scheme = target.substr(0, scheme_end);
    if (!iequals(scheme, "http") && !iequals(scheme, "https")) return std::nullopt;
    std::string_view rest = target.substr(scheme_end + 3);
    std::size_t slash = rest.find_first_of("/?");
    if (slash == std::string_view::npos) return TargetParts{"/", {}};
    if (rest[slash] == '?') return split_target("/" + std::string(rest.substr(slash)));
    target = rest.substr(slash);
  }
  TargetParts parts;
  std::string_view raw_path = target;
  if (std::size_t q = target.find('?'); q != std::string_view::npos) {
    raw_path = target.substr(0, q);
    parts.query = std::string(target.substr(q + 1));
  }
  if (std::size_t h = parts.query.find('#'); h != std::string::npos) parts.query.resize(h);
  auto decoded = percent_decode(raw_path);
  if (!decoded) return std::nullopt;
  parts.path = std::move(*decoded);
  return parts;
}

}  // namespace hotline::api
