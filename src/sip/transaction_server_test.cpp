// Server transactions against virtual time: 100 Trying, retransmission absorption,
// Timers G/H/I/J/L, RFC 6026 Accepted, CANCEL matching, reliable transports.
#include <gtest/gtest.h>

#include <chrono>

#include "sip/transaction_test_support.hpp"

namespace hotline::sip {
namespace {

using namespace std::chrono_literals;
using testing::request_text;
using testing::TuCall;

class ServerTest : public testing::TransactionTest {
 protected:
  // Receives a request and returns the server transaction the TU was given.
  TransactionId incoming(const std::string& text, const Peer& from = testing::udp_peer()) {
    const std::size_t before = tu.count(TuCall::Type::kRequest);
    receive(text, from);
    EXPECT_EQ(tu.count(TuCall::Type::kRequest), before + 1);
    const TuCall* c = tu.last(TuCall::Type::kRequest);
    return c == nullptr ? 0 : c->id;
  }
  void answer(TransactionId id, int status, std::string_view tag = "srv") {
    auto b = layer->response_for(id, status, status < 200 ? "Ringing" : "Final", tag);
    ASSERT_TRUE(b.has_value());
    auto s = layer->respond(id, *b);
    ASSERT_TRUE(s.has_value()) << s.error().describe();
  }
};

TEST_F(ServerTest, InviteGets100TryingAfter200msWhenTheTuIsSilent) {
  const TransactionId id = incoming(request_text("INVITE", "z9hG4bKi1"));
  EXPECT_EQ(layer->state(id), TransactionState::kProceeding);
  advance(199ms);
  EXPECT_TRUE(sender.sent.empty());
  advance(1ms);
  ASSERT_EQ(sender.sent.size(), 1u);
  const Message trying = sender.sent[0].parsed();
  EXPECT_EQ(trying.status_code(), 100);
  EXPECT_EQ(trying.vias()[0].branch(), "z9hG4bKi1");
  EXPECT_FALSE(trying.to().tag().has_value());
}

TEST_F(ServerTest, No100TryingWhenTheTuAnswersFirstOrImmediatelyWhenConfigured) {
  const TransactionId id = incoming(request_text("INVITE", "z9hG4bKi1"));
  answer(id, 180);
  advance(1s);
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.sent[0].parsed().status_code(), 180);

  make_layer([](TransactionConfig& c) { c.invite_trying_delay = Duration::zero(); });
  sender.sent.clear();
  incoming(request_text("INVITE", "z9hG4bKi2"));
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.sent[0].parsed().status_code(), 100);
}

TEST_F(ServerTest, RetransmittedInviteIsAbsorbedAndGetsTheLastProvisional) {
  const std::string invite = request_text("INVITE", "z9hG4bKi1");
  const TransactionId id = incoming(invite);
  receive(invite);  // nothing said yet: silence
  EXPECT_TRUE(sender.sent.empty());
  answer(id, 180);
  receive(invite);
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].bytes, sender.sent[0].bytes);
  EXPECT_EQ(tu.count(TuCall::Type::kRequest), 1u);
  EXPECT_EQ(layer->stats().absorbed, 2u);
}

TEST_F(ServerTest, ErrorResponseRetransmitsWithTimerGUpToT2UntilTimerH) {
  const TransactionId id = incoming(request_text("INVITE", "z9hG4bKi1"));
  answer(id, 486);
  EXPECT_EQ(layer->state(id), TransactionState::kCompleted);
  advance(40s);
  const std::vector<Duration> expected = {0ms,     500ms,   1500ms,  3500ms,  7500ms, 11500ms,
                                          15500ms, 19500ms, 23500ms, 27500ms, 31500ms};
  EXPECT_EQ(send_offsets(), expected);
  for (const auto& s : sender.sent) EXPECT_EQ(s.bytes, sender.sent[0].bytes);
  ASSERT_NE(tu.last(TuCall::Type::kTimeout), nullptr);
  EXPECT_EQ(tu.last(TuCall::Type::kTimeout)->timer, TimerName::kH);
  EXPECT_EQ(tu.last(TuCall::Type::kTimeout)->id, id);
  expect_idle();
}

