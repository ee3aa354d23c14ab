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

namespace {

// OpenSSL 3 looks an algorithm up in its provider tables on every EVP_Digest*()
// given EVP_md5()/EVP_sha256() (an "implicit fetch": a lock and a hash lookup).
// Fetch each once for the process and reuse one context per thread.
const EVP_MD* message_digest(DigestAlgorithm algorithm) {
  static const EVP_MD* const md5 = [] {
    const EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
    return md != nullptr ? md : EVP_md5();
  }();
  static const EVP_MD* const sha256 = [] {
    const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    return md != nullptr ? md : EVP_sha256();
  }();
  return algorithm == DigestAlgorithm::kSha256 ? sha256 : md5;
}

struct ThreadContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~ThreadContext() { EVP_MD_CTX_free(ctx); }
};

constexpr char kHex[] = "0123456789abcdef";

// H(part1 ":" part2 ":" ...) as lower-case hex written to `out` (room for 64
// characters); returns the length.
std::size_t hash_hex(DigestAlgorithm algorithm, std::initializer_list<std::string_view> parts,
                     char* out) {
  thread_local ThreadContext local;
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_DigestInit_ex2(local.ctx, message_digest(algorithm), nullptr);
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) EVP_DigestUpdate(local.ctx, ":", 1);
    first = false;
    EVP_DigestUpdate(local.ctx, p.data(), p.size());
  }
  EVP_DigestFinal_ex(local.ctx, md.data(), &len);
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0xF];
  }
  return 2 * len;
}

}  // namespace

