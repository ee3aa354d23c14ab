// The location service behind the registrar (RFC 3261 §10): which contacts are
// bound to each address of record (an extension, "1001"), until when, and where
// the REGISTER came from (so requests and OPTIONS qualify reach a NATed phone on
// the flow it opened). Pure: no I/O; time from the injected Clock (wall time, so
// bindings persisted by the store survive a restart with their expiry intact).
//
// Thread-safety: none; owned by the control loop.
// Invariants: (1) within one AOR, contacts are unique, and so are non-empty
// instance ids; (2) lookup() and for_each() never return a binding whose
// expires_at is at or before now (expired bindings may linger until expire()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "sip/peer.hpp"

namespace hotline::sip {

struct Binding {
  std::string aor;          // the user part of the To URI: the extension
  std::string contact;      // Contact URI as registered (no angle brackets)
  std::string instance_id;  // +sip.instance (RFC 5626), quotes removed; "" when absent
  std::string path;         // Path header values (RFC 3327), comma-joined; "" when absent
  std::string call_id;
  std::uint32_t cseq = 0;
  Timestamp expires_at{};
  Peer source;  // transport, remote (NAT-mapped) and local endpoint of the REGISTER
  std::string user_agent;
  Timestamp updated_at{};
  bool reachable = true;  // false after an OPTIONS qualify failed; true on any answer

  friend bool operator==(const Binding&, const Binding&) = default;
};

class LocationService {
 public:
  // REQUIRES: `clock` outlives the service.
  explicit LocationService(const Clock& clock) : clock_(clock) {}

  // Unexpired bindings of `aor`, in registration order.
  std::vector<Binding> lookup(std::string_view aor) const;
  // The live binding of `aor` with this contact, or with this instance id when it
  // is not empty; null when there is none.
  const Binding* find(std::string_view aor, std::string_view contact,
                      std::string_view instance_id = {}) const;
  std::size_t count(std::string_view aor) const;  // unexpired

  // Inserts, or replaces the binding find(aor, contact, instance_id) names.
  // Returns the binding it replaced, if any (its contact may differ when it was
  // matched by instance id).
  std::optional<Binding> upsert(Binding b);
  std::optional<Binding> remove(std::string_view aor, std::string_view contact);
  // Removes every binding of `aor` (expired or not); returns them.
  std::vector<Binding> remove_all(std::string_view aor);
  // Drops bindings expired at or before now; returns them.
  std::vector<Binding> expire();
  // Marks a binding's qualify result; false when it no longer exists.
  bool set_reachable(std::string_view aor, std::string_view contact, bool reachable);

  // Every unexpired binding, AORs in order.
  void for_each(const std::function<void(const Binding&)>& fn) const;
  std::size_t size() const;  // bindings held, expired-but-not-swept included
  std::size_t aor_count() const { return aors_.size(); }

 private:
  bool live(const Binding& b) const { return b.expires_at > clock_.now(); }
  Binding* find_mut(std::string_view aor, std::string_view contact, std::string_view instance_id);

  const Clock& clock_;
  std::map<std::string, std::vector<Binding>, std::less<>> aors_;
};

}  // namespace hotline::sip
