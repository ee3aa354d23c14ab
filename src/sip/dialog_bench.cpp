// Dialog layer throughput on virtual time: a whole call between two user agents in
// memory, each a DialogLayer over its own TransactionLayer — INVITE with SDP, 180,
// 200 with SDP, ACK, BYE, 200 — then virtual time jumps past every timer so all
// transactions and dialogs are gone. Every message is serialized by the sender and
// parsed by the receiver, as on the wire. Both ends run on one core, so the figure
// is "calls set up and torn down per second per core, both sides included".
//   build/<dir>/src/sip/sip_bench --benchmark_filter=Dialog
#include <benchmark/benchmark.h>

#include <chrono>
#include <deque>
#include <string>

#include "sip/dialog_layer.hpp"

namespace {

using namespace hotline;
using namespace hotline::sip;
using namespace std::chrono_literals;

const Endpoint kAlice{"192.0.2.1", 5060};
const Endpoint kBob{"192.0.2.2", 5060};

const std::string kSdp =
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";

struct Wire {
  struct Packet {
    bool to_bob;
    Endpoint from;
    std::string bytes;
  };
  std::deque<Packet> queue;
};

class WireSender final : public MessageSender {
 public:
  WireSender(Wire& w, Endpoint self) : wire_(w), self_(std::move(self)) {}
  void send(const Peer& to, std::string bytes) override {
    wire_.queue.push_back({to.remote == kBob, self_, std::move(bytes)});
  }

 private:
  Wire& wire_;
  Endpoint self_;
};

class Callee final : public DialogUser {
 public:
  DialogLayer* layer = nullptr;
  void on_request(const IncomingRequest& r) override {
    if (r.dialog) {
      (void)layer->respond(r.txn, Reply{});
      return;
    }
    (void)layer->respond(r.txn, Reply{180, "Ringing", {}, {}});
    Reply ok;
    ok.content.body = kSdp;
    (void)layer->respond(r.txn, ok);
  }
  void on_response(const ResponseEvent&) override {}
  void on_ack(DialogId, const Message&) override {}
  void on_cancelled(TransactionId, std::optional<DialogId>) override {}
  void on_glare_retry(DialogId, std::string_view) override {}
  void on_transport_error(TransactionId, std::optional<DialogId>) override {}
  void on_terminated(DialogId, TerminationReason, const Message*) override { ++ended; }
  std::uint64_t ended = 0;
};

class Caller final : public DialogUser {
 public:
  DialogLayer* layer = nullptr;
  void on_request(const IncomingRequest& r) override { (void)layer->respond(r.txn, Reply{}); }
  void on_response(const ResponseEvent& r) override {
    // Hang up as soon as the call is answered (the ACK has gone by then).
    if (r.dialog && r.response.status_code() == 200 && r.response.cseq().method == "INVITE") {
      answered = *r.dialog;
    }
  }
  void on_ack(DialogId, const Message&) override {}
  void on_cancelled(TransactionId, std::optional<DialogId>) override {}
  void on_glare_retry(DialogId, std::string_view) override {}
  void on_transport_error(TransactionId, std::optional<DialogId>) override {}
  void on_terminated(DialogId, TerminationReason, const Message*) override { ++ended; }
  std::optional<DialogId> answered;
  std::uint64_t ended = 0;
};

TransactionConfig tconfig(std::uint64_t seed) {
  TransactionConfig c;
  c.random = [n = seed]() mutable {
    return n = n * 6364136223846793005ULL + 1442695040888963407ULL;
  };
  c.max_transactions = 1'000'000;
  return c;
}

void pump(Wire& w, DialogLayer& alice, DialogLayer& bob) {
  while (!w.queue.empty()) {
    Wire::Packet p = std::move(w.queue.front());
    w.queue.pop_front();
    auto m = parse_message(std::move(p.bytes));
    if (!m) continue;
    DialogLayer& to = p.to_bob ? bob : alice;
    to.on_message(std::move(*m), Peer{TransportType::kUdp, p.from, p.to_bob ? kBob : kAlice, 0});
  }
}

void BM_DialogCallSetupAndTeardown(benchmark::State& state) {
  ManualClock clock;
  Wire wire;
  WireSender alice_out(wire, kAlice);
  WireSender bob_out(wire, kBob);
  Caller caller;
  Callee callee;
  DialogConfig dc;
  dc.max_dialogs = 1'000'000;
  dc.default_contact = "<sip:agent@192.0.2.2:5060>";
  DialogLayer alice(alice_out, caller, clock, tconfig(1), dc);
  DialogLayer bob(bob_out, callee, clock, tconfig(2), dc);
  caller.layer = &alice;
  callee.layer = &bob;
  OutgoingInvite o;
  o.request_uri = "sip:5000@192.0.2.2";
  o.from = "<sip:1001@pbx.example.com>";
  o.to = "<sip:5000@pbx.example.com>";
  o.contact = "<sip:1001@192.0.2.1:5060>";
  o.destination = Peer{TransportType::kUdp, kBob, kAlice, 0};
  o.content.body = kSdp;
  for (auto _ : state) {
    caller.answered.reset();
    auto txn = alice.invite(o);
    if (!txn) {
      state.SkipWithError("invite refused");
      break;
    }
    pump(wire, alice, bob);
    if (!caller.answered) {
      state.SkipWithError("not answered");
      break;
    }
    (void)alice.bye(*caller.answered);
    pump(wire, alice, bob);
    // Let every transaction timer (M, L, K, J) run out.
    clock.advance(40s);
    alice.on_timer(clock.mono());
    bob.on_timer(clock.mono());
    pump(wire, alice, bob);
  }
  if (alice.size() != 0 || bob.size() != 0 || alice.transactions().size() != 0 ||
      bob.transactions().size() != 0 || caller.ended != callee.ended) {
    state.SkipWithError("state left behind");
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["calls/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DialogCallSetupAndTeardown);

}  // namespace
