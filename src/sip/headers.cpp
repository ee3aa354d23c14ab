#include "sip/headers.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "sip/scanner.hpp"

namespace hotline::sip {
namespace {

using detail::iequals;
using detail::is_digit;
using detail::scan_token;
using detail::skip_lws;
using detail::trim_lws;

struct NameEntry {
  std::string_view name;
  HeaderId id;
};

constexpr std::array<NameEntry, 41> kNames{{
    {"Accept", HeaderId::kAccept},
    {"Accept-Contact", HeaderId::kAcceptContact},
    {"Accept-Encoding", HeaderId::kAcceptEncoding},
    {"Accept-Language", HeaderId::kAcceptLanguage},
    {"Allow", HeaderId::kAllow},
    {"Allow-Events", HeaderId::kAllowEvents},
    {"Authentication-Info", HeaderId::kAuthenticationInfo},
    {"Authorization", HeaderId::kAuthorization},
    {"Call-ID", HeaderId::kCallId},
    {"Contact", HeaderId::kContact},
    {"Content-Disposition", HeaderId::kContentDisposition},
    {"Content-Encoding", HeaderId::kContentEncoding},
    {"Content-Length", HeaderId::kContentLength},
    {"Content-Type", HeaderId::kContentType},
    {"CSeq", HeaderId::kCSeq},
    {"Date", HeaderId::kDate},
    {"Event", HeaderId::kEvent},
    {"Expires", HeaderId::kExpires},
    {"From", HeaderId::kFrom},
    {"Identity", HeaderId::kIdentity},
    {"Max-Forwards", HeaderId::kMaxForwards},
    {"Min-Expires", HeaderId::kMinExpires},
    {"Proxy-Authenticate", HeaderId::kProxyAuthenticate},
    {"Proxy-Authorization", HeaderId::kProxyAuthorization},
    {"Proxy-Require", HeaderId::kProxyRequire},
    {"Record-Route", HeaderId::kRecordRoute},
    {"Refer-To", HeaderId::kReferTo},
    {"Referred-By", HeaderId::kReferredBy},
    {"Require", HeaderId::kRequire},
    {"Retry-After", HeaderId::kRetryAfter},
    {"Route", HeaderId::kRoute},
    {"Server", HeaderId::kServer},
    {"Session-Expires", HeaderId::kSessionExpires},
    {"Subject", HeaderId::kSubject},
    {"Supported", HeaderId::kSupported},
    {"To", HeaderId::kTo},
    {"Unsupported", HeaderId::kUnsupported},
    {"User-Agent", HeaderId::kUserAgent},
    {"Via", HeaderId::kVia},
    {"Warning", HeaderId::kWarning},
    {"WWW-Authenticate", HeaderId::kWwwAuthenticate},
}};

// Case-insensitive compare against a known name `a`: the bytes may differ only in
// the 0x20 bit, and only where `a` has a letter. Cheaper than lower-casing both.
bool token_iequals(std::string_view a, std::string_view b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    const int diff = a[i] ^ b[i];
    if (diff != 0 && (diff != 0x20 || static_cast<unsigned>((a[i] | 0x20) - 'a') >= 26u)) {
      return false;
    }
  }
  return true;
}

// A hash of a header name that is collision-free over kNames (checked at compile
// time): header_id() runs for every header of every message.
constexpr std::size_t kNameSlotCount = 128;
constexpr std::size_t name_hash(std::string_view name) {
  return (name.size() * 39 + static_cast<std::size_t>(detail::ascii_lower(name.front())) * 45 +
          static_cast<std::size_t>(detail::ascii_lower(name.back()))) &
         (kNameSlotCount - 1);
}

constexpr std::array<std::uint8_t, kNameSlotCount> make_name_slots() {
  std::array<std::uint8_t, kNameSlotCount> out{};
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    const std::size_t h = name_hash(kNames[i].name);
    if (out[h] != 0) throw "two header names share a hash slot: change name_hash()";
    out[h] = static_cast<std::uint8_t>(i + 1);
  }
  return out;
}

constexpr std::array<std::uint8_t, kNameSlotCount> kNameSlots = make_name_slots();

HeaderId compact_id(char c) {
  switch (detail::ascii_lower(c)) {
    case 'a': return HeaderId::kAcceptContact;
    case 'b': return HeaderId::kReferredBy;
    case 'c': return HeaderId::kContentType;
    case 'e': return HeaderId::kContentEncoding;
    case 'f': return HeaderId::kFrom;
    case 'i': return HeaderId::kCallId;
    case 'k': return HeaderId::kSupported;
    case 'l': return HeaderId::kContentLength;
    case 'm': return HeaderId::kContact;
    case 'o': return HeaderId::kEvent;
    case 'r': return HeaderId::kReferTo;
    case 's': return HeaderId::kSubject;
    case 't': return HeaderId::kTo;
    case 'u': return HeaderId::kAllowEvents;
    case 'v': return HeaderId::kVia;
    case 'x': return HeaderId::kSessionExpires;
    case 'y': return HeaderId::kIdentity;
    default: return HeaderId::kUnknown;
  }
}

