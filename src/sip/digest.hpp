// HTTP Digest authentication for SIP (RFC 3261 §22, RFC 2617, RFC 8760): MD5 and
// SHA-256, qop=auth only. DigestServer issues nonces, verifies credentials, expires
// nonces (answer 401 with stale=true) and refuses a nonce-count that does not grow
// (replay). Pure code: time from an injected Clock, no sockets; where passwords come
// from is the caller's business (DESIGN.md: digest apart from its credential source).
//
// Thread-safety: DigestServer is owned by the control loop; not for concurrent use.
// Invariants: (1) at most Options::max_nonces nonces are remembered, the oldest are
// forgotten first; (2) a nonce's last accepted nonce-count only increases.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace hotline::sip {

enum class DigestAlgorithm { kMd5, kSha256 };

std::string_view to_string(DigestAlgorithm algorithm);  // "MD5", "SHA-256"
// Absent algorithm means MD5 (RFC 2617). "-sess" variants are not supported.
std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view text);

// Lower-case hex digest of `data` (OpenSSL EVP).
std::string digest_hex(DigestAlgorithm algorithm, std::string_view data);

// What a WWW-Authenticate / Proxy-Authenticate header offers.
struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;
  DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
  bool qop_auth = false;  // "auth" among the offered qop values
  bool stale = false;
};

// What an Authorization / Proxy-Authorization header carries.
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string cnonce;
  std::string qop;
  std::string nc;  // 8 hex digits
  std::string opaque;
  DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
};

// Parse the header values (scheme "Digest", comma-separated auth-params; quoted
// values are unquoted). Other schemes are an error (RFC 4475 regaut01).
Result<DigestChallenge> parse_digest_challenge(std::string_view header_value);
Result<DigestCredentials> parse_digest_credentials(std::string_view header_value);

// H(username:realm:password), the per-user secret a server can keep instead of
// the password (compute it once per user, not per request).
std::string digest_ha1(DigestAlgorithm algorithm, std::string_view username, std::string_view realm,
                       std::string_view password);

// request-digest for qop=auth from a known HA1:
//   H(HA1:nonce:nc:cnonce:auth:H(method:uri))
std::string digest_response_from_ha1(DigestAlgorithm algorithm, std::string_view ha1,
                                     std::string_view method, std::string_view uri,
                                     std::string_view nonce, std::string_view nc,
                                     std::string_view cnonce);

// request-digest for qop=auth:
//   H(H(user:realm:password):nonce:nc:cnonce:auth:H(method:uri))
std::string digest_response(DigestAlgorithm algorithm, std::string_view username,
                            std::string_view realm, std::string_view password,
                            std::string_view method, std::string_view uri, std::string_view nonce,
                            std::string_view nc, std::string_view cnonce);

// Client side: the Authorization header value answering `challenge` (qop=auth when
// offered; `nc` is this nonce's request count, starting at 1).
Result<std::string> digest_authorization(const DigestChallenge& challenge,
                                         std::string_view username, std::string_view password,
                                         std::string_view method, std::string_view uri,
                                         std::string_view cnonce, std::uint32_t nc);

class DigestServer {
 public:
  struct Options {
    std::string realm;
    Duration nonce_lifetime = std::chrono::minutes(5);
    std::size_t max_nonces = 100'000;
  };

  enum class Verdict {
    kOk,
    kStale,           // the nonce expired: challenge again with stale=true
    kUnknownNonce,    // never issued, or forgotten: challenge again
    kReplay,          // nonce-count did not grow: refuse
    kBadCredentials,  // wrong response (password), realm or algorithm
    kMalformed,       // missing qop=auth, bad nc, ...
  };

  // REQUIRES: `clock` outlives the server. `secret` (random, per process) makes
  // nonces unguessable.
  DigestServer(const Clock& clock, Options options, std::string secret);

  // A WWW-Authenticate header value with a fresh nonce.
  std::string challenge(DigestAlgorithm algorithm, bool stale = false);

  // Checks `creds` for a request with this method; `password` is the user's. The
  // caller compares creds.uri with the Request-URI and looks the user up first (and
  // must answer unknown users exactly like wrong passwords).
  Verdict verify(const DigestCredentials& creds, std::string_view method,
                 std::string_view password);
  // The same with the user's HA1 (digest_ha1() for creds.algorithm and this
  // realm) in place of the password: no per-request hash of the password.
  Verdict verify_ha1(const DigestCredentials& creds, std::string_view method, std::string_view ha1);

  std::size_t remembered_nonces() const { return slots_.size(); }

 private:
  struct NonceState {
    MonoTime issued;
    std::uint64_t tag = 0;  // the nonce's second half
    std::uint32_t last_nc = 0;
  };
  std::uint64_t nonce_tag(std::uint64_t serial) const;
  NonceState* find_nonce(std::string_view nonce);

  const Clock& clock_;
  Options options_;
  std::string secret_;
  std::uint64_t key_[2] = {0, 0};  // nonce_tag()'s key, derived from secret_
  // Nonces in issue order; slots_[i] is the nonce with serial first_serial_ + i.
  std::deque<NonceState> slots_;
  std::uint64_t first_serial_ = 1;
};

}  // namespace hotline::sip
