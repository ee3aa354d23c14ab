// Building and writing SIP messages. A received Message is never edited: its wire()
// is already its exact serialization (byte-identical). To change anything — add a
// Via, drop a Route, answer with a response — describe the new message with a
// MessageBuilder, which writes the canonical form:
//   * start line re-assembled with single spaces;
//   * each header as "Name: value\r\n", the name as given (compact names stay
//     compact), folded values unfolded (CRLF + whitespace becomes one space);
//   * exactly one Content-Length, always equal to the body size, at the position of
//     the first Content-Length seen (else last);
//   * the body untouched.
// build() re-parses the result, so every built Message passed the same checks as a
// received one.
//
// Thread-safety: a builder is a plain value; use it from one thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sip/message.hpp"

namespace hotline::sip {

class MessageBuilder {
 public:
  static MessageBuilder request(std::string method, std::string request_uri);
  static MessageBuilder response(int status, std::string reason);
  // Start line, headers (in order, unfolded) and body of `m`.
  static MessageBuilder copy_of(const Message& m);

  MessageBuilder& set_request_uri(std::string uri);
  MessageBuilder& add_header(std::string name, std::string value);
  // Puts the header first (a proxy adds its Via on top).
  MessageBuilder& prepend_header(std::string name, std::string value);
  // Removes every header with this name; compact and long forms are the same header.
  MessageBuilder& remove_headers(std::string_view name);
  // Replaces the first header with this name in place and removes the others;
  // appends when there is none.
  MessageBuilder& set_header(std::string name, std::string value);
  MessageBuilder& set_body(std::string body);

  std::string serialize() const;
  ParseResult build(const ParseOptions& options = {}) const;

  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  bool is_response() const { return !request_; }
  // A response's status code (0 for a request or a code that is not 3 digits).
  int status_code() const;

 private:
  MessageBuilder() = default;
  bool same_header(std::string_view a, std::string_view b) const;

  std::string start_line_[3];  // method, uri, version | version, code, reason
  bool request_ = true;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
};

// Replaces each CRLF fold (CRLF followed by spaces or tabs) with a single space.
std::string unfold(std::string_view value);

}  // namespace hotline::sip