Result<std::string_view> invalid(std::string why) {
  return fail(ErrorCode::kInvalidArgument, std::move(why));
}

// A host at s[pos..]: bracketed IPv6 or hostname/IPv4 characters. Returns end.
std::size_t scan_host(std::string_view s, std::size_t pos) {
  if (pos < s.size() && s[pos] == '[') {
    std::size_t close = s.find(']', pos);
    return close == std::string_view::npos ? pos : close + 1;
  }
  while (pos < s.size() && detail::has(s[pos], detail::kHost)) ++pos;
  return pos;
}

Status check_qvalue(std::string_view q) {
  // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
  bool ok = !q.empty() && (q[0] == '0' || q[0] == '1') && q.size() <= 5;
  if (ok && q.size() > 1) {
    ok = q[1] == '.';
    for (std::size_t i = 2; ok && i < q.size(); ++i)
      ok = is_digit(q[i]) && (q[0] == '0' || q[i] == '0');
  }
  if (!ok) return fail(ErrorCode::kInvalidArgument, "bad q value '" + std::string(q) + "'");
  return {};
}

}  // namespace

HeaderId header_id(std::string_view name) {
  if (name.size() == 1) return compact_id(name[0]);
  if (name.empty()) return HeaderId::kUnknown;
  // One candidate per (length, first letter, last letter), then one comparison.
  const std::uint8_t slot = kNameSlots[name_hash(name)];
  if (slot == 0) return HeaderId::kUnknown;
  const NameEntry& e = kNames[slot - 1u];
  if (e.name.size() == name.size() && token_iequals(e.name, name)) return e.id;
  return HeaderId::kUnknown;
}

std::string_view header_name(HeaderId id) {
  for (const auto& e : kNames) {
    if (e.id == id) return e.name;
  }
  return {};
}

Result<NameAddr> parse_name_addr(std::string_view value) {
  std::string_view s = trim_lws(value);
  if (s.empty()) return fail(ErrorCode::kInvalidArgument, "empty address");
  NameAddr na;
  na.text = s;
  std::size_t pos = 0;
  bool angle = false;
  if (s[0] == '"') {
    std::size_t end = detail::scan_quoted(s, 0);
    if (end == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "unterminated quoted display name");
    }
    na.display_name = s.substr(0, end);
    na.display_quoted = true;
    pos = skip_lws(s, end);
    if (pos >= s.size() || s[pos] != '<') {
      return fail(ErrorCode::kInvalidArgument, "expected '<' after quoted display name");
    }
    angle = true;
  } else if (s[0] == '<') {
    angle = true;
  } else {
    // Tokens followed by '<' are a display name; anything else is an addr-spec.
    std::size_t p = 0;
    std::size_t last_end = 0;
    while (p < s.size() && detail::is_token(s[p])) {
      last_end = scan_token(s, p);
      p = skip_lws(s, last_end);
    }
    if (p < s.size() && s[p] == '<' && last_end > 0) {
      na.display_name = s.substr(0, last_end);
      pos = p;
      angle = true;
    }
  }
  std::string_view rest;
  if (angle) {
    std::size_t close = s.find('>', pos);
    if (close == std::string_view::npos) return fail(ErrorCode::kInvalidArgument, "missing '>'");
    auto uri = parse_uri(s.substr(pos + 1, close - pos - 1));
    if (!uri) return fail(ErrorCode::kInvalidArgument, "bad uri in <>: " + uri.error().message);
    na.uri = *uri;
    na.angle_brackets = true;
    rest = s.substr(close + 1);
  } else {
    std::size_t end = 0;
    while (end < s.size() && s[end] != ';' && !detail::is_lws(s[end])) ++end;
    std::string_view uri_text = s.substr(0, end);
    if (detail::find_any(uri_text, "?,") != std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "addr-spec containing '?' or ',' must be in <>");
    }
    auto uri = parse_uri(uri_text);
    if (!uri) return fail(ErrorCode::kInvalidArgument, "bad address: " + uri.error().message);
    na.uri = *uri;
    rest = s.substr(end);
  }
  auto params = parse_params(rest, ParamSyntax::kHeader);
  if (!params) return std::unexpected(params.error());
  na.params = *params;
  return na;
}

