#include "sip/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

#include "sip/headers.hpp"
#include "sip/scanner.hpp"
#include "sip/uri.hpp"

namespace hotline::sip {
namespace {

using detail::iequals;

// Calls `f(name, value)` for each auth-param of a "Digest ..." header value.
template <typename F>
Status for_each_auth_param(std::string_view value, F&& f) {
  std::string_view s = detail::trim_lws(value);
  std::size_t scheme_end = detail::scan_token(s, 0);
  if (!iequals(s.substr(0, scheme_end), "Digest")) {
    return fail(ErrorCode::kInvalidArgument, "authentication scheme is not Digest");
  }
  ListCursor cursor(s.substr(scheme_end), false);
  std::string_view item;
  while (cursor.next(item)) {
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "auth-param without '='");
    }
    std::string_view name = detail::trim_lws(item.substr(0, eq));
    std::string_view raw = detail::trim_lws(item.substr(eq + 1));
    if (name.empty() || detail::scan_token(name, 0) != name.size() || raw.empty()) {
      return fail(ErrorCode::kInvalidArgument, "bad auth-param");
    }
    if (raw.front() == '"' && detail::scan_quoted(raw, 0) != raw.size()) {
      return fail(ErrorCode::kInvalidArgument, "bad quoted auth-param");
    }
    f(name, unquote(raw));
  }
  if (cursor.failed()) return fail(ErrorCode::kInvalidArgument, cursor.error());
  return {};
}

std::string quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

bool parse_nc(std::string_view nc, std::uint32_t& out) {
  if (nc.size() != 8) return false;
  out = 0;
  for (char c : nc) {
    if (!detail::is_hex(c)) return false;
    int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    out = out * 16 + static_cast<std::uint32_t>(v);
  }
  return true;
}

}  // namespace

std::string_view to_string(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kSha256 ? "SHA-256" : "MD5";
}

std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view text) {
  if (text.empty() || iequals(text, "MD5")) return DigestAlgorithm::kMd5;
  if (iequals(text, "SHA-256")) return DigestAlgorithm::kSha256;
  return std::nullopt;
}

std::string digest_hex(DigestAlgorithm algorithm, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  const EVP_MD* type = algorithm == DigestAlgorithm::kSha256 ? EVP_sha256() : EVP_md5();
  EVP_Digest(data.data(), data.size(), md.data(), &len, type, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}

Result<DigestChallenge> parse_digest_challenge(std::string_view header_value) {
  DigestChallenge c;
  std::optional<std::string> algorithm;
  auto st = for_each_auth_param(header_value, [&](std::string_view name, std::string v) {
    if (iequals(name, "realm"))
      c.realm = std::move(v);
    else if (iequals(name, "nonce"))
      c.nonce = std::move(v);
    else if (iequals(name, "opaque"))
      c.opaque = std::move(v);
    else if (iequals(name, "algorithm"))
      algorithm = std::move(v);
    else if (iequals(name, "stale"))
      c.stale = iequals(v, "true");
    else if (iequals(name, "qop")) {
      auto items = split_list(v, true);
      if (items) {
        for (std::string_view q : *items) c.qop_auth = c.qop_auth || iequals(q, "auth");
      }
    }
  });
  if (!st) return std::unexpected(st.error());
  auto alg = parse_digest_algorithm(algorithm.value_or(""));
  if (!alg) return fail(ErrorCode::kInvalidArgument, "unsupported digest algorithm");
  c.algorithm = *alg;
  if (c.realm.empty() || c.nonce.empty()) {
    return fail(ErrorCode::kInvalidArgument, "challenge without realm or nonce");
  }
  return c;
}

Result<DigestCredentials> parse_digest_credentials(std::string_view header_value) {
  DigestCredentials c;
  std::optional<std::string> algorithm;
  auto st = for_each_auth_param(header_value, [&](std::string_view name, std::string v) {
    if (iequals(name, "username"))
      c.username = std::move(v);
    else if (iequals(name, "realm"))
      c.realm = std::move(v);
    else if (iequals(name, "nonce"))
      c.nonce = std::move(v);
    else if (iequals(name, "uri"))
      c.uri = std::move(v);
    else if (iequals(name, "response"))
      c.response = std::move(v);
    else if (iequals(name, "cnonce"))
      c.cnonce = std::move(v);
    else if (iequals(name, "qop"))
      c.qop = std::move(v);
    else if (iequals(name, "nc"))
      c.nc = std::move(v);
    else if (iequals(name, "opaque"))
      c.opaque = std::move(v);
    else if (iequals(name, "algorithm"))
      algorithm = std::move(v);
  });
  if (!st) return std::unexpected(st.error());
  auto alg = parse_digest_algorithm(algorithm.value_or(""));
  if (!alg) return fail(ErrorCode::kInvalidArgument, "unsupported digest algorithm");
  c.algorithm = *alg;
  if (c.username.empty() || c.nonce.empty() || c.uri.empty() || c.response.empty()) {
    return fail(ErrorCode::kInvalidArgument, "credentials lack username, nonce, uri or response");
  }
  return c;
}

std::string digest_response(DigestAlgorithm algorithm, std::string_view username,
                            std::string_view realm, std::string_view password,
                            std::string_view method, std::string_view uri, std::string_view nonce,
                            std::string_view nc, std::string_view cnonce) {
  auto join = [](std::initializer_list<std::string_view> parts) {
    std::string out;
    bool first = true;
    for (std::string_view p : parts) {
      if (!first) out.push_back(':');
      first = false;
      out.append(p);
    }
    return out;
  };
  const std::string ha1 = digest_hex(algorithm, join({username, realm, password}));
  const std::string ha2 = digest_hex(algorithm, join({method, uri}));
  return digest_hex(algorithm, join({ha1, nonce, nc, cnonce, "auth", ha2}));
}

Result<std::string> digest_authorization(const DigestChallenge& challenge,
                                         std::string_view username, std::string_view password,
                                         std::string_view method, std::string_view uri,
                                         std::string_view cnonce, std::uint32_t nc) {
  if (!challenge.qop_auth) {
    return fail(ErrorCode::kFailedPrecondition, "challenge does not offer qop=auth");
  }
  char nc_text[9];
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 7; i >= 0; --i, nc >>= 4) nc_text[i] = kHex[nc & 0xF];
  nc_text[8] = '\0';
  std::string response = digest_response(challenge.algorithm, username, challenge.realm, password,
                                         method, uri, challenge.nonce, nc_text, cnonce);
  std::string out = "Digest username=" + quoted(username) + ",realm=" + quoted(challenge.realm) +
                    ",nonce=" + quoted(challenge.nonce) + ",uri=" + quoted(uri) +
                    ",response=" + quoted(response) +
                    ",algorithm=" + std::string(to_string(challenge.algorithm)) +
                    ",cnonce=" + quoted(cnonce) + ",qop=auth,nc=" + nc_text;
  if (!challenge.opaque.empty()) out += ",opaque=" + quoted(challenge.opaque);
  return out;
}

