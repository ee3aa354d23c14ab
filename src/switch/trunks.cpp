#include "switch/trunks.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace hotline::sw {
namespace {

// Textual IPv4/IPv6 → 16 bytes (IPv4 mapped), or nullopt.
std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text, bool& v4) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  std::array<std::uint8_t, 16> out{};
  in_addr a4{};
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &a4, 4);
    v4 = true;
    return out;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::memcpy(out.data(), &a6, 16);
    v4 = false;
    return out;
  }
  return std::nullopt;
}

bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                 int bits) {
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
    if ((a[static_cast<std::size_t>(i)] & mask) != (b[static_cast<std::size_t>(i)] & mask)) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<Network> Network::parse(std::string_view text) {
  const auto slash = text.find('/');
  bool v4 = false;
  auto ip = parse_ip(text.substr(0, slash), v4);
  if (!ip) return fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is not an IP address", text));
  Network n;
  n.address = *ip;
  n.prefix_length = 128;
  if (slash != std::string_view::npos) {
    const std::string bits(text.substr(slash + 1));
    char* end = nullptr;
    const long len = std::strtol(bits.c_str(), &end, 10);
    const int max = v4 ? 32 : 128;
    if (bits.empty() || *end != '\0' || len < 0 || len > max) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("'{}': prefix length must be 0..{}", text, max));
    }
    n.prefix_length = static_cast<int>(len) + (v4 ? 96 : 0);
  }
  return n;
}

bool Network::contains(std::string_view ip) const {
  bool v4 = false;
  auto a = parse_ip(ip, v4);
  return a && same_prefix(*a, address, prefix_length);
}

const Trunk* TrunkTable::by_source(std::string_view source_ip) const {
  for (const Trunk& t : trunks_) {
    for (const Network& n : t.allow) {
      if (n.contains(source_ip)) return &t;
    }
  }
  return nullptr;
}

const Trunk* TrunkTable::by_inbound_user(std::string_view username) const {
  if (username.empty()) return nullptr;
  for (const Trunk& t : trunks_) {
    if (t.inbound_username == username) return &t;
  }
  return nullptr;
}

const Trunk* TrunkTable::by_name(std::string_view name) const {
  for (const Trunk& t : trunks_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::vector<std::string> TrunkTable::names() const {
  std::vector<std::string> out;
  for (const Trunk& t : trunks_) out.push_back(t.name);
  return out;
}

std::optional<std::string> presented_caller_id(const Trunk& trunk, const Number& caller) {
  if (trunk.caller_id.anonymous) return std::nullopt;
  if (trunk.caller_id.mode == CallerIdRule::Mode::kFixed) return trunk.caller_id.number;
  // An extension's short number means nothing outside: present the fixed number
  // if there is one, else withhold rather than leak "1001".
  if (caller.kind != NumberKind::kE164) {
    return trunk.caller_id.number.empty() ? std::nullopt
                                          : std::optional<std::string>(trunk.caller_id.number);
  }
  return caller.digits;
}

TrunkTable read_trunks(const ConfigNode& trunks, const NumberingPlan& numbering) {
  std::vector<Trunk> out;
  if (!trunks.defined() || !trunks.expect_map()) return TrunkTable{};
  for (const auto& [name, node] : trunks.entries()) {
    if (!node.expect_keys({"address", "transport", "allow", "inbound", "username", "password",
                           "register", "register_expires", "caller_id", "max_channels"})) {
      continue;
    }
    Trunk t;
    t.name = name;
    if (!node.read_host_port("address", t.address) && !node.has("address")) {
      node.error("a trunk needs 'address' (host:port of the carrier's SIP server)");
    }
    node.read_enum(
        "transport", t.transport, "transport",
        {{"udp", std::string("udp")}, {"tcp", std::string("tcp")}, {"tls", std::string("tls")}});
    const ConfigNode allow = node.child("allow");
    for (const ConfigNode& item : allow.items()) {
      auto text = item.as_string();
      if (!text) continue;
      auto net = Network::parse(*text);
      if (!net) {
        item.error(net.error().message);
        continue;
      }
      t.allow.push_back(*net);
    }
    const ConfigNode inbound = node.child("inbound");
    if (inbound.defined() && inbound.expect_keys({"username", "password"})) {
      inbound.read_string("username", t.inbound_username);
      inbound.read_string("password", t.inbound_password);
      if (t.inbound_username.empty() || t.inbound_password.empty()) {
        inbound.error("inbound digest needs both username and password");
      }
    }
    if (t.allow.empty() && t.inbound_username.empty() && !allow.defined()) {
      node.error(
          "a trunk needs 'allow' (carrier addresses) or 'inbound' credentials, or no "
          "call from it could be told from a stranger's");
    }
    node.read_string("username", t.username);
    node.read_string("password", t.password);
    if (t.username.empty() != t.password.empty()) {
      node.error("outbound credentials need both username and password");
    }
    node.read_bool("register", t.register_to_carrier);
    if (t.register_to_carrier && t.username.empty()) {
      node.child("register").error("registering to the carrier needs username and password");
    }
    node.read_duration("register_expires", t.register_expires, std::chrono::seconds(60),
                       std::chrono::hours(24));
    std::int64_t channels = 0;
    if (node.read_int("max_channels", channels, 0, 100'000))
      t.max_channels = static_cast<int>(channels);
    const ConfigNode cid = node.child("caller_id");
    if (cid.defined() && cid.expect_keys({"number", "anonymous", "mode"})) {
      cid.read_enum("mode", t.caller_id.mode, "caller_id mode",
                    {{"pass", CallerIdRule::Mode::kPass}, {"fixed", CallerIdRule::Mode::kFixed}});
      std::string number;
      if (cid.read_string("number", number)) {
        auto n = normalize(number, numbering);
        if (!n || n->kind != NumberKind::kE164) {
          cid.child("number").error(fmt::format("'{}' is not a full phone number", number));
        } else {
          t.caller_id.number = n->digits;
        }
      }
      cid.read_bool("anonymous", t.caller_id.anonymous);
      if (t.caller_id.mode == CallerIdRule::Mode::kFixed && t.caller_id.number.empty() &&
          !cid.has("number")) {
        cid.error("mode fixed needs 'number'");
      }
    }
    out.push_back(std::move(t));
  }
  return TrunkTable(std::move(out));
}

}  // namespace hotline::sw
