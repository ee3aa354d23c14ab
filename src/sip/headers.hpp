// Typed views of the SIP header fields the stack understands (RFC 3261 §20):
// header names (long and compact), name-addr/addr-spec, Via, CSeq, numbers and
// comma-separated lists. Every parser takes a raw (possibly folded) header value and
// returns a value viewing that text, or an error saying what is wrong.
//
// Thread-safety: pure functions over caller-owned text. Results view the input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "sip/uri.hpp"

namespace hotline::sip {

enum class HeaderId : std::uint8_t {
  kUnknown,
  kAccept,
  kAcceptContact,
  kAcceptEncoding,
  kAcceptLanguage,
  kAllow,
  kAllowEvents,
  kAuthenticationInfo,
  kAuthorization,
  kCallId,
  kContact,
  kContentDisposition,
  kContentEncoding,
  kContentLength,
  kContentType,
  kCSeq,
  kDate,
  kEvent,
  kExpires,
  kFrom,
  kIdentity,
  kMaxForwards,
  kMinExpires,
  kProxyAuthenticate,
  kProxyAuthorization,
  kProxyRequire,
  kRecordRoute,
  kReferTo,
  kReferredBy,
  kRequire,
  kRetryAfter,
  kRoute,
  kServer,
  kSessionExpires,
  kSubject,
  kSupported,
  kTo,
  kUnsupported,
  kUserAgent,
  kVia,
  kWarning,
  kWwwAuthenticate,
  kCount,
};

// Case-insensitive; knows the compact forms (i m f t v l c k s e o r u x b a y j…).
HeaderId header_id(std::string_view name);
// The canonical long name ("Call-ID", "CSeq", "WWW-Authenticate"); "" for kUnknown.
std::string_view header_name(HeaderId id);

// One value of From/To/Contact/Route/Record-Route: name-addr or addr-spec plus
// header parameters.
struct NameAddr {
  std::string_view text;          // the whole value, trimmed
  std::string_view display_name;  // raw: keeps quotes and escapes; "" when absent
  bool display_quoted = false;
  bool angle_brackets = false;  // name-addr form (<uri>) rather than addr-spec
  Uri uri;
  ParamList params;  // header params (tag, expires, q, ...), not uri-params

  std::optional<std::string_view> tag() const { return params.get("tag"); }
  // Quotes removed and \-escapes resolved for quoted names; tokens as written.
  std::string display_name_text() const { return unquote(display_name); }
};

Result<NameAddr> parse_name_addr(std::string_view value);

struct Via {
  std::string_view text;
  std::string_view protocol_name;     // "SIP"
  std::string_view protocol_version;  // "2.0"
  std::string_view transport;         // "UDP", "TCP", "TLS", "SCTP", "WS", anything
  std::string_view host;              // brackets kept for IPv6
  std::optional<std::uint16_t> port;
  ParamList params;

  std::optional<std::string_view> branch() const { return params.get("branch"); }
  std::optional<std::string_view> received() const { return params.get("received"); }
  // "" when rport is present without a value (a request asking for it, RFC 3581).
  std::optional<std::string_view> rport() const { return params.get("rport"); }
  std::optional<std::string_view> maddr() const { return params.get("maddr"); }
  std::optional<std::string_view> ttl() const { return params.get("ttl"); }
};

// One via-parm; checks received/maddr are hosts and rport/ttl are numbers in range.
Result<Via> parse_via(std::string_view value);

struct CSeq {
  std::uint32_t number = 0;
  std::string_view method;
};
Result<CSeq> parse_cseq(std::string_view value);

// 1*DIGIT within [0, max]; rejects signs, empty values and overflow (RFC 4475
// scalar02, ncl). Surrounding LWS is allowed.
Result<std::uint64_t> parse_number(std::string_view value, std::uint64_t max);

// callid = word ["@" word]; no whitespace inside.
Result<std::string_view> parse_call_id(std::string_view value);

// Splits a comma-separated header value, ignoring commas inside quotes and <>.
// Elements are trimmed. Empty elements are an error when `allow_empty` is false
// (RFC 4475 badinv01) and are dropped otherwise.
Result<std::vector<std::string_view>> split_list(std::string_view value, bool allow_empty);

// The same split without allocating: next() yields elements until it returns
// false; then failed() tells a malformed list from the end of a good one.
class ListCursor {
 public:
  ListCursor(std::string_view value, bool allow_empty) : value_(value), allow_empty_(allow_empty) {}
  bool next(std::string_view& out);
  bool failed() const { return error_ != nullptr; }
  const char* error() const { return error_; }

 private:
  std::string_view value_;
  bool allow_empty_;
  std::size_t pos_ = 0;
  bool done_ = false;
  const char* error_ = nullptr;
};

// The Contact header: "*" or a list of name-addr/addr-spec with contact params.
struct ContactList {
  bool star = false;
  std::vector<NameAddr> entries;
};
// Parses one Contact header value and appends to `out`; checks expires and q.
Status parse_contacts(std::string_view value, ContactList& out);

// rfc1123-date as SIP requires it ("Sat, 13 Nov 2010 23:29:00 GMT", §20.17).
Status check_sip_date(std::string_view value);

// type "/" subtype *(;param) — returns the "type/subtype" part, lower case not forced.
Result<std::string_view> parse_media_type(std::string_view value);

}  // namespace hotline::sip