DigestServer::DigestServer(const Clock& clock, Options options, std::string secret)
    : clock_(clock), options_(std::move(options)), secret_(std::move(secret)) {}

std::string DigestServer::challenge(DigestAlgorithm algorithm, bool stale) {
  const MonoTime now = clock_.mono();
  std::string nonce =
      digest_hex(DigestAlgorithm::kSha256, secret_ + ":" + std::to_string(++counter_) + ":" +
                                               std::to_string(now.time_since_epoch().count()));
  nonce.resize(32);
  // Forget expired nonces (oldest first) and, past the cap, the oldest live ones.
  // (Expired nonces linger for one more lifetime so late requests get stale=true.)
  auto expired = [&](const std::string& n) {
    auto found = nonces_.find(n);
    return found == nonces_.end() || now - found->second.issued > 2 * options_.nonce_lifetime;
  };
  while (!order_.empty() && (nonces_.size() >= options_.max_nonces || expired(order_.front()))) {
    nonces_.erase(order_.front());
    order_.pop_front();
  }
  nonces_[nonce] = NonceState{now, 0};
  order_.push_back(nonce);
  std::string out = "Digest realm=" + quoted(options_.realm) + ",nonce=" + quoted(nonce) +
                    ",algorithm=" + std::string(to_string(algorithm)) + ",qop=\"auth\"";
  if (stale) out += ",stale=true";
  return out;
}

DigestServer::Verdict DigestServer::verify(const DigestCredentials& creds, std::string_view method,
                                           std::string_view password) {
  std::uint32_t nc = 0;
  if (!iequals(creds.qop, "auth") || !parse_nc(creds.nc, nc) || nc == 0 || creds.cnonce.empty()) {
    return Verdict::kMalformed;
  }
  auto it = nonces_.find(creds.nonce);
  if (it == nonces_.end()) return Verdict::kUnknownNonce;
  if (clock_.mono() - it->second.issued > options_.nonce_lifetime) return Verdict::kStale;
  if (creds.realm != options_.realm) return Verdict::kBadCredentials;
  const std::string expected =
      digest_response(creds.algorithm, creds.username, creds.realm, password, method, creds.uri,
                      creds.nonce, creds.nc, creds.cnonce);
  // Constant-time: the comparison must not tell an attacker how many bytes matched.
  if (expected.size() != creds.response.size() ||
      CRYPTO_memcmp(expected.data(), creds.response.data(), expected.size()) != 0) {
    return Verdict::kBadCredentials;
  }
  if (nc <= it->second.last_nc) return Verdict::kReplay;
  it->second.last_nc = nc;
  return Verdict::kOk;
}

}  // namespace hotline::sip
