// The registrar (RFC 3261 §10.3): turns an authenticated REGISTER into changes of
// the LocationService and the response to send. Add, refresh and remove contacts,
// Contact "*" with Expires 0, several contacts per address of record, the
// per-contact expires parameter over the Expires header over the default,
// min/max expiry (423 with Min-Expires below the minimum, capped at the maximum),
// Call-ID/CSeq ordering, Path (RFC 3327, stored and echoed) and +sip.instance
// (RFC 5626: a new contact URI with the same instance replaces the old binding).
// Pure: time from the injected Clock; authentication is the caller's
// (AuthGuard), this class only checks the authenticated user owns the AOR.
//
// Thread-safety: none; owned by the control loop.
// Invariant: a REGISTER is applied entirely or not at all (every contact is
// checked before the location service is touched).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "sip/location.hpp"
#include "sip/message.hpp"
#include "sip/peer.hpp"

namespace hotline::sip {

struct RegistrarOptions {
  Duration min_expires = std::chrono::seconds(60);
  Duration max_expires = std::chrono::hours(1);
  Duration default_expires = std::chrono::hours(1);
  std::size_t max_contacts_per_aor = 10;
};

struct RegisterOutcome {
  int status = 200;
  std::string reason = "OK";
  // Headers for the response, in order (Contact with expires, Min-Expires, Path).
  std::vector<std::pair<std::string, std::string>> headers;
  // What changed, for persistence: bindings written (new or refreshed) and removed.
  std::vector<Binding> upserted;
  std::vector<Binding> removed;
  std::vector<std::string> added;  // contacts that were not bound before
};

// The AOR a REGISTER is for: the To URI's user, unescaped; "" when To is not a
// sip:/sips: URI with a user part.
std::string register_aor(const Message& request);

class Registrar {
 public:
  // REQUIRES: `location` and `clock` outlive the registrar.
  Registrar(LocationService& location, const Clock& clock, RegistrarOptions options)
      : location_(location), clock_(clock), options_(options) {}

  // `user` is who authenticated; it must own the AOR (403 otherwise).
  RegisterOutcome handle(const Message& request, const Peer& source, std::string_view user);

  const RegistrarOptions& options() const { return options_; }

 private:
  LocationService& location_;
  const Clock& clock_;
  RegistrarOptions options_;
};

}  // namespace hotline::sip
