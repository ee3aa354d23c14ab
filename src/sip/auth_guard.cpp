#include "sip/auth_guard.hpp"

#include <utility>

namespace hotline::sip {
namespace {

// The digest-uri names the request's target (RFC 2617 §3.2.2.5). Clients differ
// in what they write (with or without the default port, parameters), so compare
// what matters: the same scheme family, user and host.
bool same_target(std::string_view digest_uri, const Uri& request_uri) {
  if (digest_uri == request_uri.text) return true;
  auto u = parse_uri(digest_uri);
  if (!u || !u->is_sip() || !request_uri.is_sip()) return false;
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return out;
  };
  return u->user_unescaped() == request_uri.user_unescaped() &&
         lower(u->host_address()) == lower(request_uri.host_address());
}

}  // namespace

bool FailureLimiter::record(const std::string& key) {
  if (options_.max_failures == 0) return false;
  const MonoTime now = clock_.mono();
  if (entries_.size() >= options_.max_tracked && !entries_.contains(key)) sweep(now);
  if (entries_.size() >= options_.max_tracked && !entries_.contains(key)) return false;
  Entry& e = entries_.try_emplace(key, Entry{now, 0, std::nullopt}).first->second;
  if (e.banned_until && *e.banned_until > now) return false;
  if (e.banned_until || now - e.window_start >= options_.window) {
    e = Entry{now, 0, std::nullopt};
  }
  if (++e.failures < options_.max_failures) return false;
  e.banned_until = now + options_.ban_time;
  return true;
}

bool FailureLimiter::banned(std::string_view key) const {
  if (entries_.empty()) return false;
  auto it = entries_.find(std::string(key));
  return it != entries_.end() && it->second.banned_until &&
         *it->second.banned_until > clock_.mono();
}

void FailureLimiter::forget(std::string_view key) {
  if (entries_.empty()) return;
  auto it = entries_.find(std::string(key));
  if (it != entries_.end() && !it->second.banned_until) entries_.erase(it);
}

std::size_t FailureLimiter::banned_count() const {
  std::size_t n = 0;
  const MonoTime now = clock_.mono();
  for (const auto& [k, e] : entries_) n += e.banned_until && *e.banned_until > now ? 1 : 0;
  return n;
}

void FailureLimiter::sweep(MonoTime now) {
  std::erase_if(entries_, [&](const auto& kv) {
    const Entry& e = kv.second;
    if (e.banned_until) return *e.banned_until <= now;
    return now - e.window_start >= options_.window;
  });
}

AuthGuard::AuthGuard(const Clock& clock, AuthOptions options, std::string secret,
                     CredentialLookup lookup)
    : options_(std::move(options)),
      digest_(clock, DigestServer::Options{options_.realm, options_.nonce_lifetime, 100'000},
              secret),
      decoy_password_(digest_hex(DigestAlgorithm::kSha256, "decoy:" + secret)),
      lookup_(std::move(lookup)),
      sources_(clock, options_.per_source),
      users_(clock, options_.per_user) {
  if (options_.algorithms.empty()) options_.algorithms.push_back(DigestAlgorithm::kMd5);
  decoy_ha1_ = ha1_of("decoy", decoy_password_);
}

AuthGuard::Ha1 AuthGuard::ha1_of(std::string_view user, std::string_view password) const {
  return {digest_ha1(DigestAlgorithm::kMd5, user, options_.realm, password),
          digest_ha1(DigestAlgorithm::kSha256, user, options_.realm, password)};
}

void AuthGuard::set_users(const std::vector<std::pair<std::string, std::string>>& users) {
  users_ha1_.emplace();
  users_ha1_->reserve(users.size());
  for (const auto& [user, password] : users) (*users_ha1_)[user] = ha1_of(user, password);
}

AuthResult AuthGuard::challenge(std::string_view reason, bool stale) {
  AuthResult r;
  r.verdict = AuthResult::Verdict::kChallenge;
  r.reason = reason;
  for (DigestAlgorithm a : options_.algorithms) r.challenges.push_back(digest_.challenge(a, stale));
  return r;
}

AuthResult AuthGuard::failed(AuthResult r, const Peer& source) {
  r.failure = true;
  r.verdict = AuthResult::Verdict::kForbidden;
  r.source_ban_started = sources_.record(source.remote.address);
  if (!r.user.empty()) r.user_ban_started = users_.record(r.user);
  if (r.source_ban_started || r.user_ban_started) r.verdict = AuthResult::Verdict::kBanned;
  return r;
}

AuthResult AuthGuard::check(const Message& request, const Peer& source, bool proxy) {
  if (sources_.banned(source.remote.address)) {
    AuthResult r;
    r.verdict = AuthResult::Verdict::kBanned;
    r.reason = "source banned";
    return r;
  }
  // The credentials for our realm; others (for another hop) are ignored, and so
  // are schemes we do not speak (RFC 4475 regaut01: answer with a challenge).
  const HeaderId want = proxy ? HeaderId::kProxyAuthorization : HeaderId::kAuthorization;
  std::optional<DigestCredentials> creds;
  for (const HeaderField& h : request.headers()) {
    if (h.id != want) continue;
    auto c = parse_digest_credentials(h.value);
    if (c && c->realm == options_.realm) {
      creds = std::move(*c);
      break;
    }
  }
  if (!creds) return challenge("no credentials", false);

  AuthResult r;
  r.user = creds->username;
  if (users_.banned(r.user)) {
    r.verdict = AuthResult::Verdict::kBanned;
    r.reason = "user banned";
    return r;
  }
  // Unknown users cost the same digest as known ones and fail the same way.
  bool known = false;
  DigestServer::Verdict v;
  if (users_ha1_) {
    // The credentials name the realm they were computed for: another realm fails
    // in verify(), so the HA1 for ours is the one to use.
    auto it = users_ha1_->find(std::string_view(creds->username));
    known = it != users_ha1_->end();
    const Ha1& ha1 = known ? it->second : decoy_ha1_;
    v = digest_.verify_ha1(*creds, request.method(),
                           ha1[static_cast<std::size_t>(creds->algorithm)]);
  } else {
    std::optional<std::string> password = lookup_ ? lookup_(creds->username) : std::nullopt;
    known = password.has_value();
    v = digest_.verify(*creds, request.method(), known ? *password : decoy_password_);
  }
  switch (v) {
    case DigestServer::Verdict::kOk:
      if (!known) break;  // the decoy cannot match, but never let it in
      if (!same_target(creds->uri, request.request_uri())) {
        r.reason = "digest uri differs from the Request-URI";
        return failed(std::move(r), source);
      }
      r.verdict = AuthResult::Verdict::kAccepted;
      r.reason = "ok";
      sources_.forget(source.remote.address);
      users_.forget(r.user);
      return r;
    case DigestServer::Verdict::kStale: {
      AuthResult c = challenge("stale nonce", true);
      c.user = std::move(r.user);
      return c;
    }
    case DigestServer::Verdict::kUnknownNonce: {
      AuthResult c = challenge("unknown nonce", false);
      c.user = std::move(r.user);
      return c;
    }
    case DigestServer::Verdict::kReplay: r.reason = "nonce count replayed"; break;
    case DigestServer::Verdict::kBadCredentials: r.reason = "bad credentials"; break;
    case DigestServer::Verdict::kMalformed: r.reason = "malformed credentials"; break;
  }
  if (r.reason.empty()) r.reason = "bad credentials";
  return failed(std::move(r), source);
}

}  // namespace hotline::sip
