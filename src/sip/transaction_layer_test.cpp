// Layer-wide properties: matching keys, the cap on live transactions, nothing left
// behind, and a seeded random walk over every input that must neither crash nor leak.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>

#include "sip/transaction_test_support.hpp"

namespace hotline::sip {
namespace {

using namespace std::chrono_literals;
using testing::parse;
using testing::request_text;
using testing::TuCall;

TEST(TransactionKey, AckAndCancelFindTheirInviteAndMethodsSeparate) {
  const Message invite = parse(request_text("INVITE", "z9hG4bKk1"));
  const Message ack = parse(request_text("ACK", "z9hG4bKk1", 1, "tag"));
  const Message cancel = parse(request_text("CANCEL", "z9hG4bKk1"));
  EXPECT_EQ(server_key(invite, "INVITE"), server_key(ack, "INVITE"));
  EXPECT_EQ(server_key(invite, "INVITE"), server_key(cancel, "INVITE"));
  EXPECT_NE(server_key(invite, "INVITE"), server_key(cancel, "CANCEL"));
  // Host names compare case-insensitively, branches do not.
  EXPECT_EQ(
      server_key(parse(request_text("BYE", "z9hG4bKk1", 1, "", "UDP", "Host.EXAMPLE")), "BYE"),
      server_key(parse(request_text("BYE", "z9hG4bKk1", 1, "", "UDP", "host.example")), "BYE"));
  EXPECT_NE(server_key(parse(request_text("BYE", "z9hG4bKk1")), "BYE"),
            server_key(parse(request_text("BYE", "z9hG4bKK1")), "BYE"));
}

TEST(TransactionKey, LegacyKeyUsesDialogFieldsAndIgnoresTheToTag) {
  const Message a = parse(request_text("INVITE", "old", 5));
  const Message b = parse(request_text("ACK", "old", 5, "their-tag"));
  const Message c = parse(request_text("INVITE", "old", 6));
  EXPECT_FALSE(has_rfc3261_branch(a.vias()[0]));
  EXPECT_EQ(server_key(a, "INVITE"), server_key(b, "INVITE"));
  EXPECT_NE(server_key(a, "INVITE"), server_key(c, "INVITE"));
  // The bare cookie is not an RFC 3261 branch.
  EXPECT_FALSE(has_rfc3261_branch(parse(request_text("INVITE", "z9hG4bK")).vias()[0]));
}

TEST(TransactionKey, ClientKeyIsBranchAndCSeqMethod) {
  const Message r = parse(request_text("INVITE", "z9hG4bKc1"));
  EXPECT_EQ(client_key(r), "C|z9hG4bKc1|INVITE");
  EXPECT_FALSE(client_key(parse(request_text("INVITE", ""))).has_value());
}

class LayerTest : public testing::TransactionTest {};

TEST_F(LayerTest, OverTheCapNewRequestsGet503WithRetryAfter) {
  make_layer([](TransactionConfig& c) {
    c.max_transactions = 2;
    c.retry_after_seconds = 9;
  });
  const std::string first = request_text("INVITE", "z9hG4bKa");
  receive(first);
  receive(request_text("OPTIONS", "z9hG4bKb"));
  EXPECT_EQ(layer->size(), 2u);
  receive(request_text("OPTIONS", "z9hG4bKc"));
  EXPECT_EQ(layer->size(), 2u);
  EXPECT_EQ(tu.count(TuCall::Type::kRequest), 2u);
  ASSERT_EQ(sender.sent.size(), 1u);
  const Message busy = sender.sent[0].parsed();
  EXPECT_EQ(busy.status_code(), 503);
  EXPECT_EQ(busy.header("Retry-After"), "9");
  EXPECT_TRUE(busy.to().tag().has_value());
  EXPECT_EQ(layer->stats().overloaded, 1u);
  // Retransmissions of live transactions are still absorbed, not refused.
  receive(first);
  EXPECT_EQ(layer->stats().overloaded, 1u);
  // The TU cannot start client transactions either.
  auto out = layer->send_request(testing::outgoing("OPTIONS"), testing::udp_peer());
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code, ErrorCode::kResourceExhausted);
  // Room comes back when a transaction ends.
  const TransactionId options = tu.calls[1].id;
  auto ok = layer->response_for(options, 200, "OK", "t");
  ASSERT_TRUE(layer->respond(options, *ok).has_value());
  advance(32s);
  EXPECT_EQ(layer->size(), 1u);
  receive(request_text("OPTIONS", "z9hG4bKd"));
  EXPECT_EQ(tu.count(TuCall::Type::kRequest), 3u);
}

TEST_F(LayerTest, DropPolicySaysNothing) {
  make_layer([](TransactionConfig& c) {
    c.max_transactions = 1;
    c.overload = OverloadPolicy::kDrop;
  });
  receive(request_text("OPTIONS", "z9hG4bKa"));
  receive(request_text("OPTIONS", "z9hG4bKb"));
  EXPECT_TRUE(sender.sent.empty());
  EXPECT_EQ(layer->stats().overloaded, 1u);
  EXPECT_EQ(tu.count(TuCall::Type::kRequest), 1u);
}

TEST_F(LayerTest, RequestsWithoutAnswersNeverLeaveTimersBehind) {
  // Each machine run to its end; counters and indexes must be empty afterwards.
  auto options = layer->send_request(testing::outgoing("OPTIONS"), testing::udp_peer());
  auto invite = layer->send_request(testing::outgoing("INVITE"), testing::udp_peer());
  ASSERT_TRUE(options && invite);
  receive(request_text("INVITE", "z9hG4bKs1"));
  const TransactionId srv = tu.last(TuCall::Type::kRequest)->id;
  auto busy = layer->response_for(srv, 486, "Busy", "t");
  ASSERT_TRUE(layer->respond(srv, *busy).has_value());
  advance(5min);
  expect_idle();
  EXPECT_EQ(layer->stats().terminated,
            layer->stats().client_created + layer->stats().server_created);
  EXPECT_EQ(tu.count(TuCall::Type::kTerminated), 3u);
}

// A seeded random walk: random requests (new, retransmitted, colliding, legacy),
// responses, CANCELs, ACKs, transport failures and time jumps, with the TU
// answering at random, some of it from inside callbacks. Afterwards every
// transaction is driven to a final answer and time runs out: nothing may remain.
TEST_F(LayerTest, RandomWalkNeitherCrashesNorLeaks) {
  for (std::uint64_t run = 1; run <= 5; ++run) {
    seed = run;
    sender.sent.clear();
    tu.calls.clear();
    make_layer([](TransactionConfig& c) { c.max_transactions = 40; });
    std::mt19937_64 rng(run * 7919);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    const char* methods[] = {"INVITE", "OPTIONS", "REGISTER", "CANCEL", "ACK", "BYE", "INFO"};
    const char* branches[] = {"z9hG4bK1", "z9hG4bK2", "z9hG4bK3", "z9hG4bK4", "z9hG4bK5",
                              "z9hG4bK6", "legacy1",  "",         "z9hG4bK7", "z9hG4bK8"};
    std::map<TransactionId, std::size_t> ours;  // client transaction → index of its request
    std::set<TransactionId> terminated;
    tu.on_request_hook = [&](TransactionId id, const Message&) {
      if (rng() % 3 == 0) {
        auto r = layer->response_for(id, 100 + static_cast<int>(rng() % 600), "R", "h");
        if (r) (void)layer->respond(id, *r);
      }
    };
    for (int step = 0; step < 3000; ++step) {
      const Peer from = rng() % 4 == 0 ? testing::tcp_peer() : testing::udp_peer();
      const char* transport = from.transport == TransportType::kTcp ? "TCP" : "UDP";
      switch (pick(8)) {
        case 0:
        case 1:
          receive(
              request_text(methods[pick(7)], branches[pick(10)],
                           static_cast<std::uint32_t>(1 + pick(3)), pick(2) ? "" : "h", transport),
              from);
          break;
        case 2: {
          if (tu.calls.empty()) break;
          const TuCall& c = tu.calls[pick(tu.calls.size())];
          auto r = layer->response_for(c.id, 100 + static_cast<int>(rng() % 600), "R", "h");
          if (r) (void)layer->respond(c.id, *r);
          break;
        }
        case 3: {
          auto id = layer->send_request(testing::outgoing(methods[pick(7)]), from);
          if (id) ours[*id] = sender.sent.size() - 1;
          break;
        }
        case 4: {
          if (ours.empty()) break;
          auto it = std::next(ours.begin(), static_cast<std::ptrdiff_t>(pick(ours.size())));
          const int statuses[] = {100, 180, 200, 404, 487, 503};
          receive(response_to_sent(it->second, statuses[pick(6)]), from);
          if (rng() % 4 == 0) {
            auto cancel = layer->cancel(it->first);
            if (cancel) ours[*cancel] = sender.sent.size() - 1;
          }
          break;
        }
        case 5: advance(std::chrono::milliseconds(rng() % 3000)); break;
        case 6:
          if (rng() % 10 == 0) layer->transport_failed(testing::tcp_peer());
          break;
        default: advance(std::chrono::milliseconds(rng() % 50)); break;
      }
      ASSERT_LE(layer->size(), 40u);
    }
    // Wind down: finals for every server transaction and every client one still
    // waiting (an INVITE client in Proceeding waits for its final forever).
    tu.on_request_hook = nullptr;
    for (const TuCall& c : tu.calls) {
      if (c.type != TuCall::Type::kRequest) continue;
      auto r = layer->response_for(c.id, 500, "Done", "h");
      if (r) (void)layer->respond(c.id, *r);
    }
    for (const auto& [id, index] : ours) {
      if (layer->state(id)) receive(response_to_sent(index, 500));
    }
    advance(10min);
    expect_idle();
    const auto& s = layer->stats();
    EXPECT_EQ(s.terminated, s.client_created + s.server_created) << "run " << run;
    for (const TuCall& c : tu.calls) {
      if (c.type != TuCall::Type::kTerminated) continue;
      EXPECT_TRUE(terminated.insert(c.id).second) << "terminated twice: " << c.id;
    }
    EXPECT_EQ(terminated.size(), s.terminated);
    // The walk must reach every path it claims to exercise.
    for (std::uint64_t counter :
         {s.client_created, s.server_created, s.absorbed, s.retransmissions, s.timeouts,
          s.overloaded, s.stray_responses, s.unmatched, s.transport_errors}) {
      EXPECT_GT(counter, 0u) << "run " << run;
    }
  }
}

}  // namespace
}  // namespace hotline::sip
