// StreamFramer: finds message boundaries in a TCP/TLS byte stream (RFC 3261 §18.3:
// framed by Content-Length) without parsing the message. Resumable: it remembers
// how far it has looked, so bytes arriving a few at a time are scanned once.
// Bounded: a peer that never ends its headers, or announces a huge body, is refused
// as soon as the limits of ParseOptions are crossed, never buffered forever.
//
// Thread-safety: one framer per connection, used from the connection's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sip/message.hpp"

namespace hotline::sip {

enum class FrameStatus {
  kMessage,    // `length` bytes hold one complete message: parse them, consume them
  kKeepAlive,  // `length` bytes are CRLFs between messages (RFC 5626 ping): consume
  kNeedMore,   // read more bytes and call again with the grown buffer
  kError,      // the stream cannot be framed: answer error.status if possible, close
};

struct Frame {
  FrameStatus status = FrameStatus::kNeedMore;
  std::size_t length = 0;
  ParseError error;
};

class StreamFramer {
 public:
  explicit StreamFramer(const ParseOptions& limits = {}) : limits_(limits) {}

  // REQUIRES: `pending` starts at the first unconsumed byte of the stream and, between
  // calls, only grows at its end until a kMessage or kKeepAlive is returned; the
  // caller then consumes exactly `length` bytes. After kError the connection is done
  // (reset() to reuse the framer).
  Frame next(std::string_view pending);
  void reset();

 private:
  std::optional<ParseError> finish_field(std::string_view pending);

  ParseOptions limits_;
  std::size_t line_start_ = 0;   // first byte of the line not yet complete
  std::size_t field_start_ = 0;  // first byte of the header being collected
  bool have_field_ = false;
  bool in_start_line_ = true;
  std::size_t headers_ = 0;
  std::optional<std::uint64_t> content_length_;
  std::size_t header_end_ = 0;  // one past the empty line, once seen
};

}  // namespace hotline::sip