Result<Via> parse_via(std::string_view value) {
  std::string_view s = trim_lws(value);
  Via via;
  via.text = s;
  std::size_t pos = 0;
  std::string_view* parts[3] = {&via.protocol_name, &via.protocol_version, &via.transport};
  for (int i = 0; i < 3; ++i) {
    if (i > 0) {
      pos = skip_lws(s, pos);
      if (pos >= s.size() || s[pos] != '/')
        return fail(ErrorCode::kInvalidArgument, "bad Via protocol");
      pos = skip_lws(s, pos + 1);
    }
    std::size_t end = scan_token(s, pos);
    if (end == pos) return fail(ErrorCode::kInvalidArgument, "bad Via protocol");
    *parts[i] = s.substr(pos, end - pos);
    pos = end;
  }
  std::size_t host_start = skip_lws(s, pos);
  if (host_start == pos) return fail(ErrorCode::kInvalidArgument, "Via lacks sent-by");
  pos = scan_host(s, host_start);
  via.host = s.substr(host_start, pos - host_start);
  if (!is_valid_host(via.host)) return fail(ErrorCode::kInvalidArgument, "bad Via host");
  std::size_t at = skip_lws(s, pos);
  if (at < s.size() && s[at] == ':') {
    at = skip_lws(s, at + 1);
    std::size_t end = at;
    while (end < s.size() && is_digit(s[end])) ++end;
    auto port = parse_number(s.substr(at, end - at), 65535);
    if (!port) return fail(ErrorCode::kInvalidArgument, "bad Via port");
    via.port = static_cast<std::uint16_t>(*port);
    pos = end;
  }
  auto params = parse_params(s.substr(pos), ParamSyntax::kHeader);
  if (!params) return fail(ErrorCode::kInvalidArgument, "Via: " + params.error().message);
  via.params = *params;
  // One pass over the parameters instead of one rescan per lookup.
  std::size_t ppos = 0;
  Param p;
  while (via.params.next(ppos, p)) {
    bool ok = true;
    if (iequals(p.name, "rport"))
      ok = p.value.empty() || parse_number(p.value, 65535).has_value();
    else if (iequals(p.name, "ttl"))
      ok = parse_number(p.value, 255).has_value();
    else if (iequals(p.name, "received") || iequals(p.name, "maddr"))
      ok = is_valid_host(p.value);
    if (!ok) return fail(ErrorCode::kInvalidArgument, "bad Via " + std::string(p.name));
  }
  return via;
}

Result<std::uint64_t> parse_number(std::string_view value, std::uint64_t max) {
  std::string_view s = trim_lws(value);
  if (s.empty()) return fail(ErrorCode::kInvalidArgument, "missing number");
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c))
      return fail(ErrorCode::kInvalidArgument, "not a number: '" + std::string(s) + "'");
    const auto digit = static_cast<std::uint64_t>(c - '0');
    // Checked before multiplying so even max == UINT64_MAX cannot wrap.
    if (digit > max || v > (max - digit) / 10) {
      return fail(ErrorCode::kInvalidArgument, "number too large: '" + std::string(s) + "'");
    }
    v = v * 10 + digit;
  }
  return v;
}

Result<CSeq> parse_cseq(std::string_view value) {
  std::string_view s = trim_lws(value);
  std::size_t end = 0;
  while (end < s.size() && is_digit(s[end])) ++end;
  auto n = parse_number(s.substr(0, end), 0xFFFFFFFFu);
  if (!n) return fail(ErrorCode::kInvalidArgument, "bad CSeq number: " + n.error().message);
  std::size_t m = skip_lws(s, end);
  std::size_t m_end = scan_token(s, m);
  if (m == end || m_end == m || m_end != s.size()) {
    return fail(ErrorCode::kInvalidArgument, "bad CSeq method");
  }
  return CSeq{static_cast<std::uint32_t>(*n), s.substr(m)};
}

Result<std::string_view> parse_call_id(std::string_view value) {
  std::string_view s = trim_lws(value);
  if (s.empty()) return invalid("empty Call-ID");
  std::size_t at = std::string_view::npos;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '@') {
      if (at != std::string_view::npos || i == 0 || i + 1 == s.size())
        return invalid("bad Call-ID");
      at = i;
    } else if (!detail::has(s[i], detail::kToken | detail::kWordExtra)) {
      return invalid("bad character in Call-ID");
    }
  }
  return s;
}

namespace {
constexpr std::array<bool, 256> make_list_special() {
  std::array<bool, 256> t{};
  t['"'] = t['<'] = t[','] = true;
  return t;
}
constexpr std::array<bool, 256> kListSpecial = make_list_special();
}  // namespace

