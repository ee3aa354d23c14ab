// The SIP side of `hotline serve`: opens the configured listeners and answers
// requests. Until the transaction layer and registrar are wired in, requests are
// answered statelessly: OPTIONS (keepalive/qualify from phones and trunks) with
// 200, ACK absorbed, anything else 501 — so a softphone pointed at hotline gets a
// clear answer instead of silence.
//
// Thread-safety: control-loop thread only.
#pragma once

#include <boost/asio/io_context.hpp>

#include "app/config.hpp"
#include "common/error.hpp"
#include "common/metrics.hpp"
#include "sip/transport.hpp"

namespace hotline::app {

class SipService {
 public:
  SipService(boost::asio::io_context& loop, const SipConfig& config, MetricsRegistry& metrics);
  // Opens every listener; the first failure is returned (and nothing stays open).
  Status start();
  void stop();
  std::vector<sip::Peer> listeners() const { return transport_.listeners(); }

 private:
  void on_message(sip::Message&& m, const sip::Peer& from);
  void respond(const sip::Message& request, const sip::Peer& from, int status);

  const SipConfig& config_;
  sip::SipTransport transport_;
  Counter& unhandled_;
};

}  // namespace hotline::app
