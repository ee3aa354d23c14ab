#include "sip/stateless_response.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <functional>

#include "sip/scanner.hpp"

namespace hotline::sip {
namespace {

using detail::iequals;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Which of the copied headers a name is (long or compact form), or -1.
int copied_header(std::string_view name) {
  constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kNames{
      {{"Via", "v"}, {"From", "f"}, {"To", "t"}, {"Call-ID", "i"}, {"CSeq", ""}}};
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (iequals(name, kNames[i].first) ||
        (!kNames[i].second.empty() && iequals(name, kNames[i].second)))
      return static_cast<int>(i);
  }
  return -1;
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 423: return "Interval Too Brief";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 603: return "Decline";
    default: return "Unknown";
  }
}

std::optional<std::string> stateless_error_response(std::string_view raw, int status,
                                                    std::string_view warning) {
  // Skip keep-alive CRLFs, then the request line must look like "METHOD uri SIP/…".
  while (raw.starts_with("\r\n")) raw.remove_prefix(2);
  const auto eol = raw.find('\n');
  if (eol == std::string_view::npos) return std::nullopt;
  const std::string_view start = raw.substr(0, eol);
  if (start.starts_with("SIP/") || start.find(' ') == std::string_view::npos) return std::nullopt;

  std::array<std::vector<std::string_view>, 5> found;
  std::size_t pos = eol + 1;
  while (pos < raw.size()) {
    auto next = raw.find('\n', pos);
    if (next == std::string_view::npos) next = raw.size();
    std::string_view line = raw.substr(pos, next - pos);
    pos = next + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;                                    // end of headers
    if (line.front() == ' ' || line.front() == '\t') continue;  // folds are not copied
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const int which = copied_header(trim(line.substr(0, colon)));
    if (which >= 0) found[static_cast<std::size_t>(which)].push_back(line);
  }
  for (const auto& f : found) {
    if (f.empty()) return std::nullopt;
  }

  std::string out = fmt::format("SIP/2.0 {} {}\r\n", status, reason_phrase(status));
  for (std::string_view via : found[0]) fmt::format_to(std::back_inserter(out), "{}\r\n", via);
  fmt::format_to(std::back_inserter(out), "{}\r\n", found[1].front());
  std::string_view to = found[2].front();
  fmt::format_to(std::back_inserter(out), "{}", to);
  if (to.find(";tag=") == std::string_view::npos && to.find(";TAG=") == std::string_view::npos) {
    // A stable tag: the same malformed retransmission gets the same answer.
    fmt::format_to(std::back_inserter(out), ";tag=hl{:x}",
                   std::hash<std::string_view>{}(found[3].front()) & 0xffffffffULL);
  }
  out += "\r\n";
  fmt::format_to(std::back_inserter(out), "{}\r\n{}\r\n", found[3].front(), found[4].front());
  if (!warning.empty()) {
    fmt::format_to(std::back_inserter(out), "Warning: 399 hotline {}\r\n",
                   quote(warning.substr(0, 200)));
  }
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

}  // namespace hotline::sip
