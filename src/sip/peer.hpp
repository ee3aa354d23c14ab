// Where a SIP message came from or goes to: the seam between the socket layer
// (transport_*.hpp, Asio) and the protocol layers above it (transactions,
// dialogs, registrar), which never touch sockets.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/headers.hpp"

namespace hotline::sip {

enum class TransportType : std::uint8_t { kUdp, kTcp, kTls };

// "UDP", "TCP", "TLS" — as written in Via.
std::string_view via_name(TransportType t);
std::optional<TransportType> transport_from_via(std::string_view via_transport);
inline bool is_reliable(TransportType t) {
  return t != TransportType::kUdp;
}

struct Endpoint {
  std::string address;  // numeric IPv4 or IPv6 (no brackets)
  std::uint16_t port = 0;
  std::string to_string() const;  // "1.2.3.4:5060", "[::1]:5060"
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct Peer {
  TransportType transport = TransportType::kUdp;
  Endpoint remote;
  Endpoint local;                   // the listener the message arrived on / leaves from
  std::uint64_t connection_id = 0;  // stream connection it arrived on; 0 = any/new
  friend bool operator==(const Peer&, const Peer&) = default;
};

// Sends bytes to a peer. Implemented by the transport layer; the protocol layers
// hold a reference. REQUIRES: called on the control loop.
class MessageSender {
 public:
  virtual ~MessageSender() = default;
  virtual void send(const Peer& to, std::string bytes) = 0;
};

// RFC 3261 §18.2.2 with RFC 3581: where a response to a request received from
// `source` with top Via `top` goes. Reliable transports answer on the connection
// the request came in on; datagrams go to `received` (else the source address) at
// `rport` (the source port when rport was requested), else the Via port (5060 by
// default), and maddr is honoured for multicast-free unicast only when no
// received/rport applies.
Peer response_destination(const Via& top, const Peer& source);

// The top Via of a received request as a server records it (RFC 3261 §18.2.1,
// RFC 3581 §4): `received` added when the sent-by host is not the source address
// (or rport was asked for), an empty `rport` filled in with the source port. The
// result is the whole new header value, parameters otherwise in order.
std::string stamp_via(const Via& top, const Peer& source);

}  // namespace hotline::sip
