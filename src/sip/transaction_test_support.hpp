// Test doubles for the transaction layer tests: a MessageSender that records the
// bytes it is given (the socket's stand-in), a TransactionUser that records every
// callback, and a fixture that drives virtual time exactly from deadline to
// deadline. Test-only; never linked into the library.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "sip/transaction_layer.hpp"

namespace hotline::sip::testing {

struct Sent {
  Peer to;
  std::string bytes;
  MonoTime at;
  Message parsed() const {
    auto m = parse_message(bytes);
    EXPECT_TRUE(m.has_value()) << bytes;
    return std::move(*m);
  }
};

class FakeSender final : public MessageSender {
 public:
  explicit FakeSender(const Clock& clock) : clock_(clock) {}
  void send(const Peer& to, std::string bytes) override {
    sent.push_back(Sent{to, std::move(bytes), clock_.mono()});
  }
  std::vector<Sent> sent;

 private:
  const Clock& clock_;
};

struct TuCall {
  enum class Type { kRequest, kResponse, kCancel, kAck, kTimeout, kTransportError, kTerminated };
  Type type;
  TransactionId id = 0;
  TransactionId other = 0;  // on_cancel: the CANCEL's id
  std::optional<TransactionId> ack_for;
  int status = 0;
  std::string method;
  std::optional<TimerName> timer;
};

class RecordingTu final : public TransactionUser {
 public:
  void on_request(TransactionId id, const Message& request, const Peer&) override {
    calls.push_back({TuCall::Type::kRequest, id, 0, {}, 0, std::string(request.method()), {}});
    if (on_request_hook) on_request_hook(id, request);
  }
  void on_response(TransactionId id, const Message& response) override {
    calls.push_back({TuCall::Type::kResponse,
                     id,
                     0,
                     {},
                     response.status_code(),
                     std::string(response.cseq().method),
                     {}});
  }
  void on_cancel(TransactionId invite_id, TransactionId cancel_id, const Message&) override {
    calls.push_back({TuCall::Type::kCancel, invite_id, cancel_id, {}, 0, "CANCEL", {}});
  }
  void on_ack(std::optional<TransactionId> invite_id, const Message&, const Peer&) override {
    calls.push_back({TuCall::Type::kAck, invite_id.value_or(0), 0, invite_id, 0, "ACK", {}});
  }
  void on_timeout(TransactionId id, TimerName timer, const Message& synthesized) override {
    calls.push_back({TuCall::Type::kTimeout,
                     id,
                     0,
                     {},
                     synthesized.is_response() ? synthesized.status_code() : 0,
                     std::string(synthesized.cseq().method),
                     timer});
  }
  void on_transport_error(TransactionId id) override {
    calls.push_back({TuCall::Type::kTransportError, id, 0, {}, 0, "", {}});
  }
  void on_terminated(TransactionId id) override {
    calls.push_back({TuCall::Type::kTerminated, id, 0, {}, 0, "", {}});
  }

  std::size_t count(TuCall::Type type) const {
    std::size_t n = 0;
    for (const auto& c : calls) n += c.type == type ? 1 : 0;
    return n;
  }
  const TuCall* last(TuCall::Type type) const {
    for (auto it = calls.rbegin(); it != calls.rend(); ++it)
      if (it->type == type) return &*it;
    return nullptr;
  }

