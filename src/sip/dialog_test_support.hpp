// Test doubles for the dialog layer: an in-memory network that carries bytes
// between several DialogLayers (each at its own endpoint) and can drop or hold
// messages, a DialogUser that records every callback and can be scripted, and a
// fixture with two user agents (alice, bob) on one ManualClock that moves from
// deadline to deadline. Test-only; never linked into the library.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "sip/dialog_layer.hpp"

namespace hotline::sip::testing {

struct Packet {
  Peer to;  // as the sender addressed it (remote = destination)
  std::string bytes;
  MonoTime at;
  Message parsed() const {
    auto m = parse_message(bytes);
    EXPECT_TRUE(m.has_value()) << bytes;
    return std::move(*m);
  }
  std::string first_line() const { return bytes.substr(0, bytes.find("\r\n")); }
};

class Net;

// One side's socket stand-in: records what it sent and hands it to the network.
class NodeSender final : public MessageSender {
 public:
  NodeSender(Net& net, Endpoint self, const Clock& clock)
      : net_(net), self_(std::move(self)), clock_(clock) {}
  void send(const Peer& to, std::string bytes) override;
  std::vector<Packet> sent;

 private:
  Net& net_;
  Endpoint self_;
  const Clock& clock_;
};

struct UserCall {
  enum class Type { kRequest, kResponse, kAck, kCancelled, kGlare, kTransportError, kTerminated };
  Type type = Type::kRequest;
  TransactionId txn = 0;
  std::optional<DialogId> dialog;
  std::string method;
  int status = 0;
  std::string body;
  bool timeout = false;
  std::optional<Duration> glare_retry;
  TerminationReason reason = TerminationReason::kShutdown;
};

class RecordingUser final : public DialogUser {
 public:
  void on_request(const IncomingRequest& r) override {
    UserCall& c = add(UserCall::Type::kRequest, r.txn, r.dialog, r.request.method());
    c.body = std::string(r.request.body());
    if (on_request_hook) on_request_hook(r);
  }
  void on_response(const ResponseEvent& r) override {
    UserCall& c = add(UserCall::Type::kResponse, r.txn, r.dialog, r.response.cseq().method);
    c.status = r.response.status_code();
    c.body = std::string(r.response.body());
    c.timeout = r.timeout;
    c.glare_retry = r.glare_retry;
    if (on_response_hook) on_response_hook(r);
  }
  void on_ack(DialogId dialog, const Message& ack) override {
    add(UserCall::Type::kAck, 0, dialog, "ACK").body = std::string(ack.body());
  }
  void on_cancelled(TransactionId invite, std::optional<DialogId> dialog) override {
    add(UserCall::Type::kCancelled, invite, dialog, "CANCEL");
  }
  void on_glare_retry(DialogId dialog, std::string_view method) override {
    add(UserCall::Type::kGlare, 0, dialog, method);
    if (on_glare_hook) on_glare_hook(dialog, method);
  }
  void on_transport_error(TransactionId txn, std::optional<DialogId> dialog) override {
    add(UserCall::Type::kTransportError, txn, dialog, "");
  }
  void on_terminated(DialogId dialog, TerminationReason reason, const Message*) override {
    add(UserCall::Type::kTerminated, 0, dialog, "").reason = reason;
  }

  std::size_t count(UserCall::Type type) const {
    std::size_t n = 0;
    for (const auto& c : calls) n += c.type == type ? 1 : 0;
    return n;
  }
  const UserCall* last(UserCall::Type type) const {
    for (auto it = calls.rbegin(); it != calls.rend(); ++it)
      if (it->type == type) return &*it;
    return nullptr;
  }
  const UserCall* last_request(std::string_view method) const {
    for (auto it = calls.rbegin(); it != calls.rend(); ++it)
      if (it->type == UserCall::Type::kRequest && it->method == method) return &*it;
    return nullptr;
  }
  std::vector<UserCall> of(UserCall::Type type) const {
    std::vector<UserCall> out;
    for (const auto& c : calls)
      if (c.type == type) out.push_back(c);
    return out;
  }

  std::vector<UserCall> calls;
  std::function<void(const IncomingRequest&)> on_request_hook;
  UserCall& add(UserCall::Type type, TransactionId txn, std::optional<DialogId> dialog,
                std::string_view method) {
    UserCall& c = calls.emplace_back();
    c.type = type;
    c.txn = txn;
    c.dialog = dialog;
    c.method = std::string(method);
    return c;
  }
  std::function<void(const ResponseEvent&)> on_response_hook;
  std::function<void(DialogId, std::string_view)> on_glare_hook;
};

// A user agent: a DialogLayer at one endpoint with its recording user.
struct Ua {
  Ua(Net& net, const Clock& clock, Endpoint self, std::uint64_t seed,
     std::function<void(DialogConfig&)> tweak = {})
      : endpoint(self), sender(net, self, clock) {
    TransactionConfig tc;
    tc.random = [rng = std::mt19937_64(seed)]() mutable { return rng(); };
    DialogConfig dc;
    dc.default_contact = "<sip:ua@" + self.to_string() + ">";
    if (tweak) tweak(dc);
    layer = std::make_unique<DialogLayer>(sender, user, clock, std::move(tc), std::move(dc));
  }
  Peer peer_to(const Ua& other) const {
    return Peer{TransportType::kUdp, other.endpoint, endpoint, 0};
  }
  std::string contact() const { return "<sip:ua@" + endpoint.to_string() + ">"; }

