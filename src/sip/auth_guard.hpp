// AuthGuard: digest authentication of requests from extensions (REGISTER now,
// INVITE later) with the hardening sipvicious-style scanners call for:
//  * the same challenge, built the same way, whether or not the user exists: an
//    unknown user's credentials are checked against a random per-process password
//    with the same digest work, and fail exactly like a wrong password;
//  * failed authentications are counted per source address and per user within a
//    window; past the limit the address (or user) is banned for ban_time. A banned
//    address is meant to be ignored at the door (is_source_banned()), before any
//    transaction state is created; a banned user gets 403.
// Credentials come from a lookup the owner supplies (the configuration for now).
// Pure: time from the injected Clock; no I/O, no logging (the caller logs/counts).
//
// Thread-safety: none; owned by the control loop.
// Invariants: (1) at most Options::max_tracked failure records per kind (address,
// user) are held; the stale ones are swept first; (2) check() never verifies a
// digest for a banned source or user.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "sip/digest.hpp"
#include "sip/message.hpp"
#include "sip/peer.hpp"

namespace hotline::sip {

// Counts failures per key in fixed windows and bans a key that reaches the limit.
class FailureLimiter {
 public:
  struct Options {
    std::uint32_t max_failures = 10;  // within `window`; 0 disables banning
    Duration window = std::chrono::minutes(1);
    Duration ban_time = std::chrono::minutes(10);
    std::size_t max_tracked = 100'000;
  };
  FailureLimiter(const Clock& clock, Options options) : clock_(clock), options_(options) {}

  // Records one failure; true when this failure started a ban.
  bool record(const std::string& key);
  bool banned(std::string_view key) const;
  void forget(std::string_view key);  // a success clears the record
  std::size_t tracked() const { return entries_.size(); }
  std::size_t banned_count() const;

 private:
  struct Entry {
    MonoTime window_start;
    std::uint32_t failures = 0;
    std::optional<MonoTime> banned_until;
  };
  void sweep(MonoTime now);

  const Clock& clock_;
  Options options_;
  std::unordered_map<std::string, Entry> entries_;
};

struct AuthOptions {
  std::string realm = "hotline";
  // Offered in this order, one WWW-Authenticate each (RFC 8760: strongest first).
  std::vector<DigestAlgorithm> algorithms{DigestAlgorithm::kMd5};
  Duration nonce_lifetime = std::chrono::minutes(5);
  FailureLimiter::Options per_source;
  FailureLimiter::Options per_user;
};

struct AuthResult {
  enum class Verdict {
    kAccepted,   // `user` proved its password
    kChallenge,  // answer 401 (407 for proxies) with `challenges`
    kForbidden,  // answer 403: wrong credentials, replay, malformed
    kBanned,     // the source or the user is banned: 403 or silence (caller's policy)
  };
  Verdict verdict = Verdict::kChallenge;
  std::string user;                     // the user the credentials named (if any)
  std::vector<std::string> challenges;  // kChallenge: header values
  std::string_view reason;              // for logs: "no credentials", "stale nonce", ...
  bool failure = false;                 // counted as a failed authentication
  bool source_ban_started = false;
  bool user_ban_started = false;
};

class AuthGuard {
 public:
  // Returns the user's password, or nullopt for an unknown user.
  using CredentialLookup = std::function<std::optional<std::string>(std::string_view user)>;

  // REQUIRES: `clock` outlives the guard; `secret` is random per process (nonces
  // and the decoy password derive from it).
  AuthGuard(const Clock& clock, AuthOptions options, std::string secret, CredentialLookup lookup);

  // Checks the Authorization header (Proxy-Authorization with `proxy`) of
  // `request` from `source`.
  AuthResult check(const Message& request, const Peer& source, bool proxy = false);

  // The users and their passwords, replacing the lookup: each user's HA1 is
  // computed here once per offered algorithm, so a request costs no hash of the
  // password (and an unknown user costs the same, against a decoy HA1).
  void set_users(const std::vector<std::pair<std::string, std::string>>& users);

  bool is_source_banned(std::string_view address) const { return sources_.banned(address); }
  bool is_user_banned(std::string_view user) const { return users_.banned(user); }
  const AuthOptions& options() const { return options_; }
  void set_lookup(CredentialLookup lookup) {  // replaces set_users()
    lookup_ = std::move(lookup);
    users_ha1_.reset();
  }

 private:
  AuthResult challenge(std::string_view reason, bool stale);
  AuthResult failed(AuthResult r, const Peer& source);

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // HA1 per algorithm (index: DigestAlgorithm), hex.
  using Ha1 = std::array<std::string, 2>;
  Ha1 ha1_of(std::string_view user, std::string_view password) const;

  AuthOptions options_;
  DigestServer digest_;
  std::string decoy_password_;
  Ha1 decoy_ha1_;
  CredentialLookup lookup_;
  std::optional<std::unordered_map<std::string, Ha1, StringHash, std::equal_to<>>> users_ha1_;
  FailureLimiter sources_;
  FailureLimiter users_;
};

}  // namespace hotline::sip