  std::vector<TuCall> calls;
  std::function<void(TransactionId, const Message&)> on_request_hook;
};

inline Peer udp_peer() {
  return Peer{TransportType::kUdp, {"192.0.2.10", 5060}, {"192.0.2.1", 5060}, 0};
}
inline Peer tcp_peer() {
  return Peer{TransportType::kTcp, {"192.0.2.10", 40000}, {"192.0.2.1", 5060}, 7};
}

// A request as a remote UA would send it to us.
inline std::string request_text(std::string_view method, std::string_view branch,
                                std::uint32_t cseq = 1, std::string_view to_tag = "",
                                std::string_view transport = "UDP",
                                std::string_view sent_by = "192.0.2.10:5060",
                                std::string_view cseq_method = "") {
  std::string branch_param = branch.empty() ? "" : ";branch=" + std::string(branch);
  std::string to = "<sip:bob@example.com>";
  if (!to_tag.empty()) to += ";tag=" + std::string(to_tag);
  return std::string(method) + " sip:bob@192.0.2.1 SIP/2.0\r\n" + "Via: SIP/2.0/" +
         std::string(transport) + " " + std::string(sent_by) + branch_param + "\r\n" +
         "Max-Forwards: 70\r\n" + "From: <sip:alice@example.com>;tag=a1\r\n" + "To: " + to +
         "\r\n" + "Call-ID: call-1@192.0.2.10\r\n" + "CSeq: " + std::to_string(cseq) + " " +
         std::string(cseq_method.empty() ? method : cseq_method) + "\r\n" +
         "Content-Length: 0\r\n\r\n";
}

inline Message parse(const std::string& text) {
  auto m = parse_message(text);
  EXPECT_TRUE(m.has_value()) << text;
  return std::move(*m);
}

class TransactionTest : public ::testing::Test {
 protected:
  TransactionTest() : sender(clock) { make_layer(); }

  void make_layer(std::function<void(TransactionConfig&)> tweak = {}) {
    TransactionConfig c;
    c.random = [rng = std::mt19937_64(seed)]() mutable { return rng(); };
    if (tweak) tweak(c);
    layer = std::make_unique<TransactionLayer>(sender, tu, clock, std::move(c));
  }
  Duration since_start() const { return clock.mono() - start; }
  // Moves virtual time to `d` after now, stopping at every deadline on the way.
  void advance(Duration d) {
    const MonoTime target = clock.mono() + d;
    while (auto next = layer->next_deadline()) {
      if (*next > target) break;
      if (*next > clock.mono()) clock.advance(*next - clock.mono());
      layer->on_timer(clock.mono());
    }
    if (target > clock.mono()) clock.advance(target - clock.mono());
  }
  void receive(const std::string& text, const Peer& from = udp_peer()) {
    layer->on_message(parse(text), from);
  }
  // A response to the request sent at `index`, as the remote UA would write it.
  std::string response_to_sent(std::size_t index, int status, std::string_view to_tag = "b2") {
    Message req = sender.sent.at(index).parsed();
    MessageBuilder b = make_local_response(req, status,
                                           status < 200   ? "Ringing"
                                           : status < 300 ? "OK"
                                                          : "Busy");
    if (status > 100) {
      std::string to = unfold(*req.header(HeaderId::kTo)) + ";tag=" + std::string(to_tag);
      b.set_header("To", to);
    }
    return b.serialize();
  }
  // Offsets from the start of the test at which bytes were sent.
  std::vector<Duration> send_offsets() const {
    std::vector<Duration> out;
    for (const auto& s : sender.sent) out.push_back(s.at - start);
    return out;
  }
  void expect_idle() {
    EXPECT_EQ(layer->size(), 0u);
    EXPECT_EQ(layer->armed_timers(), 0u);
    EXPECT_FALSE(layer->next_deadline().has_value());
  }

  std::uint64_t seed = 42;
  ManualClock clock;
  MonoTime start = clock.mono();
  FakeSender sender;
  RecordingTu tu;
  std::unique_ptr<TransactionLayer> layer;
};

inline MessageBuilder outgoing(std::string_view method, std::uint32_t cseq = 1) {
  MessageBuilder b = MessageBuilder::request(std::string(method), "sip:carol@192.0.2.10");
  b.add_header("Max-Forwards", "70");
  b.add_header("From", "<sip:hotline@192.0.2.1>;tag=h1");
  b.add_header("To", "<sip:carol@192.0.2.10>");
  b.add_header("Call-ID", "out-1@192.0.2.1");
  b.add_header("CSeq", std::to_string(cseq) + " " + std::string(method));
  return b;
}

}  // namespace hotline::sip::testing