TEST_F(ServerTest, AckConfirmsStopsTimerGAndTimerIAbsorbsAcks) {
  const std::string invite = request_text("INVITE", "z9hG4bKi1");
  const TransactionId id = incoming(invite);
  answer(id, 404, "t404");
  receive(invite);  // retransmitted INVITE in Completed: the 404 again
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].bytes, sender.sent[0].bytes);
  advance(600ms);  // one G retransmission
  EXPECT_EQ(sender.sent.size(), 3u);

  const std::string ack = request_text("ACK", "z9hG4bKi1", 1, "t404");
  receive(ack);
  EXPECT_EQ(layer->state(id), TransactionState::kConfirmed);
  receive(ack);
  EXPECT_EQ(tu.count(TuCall::Type::kAck), 0u);  // the non-2xx ACK never reaches the TU
  advance(4999ms);
  EXPECT_EQ(sender.sent.size(), 3u);  // G stopped
  EXPECT_EQ(layer->state(id), TransactionState::kConfirmed);
  advance(1ms);
  EXPECT_FALSE(layer->state(id).has_value());
  EXPECT_EQ(tu.count(TuCall::Type::kTimeout), 0u);
  expect_idle();
}

TEST_F(ServerTest, SuccessGoesToAcceptedUntilTimerLAndAcksGoToTheTu) {
  const std::string invite = request_text("INVITE", "z9hG4bKi1");
  const TransactionId id = incoming(invite);
  answer(id, 200);
  EXPECT_EQ(layer->state(id), TransactionState::kAccepted);
  receive(invite);  // absorbed, not re-answered, not passed up
  EXPECT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(tu.count(TuCall::Type::kRequest), 1u);
  // The TU retransmits its 2xx itself; other responses are refused.
  answer(id, 200);
  EXPECT_EQ(sender.sent.size(), 2u);
  auto late = layer->response_for(id, 486, "Busy");
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(layer->respond(id, *late).error().code, ErrorCode::kFailedPrecondition);
  // ACK for the 2xx on a new branch: to the dialog layer, unmatched.
  receive(request_text("ACK", "z9hG4bKack2", 1, "srv"));
  ASSERT_NE(tu.last(TuCall::Type::kAck), nullptr);
  EXPECT_FALSE(tu.last(TuCall::Type::kAck)->ack_for.has_value());
  // An ACK reusing the INVITE's branch matches the Accepted transaction.
  receive(request_text("ACK", "z9hG4bKi1", 1, "srv"));
  EXPECT_EQ(tu.last(TuCall::Type::kAck)->ack_for, id);
  advance(31999ms);
  EXPECT_EQ(layer->state(id), TransactionState::kAccepted);
  advance(1ms);
  expect_idle();
}

TEST_F(ServerTest, NonInviteTryingProceedingCompletedAndTimerJ) {
  const std::string options = request_text("OPTIONS", "z9hG4bKo1");
  const TransactionId id = incoming(options);
  EXPECT_EQ(layer->state(id), TransactionState::kTrying);
  advance(1s);
  receive(options);  // Trying: absorbed in silence, no 100 for non-INVITE
  EXPECT_TRUE(sender.sent.empty());
  answer(id, 183);
  EXPECT_EQ(layer->state(id), TransactionState::kProceeding);
  receive(options);
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].parsed().status_code(), 183);
  answer(id, 200);
  EXPECT_EQ(layer->state(id), TransactionState::kCompleted);
  receive(options);
  ASSERT_EQ(sender.sent.size(), 4u);
  EXPECT_EQ(sender.sent[3].parsed().status_code(), 200);
  auto again = layer->response_for(id, 500, "Oops");
  EXPECT_EQ(layer->respond(id, *again).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(tu.count(TuCall::Type::kRequest), 1u);
  advance(31999ms);
  EXPECT_EQ(layer->state(id), TransactionState::kCompleted);
  advance(1ms);
  expect_idle();
}

