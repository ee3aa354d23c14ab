// Client transactions against virtual time: retransmit schedules, timeouts, ACK for
// non-2xx, RFC 6026 Accepted, CANCEL, reliable-transport timer differences.
#include <gtest/gtest.h>

#include <chrono>

#include "sip/transaction_test_support.hpp"

namespace hotline::sip {
namespace {

using namespace std::chrono_literals;
using testing::TuCall;

class ClientTest : public testing::TransactionTest {
 protected:
  TransactionId send(std::string_view method, const Peer& to = testing::udp_peer()) {
    auto id = layer->send_request(testing::outgoing(method), to);
    EXPECT_TRUE(id.has_value()) << (id ? "" : id.error().describe());
    return id.value_or(0);
  }
};

TEST_F(ClientTest, InviteTimerADoublesWithoutCapUntilTimerB) {
  const TransactionId id = send("INVITE");
  EXPECT_EQ(layer->state(id), TransactionState::kCalling);
  advance(40s);
  const std::vector<Duration> expected = {0ms, 500ms, 1500ms, 3500ms, 7500ms, 15500ms, 31500ms};
  EXPECT_EQ(send_offsets(), expected);
  ASSERT_NE(tu.last(TuCall::Type::kTimeout), nullptr);
  EXPECT_EQ(tu.last(TuCall::Type::kTimeout)->timer, TimerName::kB);
  EXPECT_EQ(tu.last(TuCall::Type::kTimeout)->status, 408);
  EXPECT_EQ(tu.last(TuCall::Type::kTimeout)->id, id);
  EXPECT_EQ(layer->stats().timeouts, 1u);
  EXPECT_EQ(layer->stats().retransmissions, 6u);
  EXPECT_FALSE(layer->state(id).has_value());
  expect_idle();
}

TEST_F(ClientTest, TimerBFiresAt64T1WithConfiguredT1) {
  make_layer([](TransactionConfig& c) { c.t1 = 100ms; });
  send("INVITE");
  advance(6399ms);
  EXPECT_EQ(tu.count(TuCall::Type::kTimeout), 0u);
  advance(1ms);
  EXPECT_EQ(tu.count(TuCall::Type::kTimeout), 1u);
  expect_idle();
}

TEST_F(ClientTest, ProvisionalStopsInviteRetransmissionsAndTimerB) {
  const TransactionId id = send("INVITE");
  advance(100ms);
  receive(response_to_sent(0, 180));
  EXPECT_EQ(layer->state(id), TransactionState::kProceeding);
  ASSERT_NE(tu.last(TuCall::Type::kResponse), nullptr);
  EXPECT_EQ(tu.last(TuCall::Type::kResponse)->status, 180);
  advance(120s);
  EXPECT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(tu.count(TuCall::Type::kTimeout), 0u);
  EXPECT_EQ(layer->state(id), TransactionState::kProceeding);
}

TEST_F(ClientTest, NonSuccessFinalIsAckedInTheTransactionAndRetransmissionsReAcked) {
  const TransactionId id = send("INVITE");
  receive(response_to_sent(0, 100));
  receive(response_to_sent(0, 486, "busy1"));
  EXPECT_EQ(layer->state(id), TransactionState::kCompleted);
  ASSERT_EQ(sender.sent.size(), 2u);
  const Message invite = sender.sent[0].parsed();
  const Message ack = sender.sent[1].parsed();
  EXPECT_EQ(ack.method(), "ACK");
  EXPECT_EQ(ack.cseq().method, "ACK");
  EXPECT_EQ(ack.cseq().number, invite.cseq().number);
  EXPECT_EQ(ack.vias().size(), 1u);
  EXPECT_EQ(ack.vias()[0].branch(), invite.vias()[0].branch());
  EXPECT_EQ(ack.to().tag(), "busy1");
  EXPECT_EQ(ack.request_uri().text, invite.request_uri().text);
  EXPECT_EQ(tu.count(TuCall::Type::kResponse), 2u);

  // The 486 again: ACK again, the TU hears nothing new.
  advance(1s);
  receive(response_to_sent(0, 486, "busy1"));
  ASSERT_EQ(sender.sent.size(), 3u);
  EXPECT_EQ(sender.sent[2].bytes, sender.sent[1].bytes);
  EXPECT_EQ(tu.count(TuCall::Type::kResponse), 2u);
  EXPECT_EQ(layer->stats().absorbed, 1u);

  // Timer D: 32 s over UDP.
  advance(30s);
  EXPECT_EQ(layer->state(id), TransactionState::kCompleted);
  advance(1s);
  EXPECT_FALSE(layer->state(id).has_value());
  expect_idle();
}

TEST_F(ClientTest, SuccessGoesToAcceptedAndEvery2xxReachesTheTuUntilTimerM) {
  const TransactionId id = send("INVITE");
  receive(response_to_sent(0, 200));
  EXPECT_EQ(layer->state(id), TransactionState::kAccepted);
  receive(response_to_sent(0, 200));
  EXPECT_EQ(tu.count(TuCall::Type::kResponse), 2u);
  // No ACK from the transaction: the 2xx ACK is the dialog's.
  EXPECT_EQ(sender.sent.size(), 1u);
  receive(response_to_sent(0, 180));  // late provisional: absorbed
  EXPECT_EQ(tu.count(TuCall::Type::kResponse), 2u);
  advance(31999ms);
  EXPECT_EQ(layer->state(id), TransactionState::kAccepted);
  advance(1ms);
  EXPECT_FALSE(layer->state(id).has_value());
  receive(response_to_sent(0, 200));  // after M: stray
  EXPECT_EQ(layer->stats().stray_responses, 1u);
  expect_idle();
}

TEST_F(ClientTest, ReliableInviteHasNoTimerAAndZeroTimerD) {
  const TransactionId id = send("INVITE", testing::tcp_peer());
  advance(10s);
  EXPECT_EQ(sender.sent.size(), 1u);
  receive(response_to_sent(0, 603), testing::tcp_peer());
  EXPECT_EQ(sender.sent.size(), 2u);  // the ACK
  EXPECT_FALSE(layer->state(id).has_value());
  expect_idle();
}

TEST_F(ClientTest, ReliableInviteStillTimesOutWithTimerB) {
  send("INVITE", testing::tcp_peer());
  advance(32s);
  EXPECT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(tu.count(TuCall::Type::kTimeout), 1u);
  expect_idle();
}

TEST_F(ClientTest, NonInviteTimerEDoublesUpToT2UntilTimerF) {
  const TransactionId id = send("OPTIONS");
  EXPECT_EQ(layer->state(id), TransactionState::kTrying);
  advance(40s);
  const std::vector<Duration> expected = {0ms,     500ms,   1500ms,  3500ms,  7500ms, 11500ms,
                                          15500ms, 19500ms, 23500ms, 27500ms, 31500ms};
  EXPECT_EQ(send_offsets(), expected);
  ASSERT_NE(tu.last(TuCall::Type::kTimeout), nullptr);
  EXPECT_EQ(tu.last(TuCall::Type::kTimeout)->timer, TimerName::kF);
  EXPECT_EQ(tu.last(TuCall::Type::kTimeout)->method, "OPTIONS");
  expect_idle();
}

TEST_F(ClientTest, NonInviteProceedingRetransmitsEveryT2) {
  const TransactionId id = send("REGISTER");
  advance(200ms);
  receive(response_to_sent(0, 100));
  EXPECT_EQ(layer->state(id), TransactionState::kProceeding);
  advance(10s);
  // E armed in Trying still fires at 0.5 s; from then on every T2.
  const std::vector<Duration> expected = {0ms, 500ms, 4500ms, 8500ms};
  EXPECT_EQ(send_offsets(), expected);
}

TEST_F(ClientTest, NonInviteFinalCompletesAndTimerKAbsorbsRetransmissions) {
  const TransactionId id = send("OPTIONS");
  receive(response_to_sent(0, 200));
  EXPECT_EQ(layer->state(id), TransactionState::kCompleted);
  receive(response_to_sent(0, 200));
  EXPECT_EQ(tu.count(TuCall::Type::kResponse), 1u);
  EXPECT_EQ(layer->stats().absorbed, 1u);
  advance(4999ms);
  EXPECT_EQ(layer->state(id), TransactionState::kCompleted);
  EXPECT_EQ(sender.sent.size(), 1u);  // E stopped
  advance(1ms);
  expect_idle();
  EXPECT_EQ(tu.last(TuCall::Type::kTerminated)->id, id);
}

TEST_F(ClientTest, ReliableNonInviteHasNoTimerEAndZeroTimerK) {
  const TransactionId id = send("OPTIONS", testing::tcp_peer());
  advance(5s);
  EXPECT_EQ(sender.sent.size(), 1u);
  receive(response_to_sent(0, 404), testing::tcp_peer());
  EXPECT_EQ(tu.count(TuCall::Type::kResponse), 1u);
  EXPECT_FALSE(layer->state(id).has_value());
  expect_idle();
}

TEST_F(ClientTest, CancelNeedsAProvisionalAndIsItsOwnTransactionOnTheSameBranch) {
  const TransactionId invite = send("INVITE");
  auto early = layer->cancel(invite);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().code, ErrorCode::kFailedPrecondition);

