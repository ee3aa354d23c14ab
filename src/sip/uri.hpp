// SIP/SIPS/tel URIs and parameter lists (RFC 3261 §19.1, §25.1; RFC 3966) held as
// slices of the text they were parsed from: nothing is copied or unescaped until
// asked for.
//
// Thread-safety: plain values. Lifetime: a Uri or ParamList views the text it was
// parsed from and is valid only while that text lives (for a Message: the Message).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace hotline::sip {

// One parameter; `value` is raw (a quoted-string keeps its quotes, escapes stay).
struct Param {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

enum class ParamSyntax {
  kUri,     // ;name=value inside a URI: no whitespace, paramchar / escaped
  kHeader,  // ;name = value after a header value: LWS allowed, token / host / quoted-string
};

// A validated ";a=b;c" run. Lookups rescan the text (lists are short; scanning
// is cheaper than allocating a map for every message).
class ParamList {
 public:
  ParamList() = default;
  // REQUIRES: `text` was accepted by parse_params() with the same syntax.
  ParamList(std::string_view text, ParamSyntax syntax) : text_(text), syntax_(syntax) {}

  std::string_view text() const { return text_; }
  bool empty() const { return text_.empty(); }
  // Names compare case-insensitively (RFC 3261 §7.3.1).
  bool has(std::string_view name) const;
  // The raw value; "" for a parameter present without a value.
  std::optional<std::string_view> get(std::string_view name) const;
  std::vector<Param> all() const;
  // Allocation-free iteration: start with pos = 0; false at the end.
  bool next(std::size_t& pos, Param& out) const;

 private:
  std::string_view text_;
  ParamSyntax syntax_ = ParamSyntax::kHeader;
};

// Validates a parameter run that must start with ';' (or be empty) and span all of
// `text` (trailing LWS allowed for kHeader). Errors name the offending parameter.
Result<ParamList> parse_params(std::string_view text, ParamSyntax syntax);

enum class UriScheme { kSip, kSips, kTel, kOther };

struct Uri {
  UriScheme scheme = UriScheme::kOther;
  std::string_view text;         // the whole URI as received
  std::string_view scheme_name;  // as written ("sip", "SIPS", "soap.beep")
  std::string_view user;         // raw, still %-escaped; tel: the number
  std::string_view password;     // raw
  bool has_password = false;
  std::string_view host;  // IPv6 references keep their brackets: "[2001:db8::1]"
  std::optional<std::uint16_t> port;
  ParamList params;          // uri-parameters (sip/sips/tel)
  std::string_view headers;  // after '?', raw ("Route=%3Csip:x%3E&Subject=hi")
  std::string_view opaque;   // kOther: everything after "scheme:"

  bool is_sip() const { return scheme == UriScheme::kSip || scheme == UriScheme::kSips; }
  std::string_view host_address() const;  // host without IPv6 brackets
  std::string user_unescaped() const;
};

// Parses any absolute URI; sip/sips/tel are taken apart, other schemes are kept
// whole in `opaque` (RFC 4475 unkscm/novelsc). No whitespace is allowed anywhere.
Result<Uri> parse_uri(std::string_view text);

// Decodes %HH escapes; invalid escapes are kept literally. NULs survive (escnull).
std::string unescape(std::string_view text);

// Removes the quotes of a quoted-string and resolves its \-escapes; other text is
// returned as is.
std::string unquote(std::string_view text);

// Validates a host: hostname, IPv4 address or bracketed IPv6 reference.
bool is_valid_host(std::string_view host);

}  // namespace hotline::sip