TEST_F(ServerTest, ReliableTransportsHaveNoTimerGAndZeroTimersIAndJ) {
  const Peer tcp = testing::tcp_peer();
  const TransactionId inv = incoming(request_text("INVITE", "z9hG4bKi1", 1, "", "TCP"), tcp);
  answer(inv, 480, "t480");
  advance(10s);
  EXPECT_EQ(sender.sent.size(), 1u);  // no G over TCP
  EXPECT_EQ(sender.sent[0].to, tcp);  // answered on the same connection
  receive(request_text("ACK", "z9hG4bKi1", 1, "t480", "TCP"), tcp);
  EXPECT_FALSE(layer->state(inv).has_value());  // I = 0

  const TransactionId opt = incoming(request_text("OPTIONS", "z9hG4bKo1", 1, "", "TCP"), tcp);
  answer(opt, 200);
  EXPECT_FALSE(layer->state(opt).has_value());  // J = 0
  expect_idle();
}

TEST_F(ServerTest, ReliableTimerHStillFires) {
  const Peer tcp = testing::tcp_peer();
  const TransactionId inv = incoming(request_text("INVITE", "z9hG4bKi1", 1, "", "TCP"), tcp);
  answer(inv, 500);
  advance(32s);
  EXPECT_EQ(tu.last(TuCall::Type::kTimeout)->timer, TimerName::kH);
  expect_idle();
}

TEST_F(ServerTest, CancelMatchesThePendingInviteAndIsAnsweredByTheLayer) {
  const TransactionId inv = incoming(request_text("INVITE", "z9hG4bKi1"));
  answer(inv, 180);
  receive(request_text("CANCEL", "z9hG4bKi1"));
  const TuCall* c = tu.last(TuCall::Type::kCancel);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->id, inv);
  EXPECT_NE(c->other, inv);
  EXPECT_EQ(tu.count(TuCall::Type::kRequest), 1u);  // CANCEL is not a new request to the TU
  const Message ok = sender.sent.back().parsed();
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.cseq().method, "CANCEL");
  EXPECT_TRUE(ok.to().tag().has_value());
  EXPECT_EQ(layer->state(c->other), TransactionState::kCompleted);
  // A retransmitted CANCEL gets the same 200.
  const std::size_t before = sender.sent.size();
  receive(request_text("CANCEL", "z9hG4bKi1"));
  EXPECT_EQ(sender.sent.size(), before + 1);
  EXPECT_EQ(sender.sent.back().bytes, sender.sent[before - 1].bytes);
  EXPECT_EQ(tu.count(TuCall::Type::kCancel), 1u);

  answer(inv, 487, "t487");
  receive(request_text("ACK", "z9hG4bKi1", 1, "t487"));
  EXPECT_EQ(layer->state(inv), TransactionState::kConfirmed);
  advance(40s);
  expect_idle();
}

TEST_F(ServerTest, CancelWithoutAMatchGets481AndAfterAFinalOnly200) {
  receive(request_text("CANCEL", "z9hG4bKnothing"));
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.sent[0].parsed().status_code(), 481);
  EXPECT_EQ(tu.count(TuCall::Type::kCancel), 0u);

  const TransactionId inv = incoming(request_text("INVITE", "z9hG4bKi1"));
  answer(inv, 200);
  receive(request_text("CANCEL", "z9hG4bKi1"));
  EXPECT_EQ(sender.sent.back().parsed().status_code(), 200);
  EXPECT_EQ(tu.count(TuCall::Type::kCancel), 0u);  // too late to cancel anything
}

TEST_F(ServerTest, SentByIsPartOfTheKey) {
  incoming(request_text("OPTIONS", "z9hG4bKsame", 1, "", "UDP", "192.0.2.10:5060"));
  incoming(request_text("OPTIONS", "z9hG4bKsame", 1, "", "UDP", "192.0.2.99:5060"));
  EXPECT_EQ(layer->size(), 2u);
}