std::string digest_hex(DigestAlgorithm algorithm, std::string_view data) {
  char out[2 * EVP_MAX_MD_SIZE];
  return std::string(out, hash_hex(algorithm, {data}, out));
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

std::string digest_ha1(DigestAlgorithm algorithm, std::string_view username, std::string_view realm,
                       std::string_view password) {
  char out[2 * EVP_MAX_MD_SIZE];
  return std::string(out, hash_hex(algorithm, {username, realm, password}, out));
}

std::string digest_response_from_ha1(DigestAlgorithm algorithm, std::string_view ha1,
                                     std::string_view method, std::string_view uri,
                                     std::string_view nonce, std::string_view nc,
                                     std::string_view cnonce) {
  char ha2[2 * EVP_MAX_MD_SIZE];
  const std::size_t ha2_len = hash_hex(algorithm, {method, uri}, ha2);
  char out[2 * EVP_MAX_MD_SIZE];
  return std::string(
      out,
      hash_hex(algorithm, {ha1, nonce, nc, cnonce, "auth", std::string_view(ha2, ha2_len)}, out));
}

std::string digest_response(DigestAlgorithm algorithm, std::string_view username,
                            std::string_view realm, std::string_view password,
                            std::string_view method, std::string_view uri, std::string_view nonce,
                            std::string_view nc, std::string_view cnonce) {
  char ha1[2 * EVP_MAX_MD_SIZE];
  const std::size_t ha1_len = hash_hex(algorithm, {username, realm, password}, ha1);
  return digest_response_from_ha1(algorithm, std::string_view(ha1, ha1_len), method, uri, nonce, nc,
                                  cnonce);
}

Result<std::string> digest_authorization(const DigestChallenge& challenge,
                                         std::string_view username, std::string_view password,
                                         std::string_view method, std::string_view uri,
                                         std::string_view cnonce, std::uint32_t nc) {
  if (!challenge.qop_auth) {
    return fail(ErrorCode::kFailedPrecondition, "challenge does not offer qop=auth");
  }
  char nc_text[9];
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
    : clock_(clock), options_(std::move(options)), secret_(std::move(secret)) {
  if (options_.max_nonces == 0) options_.max_nonces = 1;
  // The nonce-tag key: the first 128 bits of SHA-256(secret).
  char hash[2 * EVP_MAX_MD_SIZE];
  hash_hex(DigestAlgorithm::kSha256, {"nonce-key", secret_}, hash);
  for (std::size_t w = 0; w < 2; ++w) {
    std::uint64_t k = 0;
    for (std::size_t i = 0; i < 16; ++i) {
      const char c = hash[w * 16 + i];
      k = k << 4 | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    key_[w] = k;
  }
}

// A nonce is 32 hex characters: its 64-bit serial number, then a 64-bit tag
// derived from the secret and the serial (nonce_tag), so nonces cannot be guessed
// and a nonce is found again without a hash table: slots_[serial - first_serial_].
std::string DigestServer::challenge(DigestAlgorithm algorithm, bool stale) {
  const MonoTime now = clock_.mono();
  // Forget expired nonces (oldest first) and, past the cap, the oldest live ones.
  // (Expired nonces linger for one more lifetime so late requests get stale=true.)
  while (!slots_.empty() && (slots_.size() >= options_.max_nonces ||
                             now - slots_.front().issued > 2 * options_.nonce_lifetime)) {
    slots_.pop_front();
    ++first_serial_;
  }
  const std::uint64_t serial = first_serial_ + slots_.size();
  const std::uint64_t tag = nonce_tag(serial);
  slots_.push_back(NonceState{now, tag, 0});
  char nonce[32];
  for (int i = 15; i >= 0; --i) nonce[15 - i] = kHex[(serial >> (4 * i)) & 0xF];
  for (int i = 15; i >= 0; --i) nonce[31 - i] = kHex[(tag >> (4 * i)) & 0xF];
  std::string out;
  out.reserve(options_.realm.size() + 96);
  out.append("Digest realm=").append(quoted(options_.realm)).append(",nonce=\"");
  out.append(nonce, sizeof nonce).append("\",algorithm=").append(to_string(algorithm));
  out.append(",qop=\"auth\"");
  if (stale) out += ",stale=true";
  return out;
}

// SipHash-2-4 of the serial under the key derived from the secret: a keyed
// pseudo-random function, so a tag cannot be produced without the secret, at a
// fraction of a SHA-256.
std::uint64_t DigestServer::nonce_tag(std::uint64_t serial) const {
  const auto rotl = [](std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); };
  std::uint64_t v0 = key_[0] ^ 0x736f6d6570736575ULL;
  std::uint64_t v1 = key_[1] ^ 0x646f72616e646f6dULL;
  std::uint64_t v2 = key_[0] ^ 0x6c7967656e657261ULL;
  std::uint64_t v3 = key_[1] ^ 0x7465646279746573ULL;
  const auto round = [&] {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  };
  const auto absorb = [&](std::uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  };
  absorb(serial);                  // the message: one 8-byte word
  absorb(std::uint64_t{8} << 56);  // the final block carries the length
  v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

DigestServer::NonceState* DigestServer::find_nonce(std::string_view nonce) {
  if (nonce.size() != 32) return nullptr;
  std::uint64_t serial = 0;
  std::uint64_t tag = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const char c = nonce[i];
    if (!detail::is_hex(c)) return nullptr;
    const auto v = static_cast<std::uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    (i < 16 ? serial : tag) = (i < 16 ? serial : tag) << 4 | v;
  }
  if (serial < first_serial_ || serial - first_serial_ >= slots_.size()) return nullptr;
  NonceState& s = slots_[serial - first_serial_];
  return s.tag == tag ? &s : nullptr;
}

DigestServer::Verdict DigestServer::verify(const DigestCredentials& creds, std::string_view method,
                                           std::string_view password) {
  char ha1[2 * EVP_MAX_MD_SIZE];
  const std::size_t len = hash_hex(creds.algorithm, {creds.username, creds.realm, password}, ha1);
  return verify_ha1(creds, method, std::string_view(ha1, len));
}

DigestServer::Verdict DigestServer::verify_ha1(const DigestCredentials& creds,
                                               std::string_view method, std::string_view ha1) {
  std::uint32_t nc = 0;
  if (!iequals(creds.qop, "auth") || !parse_nc(creds.nc, nc) || nc == 0 || creds.cnonce.empty()) {
    return Verdict::kMalformed;
  }
  NonceState* state = find_nonce(creds.nonce);
  if (state == nullptr) return Verdict::kUnknownNonce;
  if (clock_.mono() - state->issued > options_.nonce_lifetime) return Verdict::kStale;
  if (creds.realm != options_.realm) return Verdict::kBadCredentials;
  char ha2[2 * EVP_MAX_MD_SIZE];
  const std::size_t ha2_len = hash_hex(creds.algorithm, {method, creds.uri}, ha2);
  char expected[2 * EVP_MAX_MD_SIZE];
  const std::size_t len = hash_hex(
      creds.algorithm,
      {ha1, creds.nonce, creds.nc, creds.cnonce, "auth", std::string_view(ha2, ha2_len)}, expected);
  // Constant-time: the comparison must not tell an attacker how many bytes matched.
  if (len != creds.response.size() || CRYPTO_memcmp(expected, creds.response.data(), len) != 0) {
    return Verdict::kBadCredentials;
  }
  if (nc <= state->last_nc) return Verdict::kReplay;
  state->last_nc = nc;
  return Verdict::kOk;
}

}  // namespace hotline::sip
