#include "sip/peer.hpp"

#include <fmt/format.h>

#include "sip/scanner.hpp"

namespace hotline::sip {
namespace {

using detail::iequals;

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return host.substr(1, host.size() - 2);
  return host;
}

}  // namespace

std::string_view via_name(TransportType t) {
  switch (t) {
    case TransportType::kUdp: return "UDP";
    case TransportType::kTcp: return "TCP";
    case TransportType::kTls: return "TLS";
  }
  return "UDP";
}

std::optional<TransportType> transport_from_via(std::string_view v) {
  if (iequals(v, "UDP")) return TransportType::kUdp;
  if (iequals(v, "TCP")) return TransportType::kTcp;
  if (iequals(v, "TLS")) return TransportType::kTls;
  return std::nullopt;
}

std::string Endpoint::to_string() const {
  if (address.find(':') != std::string::npos) return fmt::format("[{}]:{}", address, port);
  return fmt::format("{}:{}", address, port);
}

Peer response_destination(const Via& top, const Peer& source) {
  Peer to = source;
  if (is_reliable(source.transport)) return to;  // same connection (§18.2.2)
  to.connection_id = 0;
  const auto received = top.received();
  to.remote.address = received ? std::string(strip_brackets(*received)) : source.remote.address;
  if (const auto rport = top.rport(); rport.has_value()) {
    // A request that asked for rport (empty value) gets the source port; a value
    // already filled in by us is the same number.
    to.remote.port = source.remote.port;
  } else if (top.port) {
    to.remote.port = *top.port;
  } else {
    to.remote.port = 5060;
  }
  return to;
}

std::string stamp_via(const Via& top, const Peer& source) {
  // Runs for every response: appends, no formatting library.
  std::string out;
  out.reserve(top.text.size() + source.remote.address.size() + 24);
  out.append(top.protocol_name).push_back('/');
  out.append(top.protocol_version).push_back('/');
  out.append(top.transport).push_back(' ');
  out.append(top.host);
  if (top.port) out.append(":").append(std::to_string(*top.port));
  const bool wants_rport = top.rport().has_value() && top.rport()->empty();
  const bool add_received =
      !top.received() && (strip_brackets(top.host) != source.remote.address || wants_rport);
  std::size_t pos = 0;
  Param p;
  while (top.params.next(pos, p)) {
    if (wants_rport && iequals(p.name, "rport")) {
      out.append(";rport=").append(std::to_string(source.remote.port));
      continue;
    }
    out.append(";").append(p.name);
    if (p.has_value) out.append("=").append(p.value);
  }
  if (add_received) out.append(";received=").append(source.remote.address);
  return out;
}

}  // namespace hotline::sip
