// Trunks: the carriers hotline exchanges calls with. Inbound calls are accepted from
// a trunk identified by the source address (an allow-list of addresses and CIDR
// blocks) or, when the carrier authenticates, by digest credentials; anything else
// is refused with 403 and counted. Outbound calls go to the trunk's address with
// the trunk's digest credentials, and hotline registers to the carrier when told to.
// Caller-ID presentation per trunk: pass the caller's number, or present a fixed
// number (the company's main line), optionally withheld (anonymous).
//
// Thread-safety: an immutable value once loaded.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/config_reader.hpp"
#include "switch/numbering.hpp"

namespace hotline::sw {

// An IPv4 or IPv6 network: 203.0.113.7 (one host), 10.0.0.0/8, 2001:db8::/32.
struct Network {
  std::array<std::uint8_t, 16> address{};  // IPv4 as ::ffff:a.b.c.d
  int prefix_length = 128;                 // in the 128-bit space
  static Result<Network> parse(std::string_view text);
  // `ip` is a textual address ("10.1.2.3", "::1"); false when unparsable.
  bool contains(std::string_view ip) const;
};

struct CallerIdRule {
  enum class Mode { kPass, kFixed };
  Mode mode = Mode::kPass;
  std::string number;      // kFixed: the number presented (E.164)
  bool anonymous = false;  // withhold (From: anonymous, Privacy: id)
};

struct Trunk {
  std::string name;
  HostPort address;  // where outbound calls go
  std::string transport = "udp";
  // Inbound identification: source networks; or digest from the carrier.
  std::vector<Network> allow;
  std::string inbound_username;
  std::string inbound_password;
  // Outbound digest credentials (answering the carrier's challenge).
  std::string username;
  std::string password;
  bool register_to_carrier = false;
  Duration register_expires = std::chrono::seconds(600);
  CallerIdRule caller_id;
  int max_channels = 0;  // concurrent calls, 0 = unlimited
};

class TrunkTable {
 public:
  TrunkTable() = default;
  explicit TrunkTable(std::vector<Trunk> trunks) : trunks_(std::move(trunks)) {}

  // The trunk whose allow-list holds `source_ip` (first in configuration order).
  const Trunk* by_source(std::string_view source_ip) const;
  // The trunk that authenticates inbound with this user name.
  const Trunk* by_inbound_user(std::string_view username) const;
  const Trunk* by_name(std::string_view name) const;
  const std::vector<Trunk>& all() const { return trunks_; }
  std::vector<std::string> names() const;

 private:
  std::vector<Trunk> trunks_;
};

// The caller number a trunk presents for an outbound call from `caller`:
// nullopt when withheld.
std::optional<std::string> presented_caller_id(const Trunk& trunk, const Number& caller);

// Reads the `trunks` map; errors with file:line:col go to the node's ConfigErrors.
TrunkTable read_trunks(const ConfigNode& trunks, const NumberingPlan& numbering);

}  // namespace hotline::sw
