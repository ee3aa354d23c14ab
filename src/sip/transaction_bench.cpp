// Transaction layer throughput on virtual time: a whole non-INVITE server
// transaction over UDP (parse the request, match/create, TU answers 200 via
// response_for, Timer J expires) and a whole INVITE client transaction (send,
// 180, 200, Timer M). Messages are parsed inside the loop, as in the server.
//   build/<dir>/src/sip/sip_bench --benchmark_filter=Transaction
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "sip/transaction_layer.hpp"

namespace {

using namespace hotline;
using namespace hotline::sip;
using namespace std::chrono_literals;

class NullSender final : public MessageSender {
 public:
  void send(const Peer&, std::string bytes) override { last = std::move(bytes); }
  std::string last;
};

class AnsweringTu final : public TransactionUser {
 public:
  TransactionLayer* layer = nullptr;
  void on_request(TransactionId id, const Message&, const Peer&) override {
    auto r = layer->response_for(id, 200, "OK", "b1");
    if (r) (void)layer->respond(id, *r);
  }
  void on_response(TransactionId, const Message&) override {}
  void on_cancel(TransactionId, TransactionId, const Message&) override {}
  void on_ack(std::optional<TransactionId>, const Message&, const Peer&) override {}
  void on_timeout(TransactionId, TimerName, const Message&) override {}
  void on_transport_error(TransactionId) override {}
  void on_terminated(TransactionId) override {}
};

TransactionConfig config() {
  TransactionConfig c;
  c.random = [n = std::uint64_t{1}]() mutable { return n = n * 6364136223846793005ULL + 1; };
  c.max_transactions = 1'000'000;
  return c;
}

const Peer kPeer{TransportType::kUdp, {"192.0.2.10", 5060}, {"192.0.2.1", 5060}, 0};

std::string options(std::uint64_t n) {
  return "OPTIONS sip:5000@192.0.2.1 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK" +
         std::to_string(n) +
         ";rport\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:1001@pbx.example.com>;tag=a1\r\n"
         "To: <sip:5000@pbx.example.com>\r\n"
         "Call-ID: bench-" +
         std::to_string(n) +
         "@192.0.2.10\r\n"
         "CSeq: 1 OPTIONS\r\n"
         "Content-Length: 0\r\n\r\n";
}

void BM_TransactionServerNonInviteUdp(benchmark::State& state) {
  ManualClock clock;
  NullSender sender;
  AnsweringTu tu;
  TransactionLayer layer(sender, tu, clock, config());
  tu.layer = &layer;
  std::uint64_t n = 0;
  for (auto _ : state) {
    auto m = parse_message(options(++n));
    layer.on_message(std::move(*m), kPeer);
    // Expire Timer J every 1024 transactions so the table stays realistic.
    if ((n & 1023) == 0) {
      clock.advance(33s);
      layer.on_timer(clock.mono());
    }
  }
  benchmark::DoNotOptimize(sender.last);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TransactionServerNonInviteUdp);

void BM_TransactionClientInviteUdp(benchmark::State& state) {
  ManualClock clock;
  NullSender sender;
  AnsweringTu tu;
  TransactionLayer layer(sender, tu, clock, config());
  tu.layer = &layer;
  MessageBuilder invite = MessageBuilder::request("INVITE", "sip:carol@192.0.2.10");
  invite.add_header("Max-Forwards", "70")
      .add_header("From", "<sip:hotline@192.0.2.1>;tag=h1")
      .add_header("To", "<sip:carol@192.0.2.10>")
      .add_header("Call-ID", "out-1@192.0.2.1")
      .add_header("CSeq", "1 INVITE");
  std::uint64_t n = 0;
  for (auto _ : state) {
    auto id = layer.send_request(invite, kPeer);
    auto sent = parse_message(sender.last);
    for (int status : {180, 200}) {
      MessageBuilder r = make_local_response(*sent, status, "R");
      r.set_header("To", "<sip:carol@192.0.2.10>;tag=c1");
      auto parsed = r.build();
      layer.on_message(std::move(*parsed), kPeer);
    }
    benchmark::DoNotOptimize(id);
    if ((++n & 1023) == 0) {
      clock.advance(33s);
      layer.on_timer(clock.mono());
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TransactionClientInviteUdp);

}  // namespace
