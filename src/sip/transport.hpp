// SipTransport: the sockets under the SIP stack — UDP, TCP and TLS listeners on the
// control loop (Boost.Asio), stream framing by Content-Length, connection reuse,
// idle timeouts and caps. Received bytes become parsed Messages handed to one
// callback; bytes the parser refuses are answered statelessly (400/505/513) or
// dropped, and counted. Sending implements MessageSender: UDP datagrams go out from
// the listener they belong to; stream messages go on the connection named by
// Peer::connection_id, else on an existing connection to the same remote, else on
// a new outbound TCP connection.
//
// Thread-safety: everything runs on the io_context's single thread (the control
// loop). Lifetime: stop() closes every socket; the object must outlive the
// io_context's run() or be stopped first.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/metrics.hpp"
#include "sip/message.hpp"
#include "sip/peer.hpp"

namespace hotline::sip {

struct TransportOptions {
  ParseOptions limits;                          // message size and header caps
  std::size_t max_connections = 4096;           // stream connections in all
  std::size_t max_connections_per_source = 32;  // from one remote IP address
  std::size_t max_send_queue_bytes = 1 << 20;   // per connection; over it the connection is closed
  Duration idle_timeout = std::chrono::minutes(10);
  std::string tls_certificate;  // PEM files, needed only for TLS listeners
  std::string tls_private_key;
};

class SipTransport final : public MessageSender {
 public:
  using MessageHandler = std::function<void(Message&& message, const Peer& from)>;

  SipTransport(boost::asio::io_context& loop, TransportOptions options, MetricsRegistry& metrics);
  ~SipTransport() override;
  SipTransport(const SipTransport&) = delete;
  SipTransport& operator=(const SipTransport&) = delete;

  void set_handler(MessageHandler handler);
  // Told when a stream to `peer` cannot be used: the connect failed, or a write
  // did (RFC 3261 §17.1.4, §18.4): the transactions on it fail now instead of at
  // Timer B/F. Called on the loop.
  using FailureHandler = std::function<void(const Peer& peer)>;
  void set_failure_handler(FailureHandler handler);

  // Opens a listener. Errors: bad address, address in use, unreadable TLS files.
  // Port 0 picks a free port; listeners() tells which.
  Status listen(TransportType transport, const std::string& address, std::uint16_t port);
  std::vector<Peer> listeners() const;  // transport + local endpoint of each

  void send(const Peer& to, std::string bytes) override;

  std::size_t connection_count() const;
  void stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotline::sip