bool ListCursor::next(std::string_view& out) {
  while (!done_) {
    bool quoted = false;
    bool angle = false;
    std::size_t i = pos_;
    for (; i < value_.size(); ++i) {
      if (!quoted && !angle) {
        // Most of a value is plain text: skip to the next character that matters.
        while (i < value_.size() && !kListSpecial[static_cast<unsigned char>(value_[i])]) ++i;
        if (i >= value_.size()) break;
      }
      char c = value_[i];
      if (quoted) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (angle) {
        if (c == '>') angle = false;
      } else if (c == '<') {
        angle = true;
      } else if (c == ',') {
        break;
      }
    }
    if (quoted || angle) {
      error_ = quoted ? "unterminated quoted string" : "missing '>'";
      done_ = true;
      return false;
    }
    std::string_view e = trim_lws(value_.substr(pos_, std::min(i, value_.size()) - pos_));
    if (i >= value_.size()) {
      done_ = true;
    } else {
      pos_ = i + 1;
    }
    if (!e.empty()) {
      out = e;
      return true;
    }
    if (!allow_empty_) {
      error_ = "empty element in list";
      done_ = true;
      return false;
    }
  }
  return false;
}

Result<std::vector<std::string_view>> split_list(std::string_view value, bool allow_empty) {
  std::vector<std::string_view> out;
  ListCursor cursor(value, allow_empty);
  std::string_view item;
  while (cursor.next(item)) out.push_back(item);
  if (cursor.failed()) return fail(ErrorCode::kInvalidArgument, cursor.error());
  return out;
}

Status parse_contacts(std::string_view value, ContactList& out) {
  if (trim_lws(value) == "*") {
    if (out.star || !out.entries.empty()) {
      return fail(ErrorCode::kInvalidArgument, "Contact '*' mixed with other contacts");
    }
    out.star = true;
    return {};
  }
  if (out.star) return fail(ErrorCode::kInvalidArgument, "Contact '*' mixed with other contacts");
  ListCursor cursor(value, false);
  std::string_view item;
  while (cursor.next(item)) {
    auto na = parse_name_addr(item);
    if (!na) return fail(ErrorCode::kInvalidArgument, "Contact: " + na.error().message);
    std::size_t ppos = 0;
    Param p;
    while (na->params.next(ppos, p)) {
      if (iequals(p.name, "expires") && !parse_number(p.value, 0xFFFFFFFFu)) {
        return fail(ErrorCode::kInvalidArgument, "Contact: bad expires parameter");
      }
      if (iequals(p.name, "q")) {
        if (auto st = check_qvalue(p.value); !st) {
          return fail(ErrorCode::kInvalidArgument, "Contact: " + st.error().message);
        }
      }
    }
    out.entries.push_back(*na);
  }
  if (cursor.failed())
    return fail(ErrorCode::kInvalidArgument, std::string("Contact: ") + cursor.error());
  return {};
}

Status check_sip_date(std::string_view value) {
  // "Sat, 13 Nov 2010 23:29:00 GMT"
  static constexpr std::string_view kDays = "MonTueWedThuFriSatSun";
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::string_view s = trim_lws(value);
  auto digits = [&](std::size_t at, std::size_t n) {
    for (std::size_t i = at; i < at + n; ++i) {
      if (!is_digit(s[i])) return false;
    }
    return true;
  };
  bool ok = s.size() == 29 && kDays.find(s.substr(0, 3)) % 3 == 0 &&
            kDays.find(s.substr(0, 3)) != std::string_view::npos && s.substr(3, 2) == ", " &&
            digits(5, 2) && s[7] == ' ' && kMonths.find(s.substr(8, 3)) != std::string_view::npos &&
            kMonths.find(s.substr(8, 3)) % 3 == 0 && s[11] == ' ' && digits(12, 4) &&
            s[16] == ' ' && digits(17, 2) && s[19] == ':' && digits(20, 2) && s[22] == ':' &&
            digits(23, 2) && s.substr(25) == " GMT";
  if (!ok) return fail(ErrorCode::kInvalidArgument, "bad Date (must be rfc1123 in GMT)");
  return {};
}

Result<std::string_view> parse_media_type(std::string_view value) {
  std::string_view s = trim_lws(value);
  std::size_t t = scan_token(s, 0);
  std::size_t slash = skip_lws(s, t);
  if (t == 0 || slash >= s.size() || s[slash] != '/') return invalid("bad media type");
  std::size_t sub = skip_lws(s, slash + 1);
  std::size_t sub_end = scan_token(s, sub);
  if (sub_end == sub) return invalid("bad media type");
  auto params = parse_params(s.substr(sub_end), ParamSyntax::kHeader);
  if (!params) return invalid("bad media type: " + params.error().message);
  return s.substr(0, sub_end);
}

}  // namespace hotline::sip
