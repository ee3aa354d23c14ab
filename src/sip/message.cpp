#include "sip/message.hpp"

#include <cstring>
#include <utility>

#include "sip/scanner.hpp"

namespace hotline::sip {
namespace {

using detail::trim_lws;

constexpr std::uint64_t kMaxUint32 = 0xFFFFFFFFu;

std::unexpected<ParseError> refuse(int status, std::string reason, std::size_t offset) {
  return std::unexpected(ParseError{status, std::move(reason), offset});
}

bool is_sip_version(std::string_view v) {
  // "SIP/" 1*DIGIT "." 1*DIGIT
  if (v.size() < 7 || !detail::iequals(v.substr(0, 4), "SIP/")) return false;
  std::size_t dot = v.find('.', 4);
  if (dot == std::string_view::npos || dot == 4 || dot + 1 == v.size()) return false;
  for (std::size_t i = 4; i < v.size(); ++i) {
    if (i != dot && !detail::is_digit(v[i])) return false;
  }
  return true;
}

struct Seen {
  bool from = false, to = false, call_id = false, cseq = false, max_forwards = false,
       content_length = false, content_type = false, expires = false;
};

}  // namespace

Error ParseError::to_error() const {
  return Error(ErrorCode::kInvalidArgument, "SIP " + std::to_string(status) + " at byte " +
                                                std::to_string(offset) + ": " + reason);
}

ParseResult parse_message(std::string bytes, const ParseOptions& options) {
  if (bytes.size() > options.max_message_size) {
    return refuse(513, "message larger than " + std::to_string(options.max_message_size) + " bytes",
                  options.max_message_size);
  }
  Message m;
  m.buffer_ = std::make_unique<std::string>(std::move(bytes));
  const std::string_view s = *m.buffer_;
  std::size_t pos = 0;
  while (pos + 1 < s.size() && s[pos] == '\r' && s[pos + 1] == '\n') pos += 2;
  const std::size_t start = pos;

  // Start line.
  std::size_t eol = s.find("\r\n", pos);
  if (eol == std::string_view::npos) return refuse(0, "no CRLF after start line", pos);
  std::string_view line = s.substr(pos, eol - pos);
  m.request_ = !(line.size() >= 4 && line.substr(0, 4) == "SIP/");
  // Nobody can answer a malformed response; it is dropped.
  const int bad = m.request_ ? 400 : 0;
  if (m.request_) {
    std::size_t sp1 = line.find(' ');
    std::size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp1 == sp2 || sp1 == 0) {
      return refuse(400, "malformed request line", pos);
    }
    m.method_ = line.substr(0, sp1);
    if (detail::scan_token(m.method_, 0) != m.method_.size()) {
      return refuse(400, "bad method token", pos);
    }
    std::string_view version = line.substr(sp2 + 1);
    std::string_view uri_text = line.substr(sp1 + 1, sp2 - sp1 - 1);
    // A stray CR/LF in the line cannot pass these checks: it is neither a token, nor
    // a URI character, nor part of "SIP/2.0".
    if (uri_text.empty() || version.empty()) {
      return refuse(400, "extra whitespace in request line", pos + sp1);
    }
    if (!is_sip_version(version)) return refuse(400, "bad SIP version", pos + sp2 + 1);
    if (version != "SIP/2.0") return refuse(505, "SIP version not supported", pos + sp2 + 1);
    auto uri = parse_uri(uri_text);
    if (!uri) {
      if (detail::find_any(uri_text, " \t") != std::string_view::npos) {
        return refuse(400, "extra whitespace in request line", pos + sp1);
      }
      return refuse(400, "bad Request-URI: " + uri.error().message, pos + sp1 + 1);
    }
    if (uri->is_sip() && !uri->headers.empty()) {
      return refuse(400, "Request-URI must not carry headers", pos + sp1 + 1);
    }
    if (options.refuse_unknown_uri_schemes && uri->scheme == UriScheme::kOther) {
      return refuse(416, "unsupported Request-URI scheme", pos + sp1 + 1);
    }
    m.request_uri_ = *uri;
  } else {
    std::size_t sp1 = line.find(' ');
    if (sp1 != 7 || line.substr(0, 7) != "SIP/2.0")
      return refuse(0, "bad status line version", pos);
    std::string_view code = line.substr(8, 3);
    bool ok = code.size() == 3 && detail::is_digit(code[0]) && detail::is_digit(code[1]) &&
              detail::is_digit(code[2]) && (line.size() == 11 || line[11] == ' ');
    if (!ok) return refuse(0, "bad status code", pos + 8);
    m.status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (m.status_ < 100 || m.status_ > 699) return refuse(0, "status code out of range", pos + 8);
    m.reason_ = line.size() > 12 ? line.substr(12) : std::string_view();
    if (detail::find_any(m.reason_, "\r\n") != std::string_view::npos) {
      return refuse(0, "bare CR or LF in status line", pos);
    }
  }
  pos = eol + 2;