  Endpoint endpoint;
  NodeSender sender;
  RecordingUser user;
  std::unique_ptr<DialogLayer> layer;
};

// Carries packets between registered UAs in send order. `drop` decides per
// packet whether the network loses it.
class Net {
 public:
  void attach(Ua& ua) { nodes_[ua.endpoint.to_string()] = &ua; }
  void queue(const Endpoint& from, const Peer& to, std::string bytes) {
    queue_.push_back({from, to, std::move(bytes)});
  }
  // Delivers queued packets (and what they cause) until the network is quiet.
  // Returns how many were delivered.
  std::size_t pump() {
    std::size_t n = 0;
    while (!queue_.empty()) {
      InFlight p = std::move(queue_.front());
      queue_.pop_front();
      if (drop && drop(p.bytes)) {
        ++dropped;
        continue;
      }
      auto it = nodes_.find(p.to.remote.to_string());
      if (it == nodes_.end()) {
        ++unroutable;
        continue;
      }
      auto m = parse_message(p.bytes);
      EXPECT_TRUE(m.has_value()) << p.bytes;
      if (!m) continue;
      it->second->layer->on_message(std::move(*m), Peer{p.to.transport, p.from, p.to.remote, 0});
      ++n;
    }
    return n;
  }
  std::function<bool(const std::string&)> drop;
  std::size_t dropped = 0;
  std::size_t unroutable = 0;

 private:
  struct InFlight {
    Endpoint from;
    Peer to;
    std::string bytes;
  };
  std::deque<InFlight> queue_;
  std::map<std::string, Ua*> nodes_;
};

inline void NodeSender::send(const Peer& to, std::string bytes) {
  sent.push_back(Packet{to, bytes, clock_.mono()});
  net_.queue(self_, to, std::move(bytes));
}

inline bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
inline std::string_view cseq_method_of(const std::string& bytes) {
  auto pos = bytes.find("\r\nCSeq: ");
  if (pos == std::string::npos) return {};
  auto line_end = bytes.find("\r\n", pos + 2);
  std::string_view line(bytes.data() + pos + 8, line_end - pos - 8);
  return line.substr(line.find(' ') + 1);
}

inline const std::string kSdpA =
    "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\n";
inline const std::string kSdpB =
    "v=0\r\no=bob 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n"
    "m=audio 5000 RTP/AVP 0\r\n";

inline Content sdp(const std::string& body) {
  Content c;
  c.body = body;
  return c;
}

class DialogTest : public ::testing::Test {
 protected:
  DialogTest() {
    net.attach(alice);
    net.attach(bob);
  }
  // Moves virtual time by `d`, stopping at every deadline of either UA and
  // delivering what each step sends.
  void advance(Duration d) {
    const MonoTime target = clock.mono() + d;
    net.pump();
    for (;;) {
      std::optional<MonoTime> next;
      for (Ua* ua : {&alice, &bob}) {
        auto n = ua->layer->next_deadline();
        if (n && (!next || *n < *next)) next = n;
      }
      if (!next || *next > target) break;
      if (*next > clock.mono()) clock.advance(*next - clock.mono());
      for (Ua* ua : {&alice, &bob}) ua->layer->on_timer(clock.mono());
      net.pump();
    }
    if (target > clock.mono()) clock.advance(target - clock.mono());
  }
  OutgoingInvite invite_to_bob(Content content = sdp(kSdpA)) {
    OutgoingInvite o;
    o.request_uri = "sip:bob@" + bob.endpoint.to_string();
    o.from = "\"Alice\" <sip:alice@example.com>";
    o.to = "<sip:bob@example.com>";
    o.contact = alice.contact();
    o.destination = alice.peer_to(bob);
    o.content = std::move(content);
    return o;
  }
  // Alice calls Bob, Bob answers 180 then 200 with kSdpB; returns the dialog ids
  // (alice's, bob's).
  std::pair<DialogId, DialogId> establish() {
    bob.user.on_request_hook = [this](const IncomingRequest& r) {
      if (r.request.method() == "INVITE" && !r.dialog) {
        EXPECT_TRUE(bob.layer->respond(r.txn, Reply{180, "Ringing", {}, {}}).has_value());
        Reply ok;
        ok.content = sdp(kSdpB);
        auto d = bob.layer->respond(r.txn, ok);
        EXPECT_TRUE(d.has_value() && d->has_value());
      }
    };
    auto txn = alice.layer->invite(invite_to_bob());
    EXPECT_TRUE(txn.has_value());
    net.pump();
    bob.user.on_request_hook = nullptr;
    const UserCall* ok = alice.user.last(UserCall::Type::kResponse);
    EXPECT_TRUE(ok != nullptr && ok->status == 200 && ok->dialog);
    const UserCall* ack = bob.user.last(UserCall::Type::kAck);
    EXPECT_TRUE(ack != nullptr && ack->dialog);
    if (ok == nullptr || ack == nullptr || !ok->dialog || !ack->dialog) return {0, 0};
    return {*ok->dialog, *ack->dialog};
  }
  // Makes `ua` answer every in-dialog request (not INVITE unless `invites`) 200.
  void auto_answer(Ua& ua, bool invites, Content content = {}) {
    ua.user.on_request_hook = [&ua, invites, content](const IncomingRequest& r) {
      if (!r.dialog) return;
      if (r.request.method() == "INVITE" && !invites) return;
      Reply ok;
      ok.content = content;
      EXPECT_TRUE(ua.layer->respond(r.txn, ok).has_value());
    };
  }
  void expect_idle(Ua& ua) {
    EXPECT_EQ(ua.layer->size(), 0u);
    EXPECT_EQ(ua.layer->transactions().size(), 0u);
    EXPECT_FALSE(ua.layer->next_deadline().has_value());
  }

  ManualClock clock;
  MonoTime start = clock.mono();
  Net net;
  Ua alice{net, clock, Endpoint{"192.0.2.1", 5060}, 1};
  Ua bob{net, clock, Endpoint{"192.0.2.2", 5060}, 2};
};

}  // namespace hotline::sip::testing
