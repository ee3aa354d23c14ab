// Character classes and small scanning helpers shared by the SIP parsers
// (RFC 3261 §25.1 core rules). Internal to src/sip; pure functions, thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hotline::sip::detail {

enum CharBits : std::uint16_t {
  kAlnum = 1 << 0,
  kToken = 1 << 1,       // token chars (RFC 3261 §25.1)
  kUnreserved = 1 << 2,  // alphanum / mark
  kUserExtra = 1 << 3,   // user-unreserved: & = + $ , ; ? /
  kPassExtra = 1 << 4,   // & = + $ ,
  kParamExtra = 1 << 5,  // param-unreserved: [ ] / : & + $
  kHnvExtra = 1 << 6,    // hnv-unreserved: [ ] / ? : + $
  kHost = 1 << 7,        // hostname chars (alnum - . and, leniently, _)
  kDigit = 1 << 8,
  kHex = 1 << 9,
  kSchemeExtra = 1 << 10,  // + - .
  kWordExtra = 1 << 11,    // Call-ID word chars beyond token: ( ) < > : \ " / [ ] ? { }
  kUriChar = 1 << 12,      // may appear in a URI at all: visible ASCII except < > "
};

constexpr std::array<std::uint16_t, 256> make_char_table() {
  std::array<std::uint16_t, 256> t{};
  auto add = [&t](std::string_view chars, std::uint16_t bits) {
    for (char c : chars) t[static_cast<unsigned char>(c)] |= bits;
  };
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] |= kAlnum | kDigit | kHex;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] |= kAlnum;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] |= kAlnum;
  add("abcdefABCDEF", kHex);
  for (std::size_t c = 0; c < 256; ++c) {
    if (t[c] & kAlnum) t[c] |= kToken | kUnreserved | kHost;
  }
  add("-.!%*_+`'~", kToken);
  add("-_.!~*'()", kUnreserved);
  add("&=+$,;?/", kUserExtra);
  add("&=+$,", kPassExtra);
  add("[]/:&+$", kParamExtra);
  add("[]/?:+$", kHnvExtra);
  add("-._", kHost);
  add("+-.", kSchemeExtra);
  add("()<>:\\\"/[]?{}", kWordExtra);
  for (std::size_t c = 0x21; c < 0x7f; ++c) {
    if (c != '<' && c != '>' && c != '"') t[c] |= kUriChar;
  }
  return t;
}

inline constexpr std::array<std::uint16_t, 256> kCharTable = make_char_table();

inline bool has(char c, std::uint16_t bits) {
  return (kCharTable[static_cast<unsigned char>(c)] & bits) != 0;
}
inline bool is_token(char c) {
  return has(c, kToken);
}
inline bool is_digit(char c) {
  return has(c, kDigit);
}
inline bool is_hex(char c) {
  return has(c, kHex);
}
// Inside a header value, CR and LF only ever appear as part of a fold (the message
// scanner guarantees that), so they count as whitespace here.
inline bool is_lws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

inline std::size_t skip_lws(std::string_view s, std::size_t pos) {
  while (pos < s.size() && is_lws(s[pos])) ++pos;
  return pos;
}

// std::string_view::find_first_of calls memchr once per character scanned; for a
// handful of delimiters one plain pass is several times cheaper.
template <std::size_t N>
inline std::size_t find_any(std::string_view s, const char (&set)[N], std::size_t pos = 0) {
  for (; pos < s.size(); ++pos) {
    for (std::size_t k = 0; k + 1 < N; ++k) {
      if (s[pos] == set[k]) return pos;
    }
  }
  return std::string_view::npos;
}

inline std::string_view trim_lws(std::string_view s) {
  std::size_t b = 0;
  while (b < s.size() && is_lws(s[b])) ++b;
  std::size_t e = s.size();
  while (e > b && is_lws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

inline std::size_t scan_token(std::string_view s, std::size_t pos) {
  while (pos < s.size() && is_token(s[pos])) ++pos;
  return pos;
}

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// Scans a quoted-string starting at s[pos] == '"'. Returns the index one past the
// closing quote, or npos when it never closes (RFC 4475 quotbal).
inline std::size_t scan_quoted(std::string_view s, std::size_t pos) {
  ++pos;
  while (pos < s.size()) {
    char c = s[pos];
    if (c == '"') return pos + 1;
    if (c == '\\') {
      if (pos + 1 >= s.size()) return std::string_view::npos;
      char n = s[pos + 1];
      if (n == '\r' || n == '\n') return std::string_view::npos;
      pos += 2;
      continue;
    }
    ++pos;
  }
  return std::string_view::npos;
}

// Characters valid in `bits` or a well-formed %HH escape; returns the end index.
inline std::size_t scan_escaped(std::string_view s, std::size_t pos, std::uint16_t bits,
                                bool* bad_escape) {
  while (pos < s.size()) {
    char c = s[pos];
    if (c == '%') {
      if (pos + 2 < s.size() && is_hex(s[pos + 1]) && is_hex(s[pos + 2])) {
        pos += 3;
        continue;
      }
      *bad_escape = true;
      return pos;
    }
    if (!has(c, bits)) return pos;
    ++pos;
  }
  return pos;
}

}  // namespace hotline::sip::detail