  // Header lines, unfolded only logically: a value keeps its CRLF+WSP folds.
  m.headers_.reserve(16);
  while (true) {
    if (pos + 1 < s.size() && s[pos] == '\r' && s[pos + 1] == '\n') {
      pos += 2;
      break;
    }
    if (pos >= s.size()) return refuse(bad, "header section not terminated by an empty line", pos);
    std::size_t name_end = detail::scan_token(s, pos);
    if (name_end == pos) return refuse(bad, "bad header name", pos);
    std::size_t colon = name_end;
    while (colon < s.size() && (s[colon] == ' ' || s[colon] == '\t')) ++colon;
    if (colon >= s.size() || s[colon] != ':') return refuse(bad, "header line without ':'", pos);
    std::size_t i = colon + 1;
    std::size_t end = std::string_view::npos;
    // Lines end at LF, which must follow a CR; a CR anywhere else is refused so a
    // value can never smuggle a line break to a less careful peer.
    while (i < s.size()) {
      const void* lf = std::memchr(s.data() + i, '\n', s.size() - i);
      if (lf == nullptr) break;
      const std::size_t n = static_cast<std::size_t>(static_cast<const char*>(lf) - s.data());
      if (s[n - 1] != '\r' || std::memchr(s.data() + i, '\r', n - 1 - i) != nullptr) {
        return refuse(bad, "bare CR or LF in header", i);
      }
      if (n + 1 < s.size() && (s[n + 1] == ' ' || s[n + 1] == '\t')) {
        i = n + 2;
        continue;
      }
      end = n - 1;
      break;
    }
    if (end == std::string_view::npos) return refuse(bad, "unterminated header line", pos);
    if (end - pos > options.max_header_line) return refuse(bad, "header line too long", pos);
    if (m.headers_.size() >= options.max_headers) return refuse(bad, "too many headers", pos);
    std::string_view name = s.substr(pos, name_end - pos);
    m.headers_.push_back(
        HeaderField{name, trim_lws(s.substr(colon + 1, end - colon - 1)), header_id(name)});
    pos = end + 2;
  }
  const std::size_t body_start = pos;