  receive(response_to_sent(0, 180));
  auto cancel = layer->cancel(invite);
  ASSERT_TRUE(cancel.has_value()) << cancel.error().describe();
  EXPECT_NE(*cancel, invite);
  EXPECT_EQ(layer->kind(*cancel), TransactionKind::kNonInviteClient);
  ASSERT_EQ(sender.sent.size(), 2u);
  const Message inv = sender.sent[0].parsed();
  const Message can = sender.sent[1].parsed();
  EXPECT_EQ(can.method(), "CANCEL");
  EXPECT_EQ(can.cseq().number, inv.cseq().number);
  EXPECT_EQ(can.cseq().method, "CANCEL");
  EXPECT_EQ(can.vias()[0].branch(), inv.vias()[0].branch());
  EXPECT_EQ(can.request_uri().text, inv.request_uri().text);

  // 200 to the CANCEL goes to the CANCEL transaction, 487 to the INVITE.
  receive(response_to_sent(1, 200));
  EXPECT_EQ(layer->state(*cancel), TransactionState::kCompleted);
  EXPECT_EQ(layer->state(invite), TransactionState::kProceeding);
  receive(response_to_sent(0, 487));
  EXPECT_EQ(layer->state(invite), TransactionState::kCompleted);
  EXPECT_EQ(sender.sent.back().parsed().method(), "ACK");
  EXPECT_EQ(tu.last(TuCall::Type::kResponse)->status, 487);
  EXPECT_EQ(tu.last(TuCall::Type::kResponse)->id, invite);
  EXPECT_EQ(layer->cancel(invite).error().code, ErrorCode::kFailedPrecondition);
  advance(40s);
  expect_idle();
}

TEST_F(ClientTest, BranchesComeFromTheInjectedRandomSource) {
  send("OPTIONS");
  const std::string first(*sender.sent[0].parsed().vias()[0].branch());
  EXPECT_TRUE(first.starts_with("z9hG4bK"));
  EXPECT_GT(first.size(), 20u);
  // The same seed gives the same branch; another seed another.
  sender.sent.clear();
  make_layer();
  send("OPTIONS");
  EXPECT_EQ(*sender.sent[0].parsed().vias()[0].branch(), first);
  sender.sent.clear();
  seed = 7;
  make_layer();
  send("OPTIONS");
  EXPECT_NE(*sender.sent[0].parsed().vias()[0].branch(), first);
}

TEST_F(ClientTest, ViaCarriesTransportAndSentBy) {
  send("OPTIONS", testing::tcp_peer());
  const Message m = sender.sent[0].parsed();
  ASSERT_EQ(m.vias().size(), 1u);
  EXPECT_EQ(m.vias()[0].transport, "TCP");
  EXPECT_EQ(m.vias()[0].host, "192.0.2.1");
  EXPECT_EQ(m.vias()[0].port, 5060);
  EXPECT_TRUE(m.vias()[0].rport().has_value());
  make_layer([](TransactionConfig& c) { c.via_sent_by = "pbx.example.com:5080"; });
  send("OPTIONS");
  EXPECT_EQ(sender.sent.back().parsed().vias()[0].host, "pbx.example.com");
}

TEST_F(ClientTest, RefusesAckUnbranchedAndDuplicateRequests) {
  auto ack = layer->send_request(testing::outgoing("ACK"), testing::udp_peer());
  ASSERT_FALSE(ack.has_value());
  EXPECT_EQ(ack.error().code, ErrorCode::kInvalidArgument);

  auto legacy = layer->send_request(testing::parse(testing::request_text("OPTIONS", "old-branch")),
                                    testing::udp_peer());
  ASSERT_FALSE(legacy.has_value());
  EXPECT_EQ(legacy.error().code, ErrorCode::kInvalidArgument);

  const std::string text = testing::request_text("OPTIONS", "z9hG4bKfixed");
  ASSERT_TRUE(layer->send_request(testing::parse(text), testing::udp_peer()).has_value());
  auto dup = layer->send_request(testing::parse(text), testing::udp_peer());
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(layer->size(), 1u);
}

TEST_F(ClientTest, ResponsesMatchOnBranchAndCSeqMethod) {
  const TransactionId id = send("OPTIONS");
  // Same branch, different CSeq method: not this transaction.
  std::string wrong = response_to_sent(0, 200);
  const auto pos = wrong.find("1 OPTIONS");
  ASSERT_NE(pos, std::string::npos);
  wrong.replace(pos, 9, "1 INFO");
  receive(wrong);
  EXPECT_EQ(layer->state(id), TransactionState::kTrying);
  EXPECT_EQ(layer->stats().stray_responses, 1u);
  EXPECT_EQ(tu.count(TuCall::Type::kResponse), 0u);
}

TEST_F(ClientTest, TransportFailureEndsTheTransactionsOfThatPeer) {
  const TransactionId a = send("INVITE", testing::tcp_peer());
  const TransactionId b = send("OPTIONS");
  layer->transport_failed(testing::tcp_peer());
  EXPECT_EQ(tu.last(TuCall::Type::kTransportError)->id, a);
  EXPECT_EQ(tu.count(TuCall::Type::kTransportError), 1u);
  EXPECT_FALSE(layer->state(a).has_value());
  EXPECT_EQ(layer->state(b), TransactionState::kTrying);
  EXPECT_EQ(layer->stats().transport_errors, 1u);
}

TEST_F(ClientTest, EventsCarryTransactionIds) {
  std::vector<TransactionEvent> events;
  layer->set_event_sink([&](const TransactionEvent& e) { events.push_back(e); });
  const TransactionId id = send("OPTIONS");
  advance(600ms);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].type, TransactionEvent::Type::kCreated);
  EXPECT_EQ(events[0].id, id);
  EXPECT_EQ(events[0].method, "OPTIONS");
  EXPECT_EQ(events[1].type, TransactionEvent::Type::kRetransmitted);
  EXPECT_EQ(events[1].timer, TimerName::kE);
  EXPECT_EQ(events[1].id, id);
}

}  // namespace
}  // namespace hotline::sip
