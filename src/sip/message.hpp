// sip::Message: one received SIP request or response. It owns exactly one buffer
// (the bytes as received); the start line, every header and the body are
// string_view slices of it. The headers every transaction needs (Via, From, To,
// Call-ID, CSeq, Max-Forwards, Content-Length, Expires, Contact) are parsed and
// checked up front so a malformed message is refused at the door with the response
// code it deserves; everything else stays raw, in order, and is parsed on request.
// A Message is never edited: build a new one with MessageBuilder (serializer.hpp).
//
// Thread-safety: immutable after parse_message(); const access from several
// threads is safe. Lifetime: views returned by accessors live as long as the
// Message (moving a Message keeps them valid: the buffer is heap-held).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "sip/headers.hpp"
#include "sip/uri.hpp"

namespace hotline::sip {

enum class Framing {
  kDatagram,  // UDP: Content-Length optional; extra trailing octets are discarded
  kStream,    // TCP/TLS: the input is exactly one framed message; Content-Length required
};

struct ParseOptions {
  std::size_t max_message_size = 64 * 1024;
  std::size_t max_headers = 256;
  std::size_t max_header_line = 8 * 1024;  // one logical header, folds included
  Framing framing = Framing::kDatagram;
  // A UAS that only serves sip:, sips: and tel: sets this to refuse other
  // Request-URI schemes with 416 (RFC 3261 §8.2.2.1). A proxy leaves it off.
  bool refuse_unknown_uri_schemes = false;
};

// Why a message was refused, and what to answer. `status` is the response code a
// server should send (400 by default, 505 for a foreign SIP version, 513 for an
// oversized message); 0 means "drop silently" (a malformed response, or bytes
// that are not SIP at all, cannot be answered).
struct ParseError {
  int status = 400;
  std::string reason;
  std::size_t offset = 0;  // byte offset in the input where the problem was seen

  Error to_error() const;
};

struct HeaderField {
  std::string_view name;   // as received ("v", "VIA", "C%6Fntact")
  std::string_view value;  // trimmed; folds (CRLF + WSP) are left in place
  HeaderId id = HeaderId::kUnknown;
};

class Message;
using ParseResult = std::expected<Message, ParseError>;

// Parses one message. Takes ownership of `bytes` so the slices can point into it.
ParseResult parse_message(std::string bytes, const ParseOptions& options = {});

class Message {
 public:
  Message(Message&&) noexcept = default;
  Message& operator=(Message&&) noexcept = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  bool is_request() const { return request_; }
  bool is_response() const { return !request_; }

  // Requests.
  std::string_view method() const { return method_; }
  const Uri& request_uri() const { return request_uri_; }
  // Responses.
  int status_code() const { return status_; }
  std::string_view reason_phrase() const { return reason_; }

  // Every header in received order, unknown ones included.
  std::span<const HeaderField> headers() const { return headers_; }
  // First value of a header by id, or by name (case-insensitive, compact forms and
  // unknown names too).
  std::optional<std::string_view> header(HeaderId id) const;
  std::optional<std::string_view> header(std::string_view name) const;
  // All comma-separated values of every header with this id, in order (Accept,
  // Require, Supported, Allow...). Not for headers whose grammar has bare commas
  // (Date, WWW-Authenticate, Authorization).
  Result<std::vector<std::string_view>> header_values(HeaderId id) const;

  // Checked at parse time.
  const std::vector<Via>& vias() const { return vias_; }
  const NameAddr& from() const { return from_; }
  const NameAddr& to() const { return to_; }
  std::string_view call_id() const { return call_id_; }
  const CSeq& cseq() const { return cseq_; }
  std::optional<std::uint32_t> max_forwards() const { return max_forwards_; }
  std::optional<std::uint32_t> expires() const { return expires_; }
  const ContactList& contacts() const { return contacts_; }
  // "type/subtype" of Content-Type, or "" when there is none.
  std::string_view content_type() const { return content_type_; }
  // True when Content-Length was present (a datagram may omit it).
  bool has_content_length() const { return has_content_length_; }

  // Parsed on each call (these are read rarely: by proxies and dialogs).
  Result<std::vector<NameAddr>> routes() const { return name_addr_list(HeaderId::kRoute); }
  Result<std::vector<NameAddr>> record_routes() const {
    return name_addr_list(HeaderId::kRecordRoute);
  }

  std::string_view body() const { return body_; }
  // The message exactly as received, from the start line to the end of the body
  // (leading CRLF keep-alives and octets after the body are not part of it).
  std::string_view wire() const { return wire_; }
  // Octets that followed the body in the datagram and were discarded (RFC 3261
  // §18.3; RFC 4475 dblreq).
  std::size_t discarded_trailing_bytes() const { return trailing_; }

 private:
  friend ParseResult parse_message(std::string bytes, const ParseOptions& options);
  Message() = default;
  Result<std::vector<NameAddr>> name_addr_list(HeaderId id) const;

  std::unique_ptr<std::string> buffer_;
  std::string_view wire_;
  bool request_ = true;
  std::string_view method_;
  Uri request_uri_;
  int status_ = 0;
  std::string_view reason_;
  std::vector<HeaderField> headers_;
  std::vector<Via> vias_;
  NameAddr from_;
  NameAddr to_;
  std::string_view call_id_;
  CSeq cseq_;
  std::optional<std::uint32_t> max_forwards_;
  std::optional<std::uint32_t> expires_;
  ContactList contacts_;
  std::string_view content_type_;
  bool has_content_length_ = false;
  std::string_view body_;
  std::size_t trailing_ = 0;
};

}  // namespace hotline::sip
