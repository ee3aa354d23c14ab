#include "sip/serializer.hpp"

#include <algorithm>

#include "sip/headers.hpp"
#include "sip/scanner.hpp"

namespace hotline::sip {

std::string unfold(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') {
      std::size_t j = i + 2;
      while (j < value.size() && (value[j] == ' ' || value[j] == '\t')) ++j;
      // Whitespace before the fold already separates; avoid doubling it.
      if (out.empty() || (out.back() != ' ' && out.back() != '\t')) out.push_back(' ');
      i = j - 1;
    } else {
      out.push_back(value[i]);
    }
  }
  return out;
}

MessageBuilder MessageBuilder::request(std::string method, std::string request_uri) {
  MessageBuilder b;
  b.request_ = true;
  b.start_line_[0] = std::move(method);
  b.start_line_[1] = std::move(request_uri);
  b.start_line_[2] = "SIP/2.0";
  return b;
}

MessageBuilder MessageBuilder::response(int status, std::string reason) {
  MessageBuilder b;
  b.request_ = false;
  b.start_line_[0] = "SIP/2.0";
  b.start_line_[1] = std::to_string(status);
  b.start_line_[2] = std::move(reason);
  return b;
}

MessageBuilder MessageBuilder::copy_of(const Message& m) {
  MessageBuilder b = m.is_request()
                         ? request(std::string(m.method()), std::string(m.request_uri().text))
                         : response(m.status_code(), std::string(m.reason_phrase()));
  b.headers_.reserve(m.headers().size());
  for (const HeaderField& h : m.headers())
    b.headers_.emplace_back(std::string(h.name), unfold(h.value));
  b.body_ = std::string(m.body());
  return b;
}

MessageBuilder& MessageBuilder::set_request_uri(std::string uri) {
  start_line_[1] = std::move(uri);
  return *this;
}

MessageBuilder& MessageBuilder::add_header(std::string name, std::string value) {
  headers_.emplace_back(std::move(name), std::move(value));
  return *this;
}

MessageBuilder& MessageBuilder::prepend_header(std::string name, std::string value) {
  headers_.insert(headers_.begin(), {std::move(name), std::move(value)});
  return *this;
}

bool MessageBuilder::same_header(std::string_view a, std::string_view b) const {
  HeaderId ia = header_id(a);
  if (ia != HeaderId::kUnknown) return ia == header_id(b);
  return detail::iequals(a, b);
}

MessageBuilder& MessageBuilder::remove_headers(std::string_view name) {
  std::erase_if(headers_, [&](const auto& h) { return same_header(h.first, name); });
  return *this;
}

MessageBuilder& MessageBuilder::set_header(std::string name, std::string value) {
  auto it = std::find_if(headers_.begin(), headers_.end(),
                         [&](const auto& h) { return same_header(h.first, name); });
  if (it == headers_.end()) return add_header(std::move(name), std::move(value));
  std::size_t index = static_cast<std::size_t>(it - headers_.begin());
  headers_[index] = {name, std::move(value)};
  for (std::size_t i = headers_.size(); i-- > index + 1;) {
    if (same_header(headers_[i].first, name))
      headers_.erase(headers_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return *this;
}

MessageBuilder& MessageBuilder::set_body(std::string body) {
  body_ = std::move(body);
  return *this;
}

std::string MessageBuilder::serialize() const {
  std::string out;
  std::size_t size = body_.size() + 64;
  for (const auto& h : headers_) size += h.first.size() + h.second.size() + 4;
  out.reserve(size);
  out.append(start_line_[0]).append(" ").append(start_line_[1]).append(" ").append(start_line_[2]);
  out.append("\r\n");
  const std::string length = std::to_string(body_.size());
  bool wrote_length = false;
  for (const auto& h : headers_) {
    if (header_id(h.first) == HeaderId::kContentLength) {
      if (wrote_length) continue;
      wrote_length = true;
      out.append(h.first).append(": ").append(length).append("\r\n");
      continue;
    }
    out.append(h.first).append(": ").append(h.second).append("\r\n");
  }
  if (!wrote_length) out.append("Content-Length: ").append(length).append("\r\n");
  out.append("\r\n");
  out.append(body_);
  return out;
}

int MessageBuilder::status_code() const {
  const std::string& code = start_line_[1];
  if (request_ || code.size() != 3) return 0;
  int v = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

ParseResult MessageBuilder::build(const ParseOptions& options) const {
  return parse_message(serialize(), options);
}

}  // namespace hotline::sip
