#include "app/sip_service.hpp"

#include <fmt/format.h>

#include "common/log.hpp"
#include "sip/serializer.hpp"
#include "sip/stateless_response.hpp"

namespace hotline::app {
namespace {

sip::TransportType to_sip(SipTransport t) {
  switch (t) {
    case SipTransport::kUdp: return sip::TransportType::kUdp;
    case SipTransport::kTcp: return sip::TransportType::kTcp;
    case SipTransport::kTls: return sip::TransportType::kTls;
  }
  return sip::TransportType::kUdp;
}

sip::TransportOptions transport_options(const SipConfig& c) {
  sip::TransportOptions o;
  o.tls_certificate = c.tls_certificate;
  o.tls_private_key = c.tls_private_key;
  return o;
}

constexpr std::string_view kAllow =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, REFER, NOTIFY, UPDATE";

}  // namespace

SipService::SipService(boost::asio::io_context& loop, const SipConfig& config,
                       MetricsRegistry& metrics)
    : config_(config),
      transport_(loop, transport_options(config), metrics),
      unhandled_(metrics.counter("hotline_sip_requests_not_implemented_total",
                                 "SIP requests answered 501 (no handler yet)")) {
  transport_.set_handler(
      [this](sip::Message&& m, const sip::Peer& from) { on_message(std::move(m), from); });
}

Status SipService::start() {
  for (const SipListener& l : config_.listen) {
    if (auto st = transport_.listen(to_sip(l.transport), l.address.host, l.address.port); !st) {
      transport_.stop();
      return st;
    }
  }
  for (const sip::Peer& p : transport_.listeners()) {
    log::info("sip", "listening",
              {log::kv("transport", sip::via_name(p.transport)),
               log::kv("address", p.local.to_string())});
  }
  return {};
}

void SipService::stop() {
  transport_.stop();
}

void SipService::on_message(sip::Message&& m, const sip::Peer& from) {
  if (m.is_response()) return;  // no client transactions yet
  if (m.method() == "ACK") return;
  if (m.method() == "OPTIONS") {
    respond(m, from, 200);
    return;
  }
  unhandled_.inc();
  log::debug("sip", "request not implemented yet",
             {log::kv("method", m.method()), log::kv("call_id", m.call_id()),
              log::kv("peer", from.remote.to_string())});
  respond(m, from, 501);
}

void SipService::respond(const sip::Message& request, const sip::Peer& from, int status) {
  if (request.vias().empty()) return;
  auto b = sip::MessageBuilder::response(status, std::string(sip::reason_phrase(status)));
  const sip::Via& top = request.vias().front();
  bool first = true;
  for (const sip::HeaderField& h : request.headers()) {
    if (h.id != sip::HeaderId::kVia) continue;
    // Every Via in order; the top one stamped with received/rport (RFC 3581).
    b.add_header("Via", first ? sip::stamp_via(top, from) : sip::unfold(h.value));
    first = false;
  }
  b.add_header("From", std::string(request.from().text));
  std::string to(request.to().text);
  if (!request.to().tag()) {
    to += fmt::format(";tag=hl{:x}",
                      std::hash<std::string_view>{}(request.call_id()) & 0xffffffffULL);
  }
  b.add_header("To", std::move(to));
  b.add_header("Call-ID", std::string(request.call_id()));
  b.add_header("CSeq", fmt::format("{} {}", request.cseq().number, request.cseq().method));
  if (status == 200 || status == 405 || status == 501) b.add_header("Allow", std::string(kAllow));
  if (status == 200) b.add_header("Accept", "application/sdp");
  transport_.send(sip::response_destination(top, from), b.serialize());
}

}  // namespace hotline::app
