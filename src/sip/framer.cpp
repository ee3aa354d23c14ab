#include "sip/framer.hpp"

#include <cstring>
#include <string>

#include "sip/headers.hpp"
#include "sip/scanner.hpp"

namespace hotline::sip {
namespace {

Frame refused(int status, std::string reason, std::size_t offset) {
  return Frame{FrameStatus::kError, 0, ParseError{status, std::move(reason), offset}};
}

}  // namespace

void StreamFramer::reset() {
  line_start_ = 0;
  field_start_ = 0;
  have_field_ = false;
  in_start_line_ = true;
  headers_ = 0;
  content_length_.reset();
  header_end_ = 0;
}

std::optional<ParseError> StreamFramer::finish_field(std::string_view pending) {
  if (!have_field_) return std::nullopt;
  have_field_ = false;
  // The field spans [field_start_, line_start_ - 2): its CRLF is already behind us.
  std::string_view field = pending.substr(field_start_, line_start_ - 2 - field_start_);
  std::size_t name_end = detail::scan_token(field, 0);
  std::size_t colon = name_end;
  while (colon < field.size() && (field[colon] == ' ' || field[colon] == '\t')) ++colon;
  if (name_end == 0 || colon >= field.size() || field[colon] != ':') {
    return ParseError{400, "header line without ':'", field_start_};
  }
  if (header_id(field.substr(0, name_end)) != HeaderId::kContentLength) return std::nullopt;
  if (content_length_) return ParseError{400, "duplicate Content-Length header", field_start_};
  auto n = parse_number(field.substr(colon + 1), 0xFFFFFFFFu);
  if (!n) return ParseError{400, "bad Content-Length: " + n.error().message, field_start_};
  content_length_ = *n;
  return std::nullopt;
}

Frame StreamFramer::next(std::string_view pending) {
  if (header_end_ == 0) {
    if (in_start_line_ && line_start_ == 0) {
      std::size_t i = 0;
      while (i + 1 < pending.size() && pending[i] == '\r' && pending[i + 1] == '\n') i += 2;
      if (i > 0) return Frame{FrameStatus::kKeepAlive, i, {}};
    }
    while (true) {
      const char* base = pending.data();
      const void* hit = line_start_ < pending.size()
                            ? std::memchr(base + line_start_, '\n', pending.size() - line_start_)
                            : nullptr;
      if (hit == nullptr) {
        if (pending.size() - line_start_ > limits_.max_header_line) {
          return refused(400, "header line too long", line_start_);
        }
        if (pending.size() > limits_.max_message_size) {
          return refused(513, "header section too large", line_start_);
        }
        return Frame{FrameStatus::kNeedMore, 0, {}};
      }
      const std::size_t nl = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
      if (nl == line_start_ || pending[nl - 1] != '\r') {
        return refused(400, "bare LF in header section", nl);
      }
      const std::size_t line_len = nl - 1 - line_start_;
      const std::size_t next_line = nl + 1;
      if (next_line > limits_.max_message_size) {
        return refused(513, "header section too large", line_start_);
      }
      if (in_start_line_) {
        in_start_line_ = false;
        if (line_len > limits_.max_header_line)
          return refused(400, "start line too long", line_start_);
      } else if (line_len == 0) {
        if (auto err = finish_field(pending)) return Frame{FrameStatus::kError, 0, *err};
        line_start_ = next_line;
        header_end_ = next_line;
        break;
      } else if (pending[line_start_] == ' ' || pending[line_start_] == '\t') {
        if (!have_field_) return refused(400, "continuation line without a header", line_start_);
        if (nl - field_start_ > limits_.max_header_line) {
          return refused(400, "header line too long", field_start_);
        }
      } else {
        std::size_t this_line = line_start_;
        if (auto err = finish_field(pending)) return Frame{FrameStatus::kError, 0, *err};
        if (++headers_ > limits_.max_headers) return refused(400, "too many headers", this_line);
        if (line_len > limits_.max_header_line)
          return refused(400, "header line too long", this_line);
        field_start_ = this_line;
        have_field_ = true;
      }
      line_start_ = next_line;
    }
  }
  if (!content_length_) return refused(400, "Content-Length is required on a stream", header_end_);
  const std::uint64_t total = header_end_ + *content_length_;
  if (total > limits_.max_message_size) {
    return refused(513,
                   "message larger than " + std::to_string(limits_.max_message_size) + " bytes",
                   header_end_);
  }
  if (pending.size() < total) return Frame{FrameStatus::kNeedMore, 0, {}};
  reset();
  return Frame{FrameStatus::kMessage, static_cast<std::size_t>(total), {}};
}

}  // namespace hotline::sip
