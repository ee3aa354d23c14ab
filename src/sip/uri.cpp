#include "sip/uri.hpp"

#include <string>

#include "sip/scanner.hpp"

namespace hotline::sip {
namespace {

using detail::has;
using detail::iequals;
using detail::skip_lws;

enum class Step { kParam, kEnd, kError };

constexpr std::uint16_t kParamChars = detail::kUnreserved | detail::kParamExtra;
constexpr std::uint16_t kHeaderChars = detail::kUnreserved | detail::kHnvExtra;

// Reads the parameter at `pos` (one ';' introducer). Shared by validation and
// lookup so both agree on the grammar.
Step next_param(std::string_view s, ParamSyntax syntax, std::size_t& pos, Param& out,
                std::string* why) {
  if (syntax == ParamSyntax::kHeader) pos = skip_lws(s, pos);
  if (pos >= s.size()) return Step::kEnd;
  if (s[pos] != ';') {
    if (why) *why = "unexpected character '" + std::string(1, s[pos]) + "' in parameters";
    return Step::kError;
  }
  ++pos;
  out = Param{};
  if (syntax == ParamSyntax::kUri) {
    bool bad = false;
    std::size_t end = detail::scan_escaped(s, pos, kParamChars, &bad);
    if (bad || end == pos) {
      if (why) *why = bad ? "bad %-escape in uri parameter" : "empty uri parameter";
      return Step::kError;
    }
    out.name = s.substr(pos, end - pos);
    pos = end;
    if (pos < s.size() && s[pos] == '=') {
      ++pos;
      end = detail::scan_escaped(s, pos, kParamChars, &bad);
      if (bad || end == pos) {
        if (why) *why = "bad value for uri parameter '" + std::string(out.name) + "'";
        return Step::kError;
      }
      out.value = s.substr(pos, end - pos);
      out.has_value = true;
      pos = end;
    }
    return Step::kParam;
  }
  pos = skip_lws(s, pos);
  std::size_t end = detail::scan_token(s, pos);
  if (end == pos) {
    if (why) *why = "empty parameter";
    return Step::kError;
  }
  out.name = s.substr(pos, end - pos);
  pos = skip_lws(s, end);
  if (pos < s.size() && s[pos] == '=') {
    pos = skip_lws(s, pos + 1);
    if (pos >= s.size()) {
      if (why) *why = "parameter '" + std::string(out.name) + "' has '=' but no value";
      return Step::kError;
    }
    if (s[pos] == '"') {
      end = detail::scan_quoted(s, pos);
      if (end == std::string_view::npos) {
        if (why) *why = "unterminated quoted string in parameter '" + std::string(out.name) + "'";
        return Step::kError;
      }
    } else if (s[pos] == '[') {
      end = s.find(']', pos);
      if (end == std::string_view::npos || !is_valid_host(s.substr(pos, end + 1 - pos))) {
        if (why) *why = "bad IPv6 reference in parameter '" + std::string(out.name) + "'";
        return Step::kError;
      }
      ++end;
    } else {
      end = detail::scan_token(s, pos);
      if (end == pos) {
        if (why) *why = "bad value for parameter '" + std::string(out.name) + "'";
        return Step::kError;
      }
    }
    out.value = s.substr(pos, end - pos);
    out.has_value = true;
    pos = end;
  }
  return Step::kParam;
}

Result<std::uint16_t> parse_port(std::string_view digits) {
  if (digits.empty() || digits.size() > 5) return fail(ErrorCode::kInvalidArgument, "bad port");
  std::uint32_t v = 0;
  for (char c : digits) {
    if (!detail::is_digit(c)) return fail(ErrorCode::kInvalidArgument, "bad port");
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > 65535) return fail(ErrorCode::kInvalidArgument, "port out of range");
  return static_cast<std::uint16_t>(v);
}

bool all_escaped(std::string_view s, std::uint16_t bits) {
  bool bad = false;
  return detail::scan_escaped(s, 0, bits, &bad) == s.size() && !bad;
}

Status check_uri_headers(std::string_view headers) {
  std::size_t pos = 0;
  while (true) {
    std::size_t amp = headers.find('&', pos);
    std::string_view h = headers.substr(pos, amp == std::string_view::npos ? amp : amp - pos);
    std::size_t eq = h.find('=');
    if (eq == std::string_view::npos || eq == 0 || !all_escaped(h.substr(0, eq), kHeaderChars) ||
        !all_escaped(h.substr(eq + 1), kHeaderChars)) {
      return fail(ErrorCode::kInvalidArgument, "bad uri header '" + std::string(h) + "'");
    }
    if (amp == std::string_view::npos) return {};
    pos = amp + 1;
  }
}

Status parse_sip_rest(std::string_view rest, Uri& uri) {
  std::size_t at = rest.find('@');
  std::string_view hp = rest;
  if (at != std::string_view::npos) {
    if (rest.find('@', at + 1) != std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "more than one '@' in sip uri");
    }
    std::string_view userinfo = rest.substr(0, at);
    std::size_t colon = userinfo.find(':');
    uri.user = userinfo.substr(0, colon);
    if (uri.user.empty() || !all_escaped(uri.user, detail::kUnreserved | detail::kUserExtra)) {
      return fail(ErrorCode::kInvalidArgument, "bad user part in sip uri");
    }
    if (colon != std::string_view::npos) {
      uri.password = userinfo.substr(colon + 1);
      uri.has_password = true;
      if (!all_escaped(uri.password, detail::kUnreserved | detail::kPassExtra)) {
        return fail(ErrorCode::kInvalidArgument, "bad password in sip uri");
      }
    }
    hp = rest.substr(at + 1);
  }
  std::size_t i = 0;
  if (!hp.empty() && hp[0] == '[') {
    i = hp.find(']');
    if (i == std::string_view::npos)
      return fail(ErrorCode::kInvalidArgument, "unclosed IPv6 reference");
    ++i;
  } else {
    i = detail::find_any(hp, ":;?");
    if (i == std::string_view::npos) i = hp.size();
  }
  uri.host = hp.substr(0, i);
  if (!is_valid_host(uri.host)) {
    return fail(ErrorCode::kInvalidArgument, "bad host '" + std::string(uri.host) + "' in sip uri");
  }
  if (i < hp.size() && hp[i] == ':') {
    std::size_t end = detail::find_any(hp, ";?", i + 1);
    if (end == std::string_view::npos) end = hp.size();
    auto port = parse_port(hp.substr(i + 1, end - i - 1));
    if (!port) return std::unexpected(port.error());
    uri.port = *port;
    i = end;
  }
  if (i < hp.size() && hp[i] == ';') {
    std::size_t end = hp.find('?', i);
    if (end == std::string_view::npos) end = hp.size();
    auto params = parse_params(hp.substr(i, end - i), ParamSyntax::kUri);
    if (!params) return std::unexpected(params.error());
    uri.params = *params;
    i = end;
  }
  if (i < hp.size() && hp[i] == '?') {
    uri.headers = hp.substr(i + 1);
    if (auto st = check_uri_headers(uri.headers); !st) return st;
    i = hp.size();
  }
  if (i != hp.size()) return fail(ErrorCode::kInvalidArgument, "trailing characters in sip uri");
  return {};
}

Status parse_tel_rest(std::string_view rest, Uri& uri) {
  std::size_t semi = rest.find(';');
  uri.user = rest.substr(0, semi);
  if (uri.user.empty()) return fail(ErrorCode::kInvalidArgument, "empty tel number");
  for (char c : uri.user) {
    if (!has(c, detail::kAlnum) && std::string_view("*#+-.()").find(c) == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "bad character in tel number");
    }
  }
  if (semi != std::string_view::npos) {
    auto params = parse_params(rest.substr(semi), ParamSyntax::kUri);
    if (!params) return std::unexpected(params.error());
    uri.params = *params;
  }
  return {};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

bool ParamList::has(std::string_view name) const {
  return get(name).has_value();
}

std::optional<std::string_view> ParamList::get(std::string_view name) const {
  std::size_t pos = 0;
  Param p;
  while (next_param(text_, syntax_, pos, p, nullptr) == Step::kParam) {
    if (iequals(p.name, name)) return p.value;
  }
  return std::nullopt;
}

bool ParamList::next(std::size_t& pos, Param& out) const {
  return next_param(text_, syntax_, pos, out, nullptr) == Step::kParam;
}

std::vector<Param> ParamList::all() const {
  std::vector<Param> out;
  std::size_t pos = 0;
  Param p;
  while (next_param(text_, syntax_, pos, p, nullptr) == Step::kParam) out.push_back(p);
  return out;
}

Result<ParamList> parse_params(std::string_view text, ParamSyntax syntax) {
  std::size_t pos = 0;
  Param p;
  std::string why;
  while (true) {
    Step step = next_param(text, syntax, pos, p, &why);
    if (step == Step::kEnd) return ParamList(text, syntax);
    if (step == Step::kError) return fail(ErrorCode::kInvalidArgument, why);
  }
}

bool is_valid_host(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {
    if (host.size() < 4 || host.back() != ']') return false;
    std::string_view inner = host.substr(1, host.size() - 2);
    if (inner.find(':') == std::string_view::npos) return false;
    for (char c : inner) {
      if (!detail::is_hex(c) && c != ':' && c != '.') return false;
    }
    return true;
  }
  for (char c : host) {
    if (!has(c, detail::kHost)) return false;
  }
  return true;
}

std::string_view Uri::host_address() const {
  if (host.size() >= 2 && host.front() == '[') return host.substr(1, host.size() - 2);
  return host;
}

std::string Uri::user_unescaped() const {
  return unescape(user);
}

Result<Uri> parse_uri(std::string_view text) {
  for (char c : text) {
    if (!has(c, detail::kUriChar)) {
      return fail(ErrorCode::kInvalidArgument, "whitespace or forbidden character in uri");
    }
  }
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail(ErrorCode::kInvalidArgument, "uri has no scheme");
  }
  Uri uri;
  uri.text = text;
  uri.scheme_name = text.substr(0, colon);
  if (!has(uri.scheme_name[0], detail::kAlnum) || detail::is_digit(uri.scheme_name[0])) {
    return fail(ErrorCode::kInvalidArgument, "bad uri scheme");
  }
  for (char c : uri.scheme_name) {
    if (!has(c, detail::kAlnum | detail::kSchemeExtra)) {
      return fail(ErrorCode::kInvalidArgument, "bad uri scheme");
    }
  }
  std::string_view rest = text.substr(colon + 1);
  Status st;
  if (iequals(uri.scheme_name, "sip") || iequals(uri.scheme_name, "sips")) {
    uri.scheme = iequals(uri.scheme_name, "sip") ? UriScheme::kSip : UriScheme::kSips;
    st = parse_sip_rest(rest, uri);
  } else if (iequals(uri.scheme_name, "tel")) {
    uri.scheme = UriScheme::kTel;
    st = parse_tel_rest(rest, uri);
  } else {
    uri.opaque = rest;
    if (rest.empty()) return fail(ErrorCode::kInvalidArgument, "empty uri after scheme");
  }
  if (!st) return std::unexpected(st.error());
  return uri;
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && detail::is_hex(text[i + 1]) &&
        detail::is_hex(text[i + 2])) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string unquote(std::string_view text) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == '\\' && i + 2 < text.size()) ++i;
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace hotline::sip