TEST_F(ServerTest, Rfc2543RequestsMatchWithoutTheMagicCookie) {
  const std::string invite = request_text("INVITE", "");  // no branch at all
  const TransactionId id = incoming(invite);
  answer(id, 180);
  receive(invite);
  EXPECT_EQ(tu.count(TuCall::Type::kRequest), 1u);
  EXPECT_EQ(sender.sent.size(), 2u);  // 180 re-sent
  // A different CSeq is a different transaction.
  incoming(request_text("INVITE", "", 2));
  EXPECT_EQ(layer->size(), 2u);
  // CANCEL matches by the same fields.
  receive(request_text("CANCEL", ""));
  EXPECT_EQ(tu.last(TuCall::Type::kCancel)->id, id);
  answer(id, 487, "legacy");
  // ACK with another To tag is not ours: the TU (dialog) gets it.
  receive(request_text("ACK", "", 1, "other"));
  EXPECT_EQ(layer->state(id), TransactionState::kCompleted);
  EXPECT_EQ(tu.count(TuCall::Type::kAck), 1u);
  receive(request_text("ACK", "", 1, "legacy"));
  EXPECT_EQ(layer->state(id), TransactionState::kConfirmed);
  EXPECT_EQ(tu.count(TuCall::Type::kAck), 1u);
}

TEST_F(ServerTest, Rfc2543AckForA2xxReachesTheTuWithItsInvite) {
  const TransactionId id = incoming(request_text("INVITE", ""));
  answer(id, 200, "ok2xx");
  receive(request_text("ACK", "", 1, "ok2xx"));
  ASSERT_NE(tu.last(TuCall::Type::kAck), nullptr);
  EXPECT_EQ(tu.last(TuCall::Type::kAck)->ack_for, id);
  EXPECT_EQ(layer->state(id), TransactionState::kAccepted);
}

TEST_F(ServerTest, Rfc2543BranchWithoutCookieUsesTheFallbackToo) {
  const std::string invite = request_text("INVITE", "1234old");
  incoming(invite);
  receive(invite);
  EXPECT_EQ(tu.count(TuCall::Type::kRequest), 1u);
  EXPECT_EQ(layer->stats().absorbed, 1u);
}

TEST_F(ServerTest, ResponsesFollowViaAndRport) {
  Peer natted = testing::udp_peer();
  natted.remote = {"203.0.113.5", 40123};
  std::string text = request_text("OPTIONS", "z9hG4bKn1", 1, "", "UDP", "10.0.0.5:5060");
  text.replace(text.find(";branch"), 0, ";rport");
  const TransactionId id = incoming(text, natted);
  answer(id, 200);
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.sent[0].to.remote, (Endpoint{"203.0.113.5", 40123}));
  const Message r = sender.sent[0].parsed();
  EXPECT_EQ(r.vias()[0].received(), "203.0.113.5");
  EXPECT_EQ(r.vias()[0].rport(), "40123");
}

TEST_F(ServerTest, TuMayAnswerInsideOnRequestEvenWhenThatTerminates) {
  tu.on_request_hook = [&](TransactionId id, const Message& request) {
    auto b = layer->response_for(id, 200, "OK", "x");
    ASSERT_TRUE(b.has_value());
    ASSERT_TRUE(layer->respond(id, *b).has_value());
    // The request is still readable after the transaction terminated (TCP, J = 0).
    EXPECT_EQ(request.method(), "OPTIONS");
    EXPECT_FALSE(layer->state(id).has_value());
  };
  receive(request_text("OPTIONS", "z9hG4bKr1", 1, "", "TCP"), testing::tcp_peer());
  EXPECT_EQ(sender.sent.size(), 1u);
  expect_idle();
}

TEST_F(ServerTest, RespondRejectsBadIdsAndNonResponses) {
  const TransactionId id = incoming(request_text("OPTIONS", "z9hG4bKo1"));
  auto ok = layer->response_for(id, 200, "OK");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(layer->respond(999, *ok).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(layer->respond(id, MessageBuilder::response(200, "OK")).error().code,
            ErrorCode::kInvalidArgument);  // no headers: does not parse
  auto not_response = layer->respond(id, testing::parse(request_text("OPTIONS", "z9hG4bKx")));
  EXPECT_EQ(not_response.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(layer->state(id), TransactionState::kTrying);
}

}  // namespace
}  // namespace hotline::sip