  // Headers the transaction layer cannot do without are checked now.
  Seen seen;
  std::optional<std::uint64_t> content_length;
  for (const HeaderField& h : m.headers_) {
    const std::size_t off = static_cast<std::size_t>(h.value.data() - s.data());
    auto once = [&](bool& flag) {
      bool dup = flag;
      flag = true;
      return dup;
    };
    auto dup_error = [&]() {
      return refuse(bad, "duplicate " + std::string(header_name(h.id)) + " header", off);
    };
    switch (h.id) {
      case HeaderId::kVia: {
        ListCursor cursor(h.value, false);
        std::string_view item;
        while (cursor.next(item)) {
          auto via = parse_via(item);
          if (!via) return refuse(bad, via.error().message, off);
          m.vias_.push_back(*via);
        }
        if (cursor.failed()) return refuse(bad, std::string("bad Via: ") + cursor.error(), off);
        break;
      }
      case HeaderId::kFrom:
      case HeaderId::kTo: {
        if (once(h.id == HeaderId::kFrom ? seen.from : seen.to)) return dup_error();
        auto na = parse_name_addr(h.value);
        if (!na) {
          return refuse(bad, std::string(header_name(h.id)) + ": " + na.error().message, off);
        }
        (h.id == HeaderId::kFrom ? m.from_ : m.to_) = *na;
        break;
      }
      case HeaderId::kCallId: {
        if (once(seen.call_id)) return dup_error();
        auto id = parse_call_id(h.value);
        if (!id) return refuse(bad, id.error().message, off);
        m.call_id_ = *id;
        break;
      }
      case HeaderId::kCSeq: {
        if (once(seen.cseq)) return dup_error();
        auto c = parse_cseq(h.value);
        if (!c) return refuse(bad, c.error().message, off);
        m.cseq_ = *c;
        break;
      }
      case HeaderId::kMaxForwards: {
        if (once(seen.max_forwards)) return dup_error();
        auto n = parse_number(h.value, 255);
        if (!n) return refuse(bad, "bad Max-Forwards: " + n.error().message, off);
        m.max_forwards_ = static_cast<std::uint32_t>(*n);
        break;
      }
      case HeaderId::kExpires: {
        if (once(seen.expires)) return dup_error();
        auto n = parse_number(h.value, kMaxUint32);
        if (!n) return refuse(bad, "bad Expires: " + n.error().message, off);
        m.expires_ = static_cast<std::uint32_t>(*n);
        break;
      }
      case HeaderId::kContentLength: {
        // Two lengths make framing ambiguous (request smuggling; RFC 4475 mcl01).
        if (once(seen.content_length)) return dup_error();
        auto n = parse_number(h.value, kMaxUint32);
        if (!n) return refuse(bad, "bad Content-Length: " + n.error().message, off);
        content_length = *n;
        break;
      }
      case HeaderId::kContentType: {
        if (once(seen.content_type)) return dup_error();
        auto t = parse_media_type(h.value);
        if (!t) return refuse(bad, "bad Content-Type", off);
        m.content_type_ = *t;
        break;
      }
      case HeaderId::kContact: {
        if (auto st = parse_contacts(h.value, m.contacts_); !st) {
          return refuse(bad, st.error().message, off);
        }
        break;
      }
      default: break;
    }
  }
  if (m.vias_.empty()) return refuse(bad, "missing Via header", body_start);
  if (!seen.from) return refuse(bad, "missing From header", body_start);
  if (!seen.to) return refuse(bad, "missing To header", body_start);
  if (!seen.call_id) return refuse(bad, "missing Call-ID header", body_start);
  if (!seen.cseq) return refuse(bad, "missing CSeq header", body_start);
  if (m.request_ && m.cseq_.method != m.method_) {
    return refuse(400, "CSeq method does not match the request method", body_start);
  }

  // Body, framed by Content-Length.
  const std::size_t available = s.size() - body_start;
  std::size_t body_len = available;
  if (content_length) {
    if (*content_length > available) {
      return refuse(bad, "body shorter than Content-Length", body_start);
    }
    body_len = static_cast<std::size_t>(*content_length);
    if (options.framing == Framing::kStream && body_len != available) {
      return refuse(bad, "bytes after the body in a stream frame", body_start + body_len);
    }
  } else if (options.framing == Framing::kStream) {
    return refuse(bad, "Content-Length is required on a stream", body_start);
  }
  m.has_content_length_ = content_length.has_value();
  m.body_ = s.substr(body_start, body_len);
  m.wire_ = s.substr(start, body_start + body_len - start);
  m.trailing_ = available - body_len;
  return m;
}

std::optional<std::string_view> Message::header(HeaderId id) const {
  for (const HeaderField& h : headers_) {
    if (h.id == id) return h.value;
  }
  return std::nullopt;
}

std::optional<std::string_view> Message::header(std::string_view name) const {
  HeaderId id = header_id(name);
  if (id != HeaderId::kUnknown) return header(id);
  for (const HeaderField& h : headers_) {
    if (h.id == HeaderId::kUnknown && detail::iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

Result<std::vector<std::string_view>> Message::header_values(HeaderId id) const {
  std::vector<std::string_view> out;
  for (const HeaderField& h : headers_) {
    if (h.id != id) continue;
    auto items = split_list(h.value, true);
    if (!items) return std::unexpected(items.error());
    out.insert(out.end(), items->begin(), items->end());
  }
  return out;
}

Result<std::vector<NameAddr>> Message::name_addr_list(HeaderId id) const {
  std::vector<NameAddr> out;
  for (const HeaderField& h : headers_) {
    if (h.id != id) continue;
    auto items = split_list(h.value, false);
    if (!items) return std::unexpected(items.error());
    for (std::string_view item : *items) {
      auto na = parse_name_addr(item);
      if (!na) return std::unexpected(na.error());
      out.push_back(*na);
    }
  }
  return out;
}

}  // namespace hotline::sip
