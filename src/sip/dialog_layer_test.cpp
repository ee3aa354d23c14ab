// The dialog layer end to end: two user agents (alice = UAC, bob = UAS) on an
// in-memory network, each a DialogLayer over its own TransactionLayer, on one
// ManualClock. Hostile and proxy-shaped input is injected as raw messages.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>

#include "sip/dialog_test_support.hpp"

namespace hotline::sip {
namespace {

using namespace std::chrono_literals;
using testing::cseq_method_of;
using testing::DialogTest;
using testing::kSdpA;
using testing::kSdpB;
using testing::Packet;
using testing::sdp;
using testing::starts_with;
using testing::UserCall;

class DialogLayerTest : public DialogTest {};

TEST_F(DialogLayerTest, CallSetupAndTeardown) {
  bob.user.on_request_hook = [this](const IncomingRequest& r) {
    EXPECT_FALSE(r.dialog.has_value());
    EXPECT_EQ(r.request.method(), "INVITE");
    EXPECT_EQ(r.request.body(), kSdpA);
    auto early = bob.layer->respond(r.txn, Reply{180, "Ringing", {}, {}});
    ASSERT_TRUE(early.has_value());
    ASSERT_TRUE(early->has_value());
    const DialogState* d = bob.layer->find(**early);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->phase, DialogPhase::kEarly);
    EXPECT_EQ(d->offer, OfferState::kRemoteOffer);
  };
  auto txn = alice.layer->invite(invite_to_bob());
  ASSERT_TRUE(txn.has_value());
  net.pump();
  // Alice has an early dialog from the 180.
  ASSERT_NE(alice.user.last(UserCall::Type::kResponse), nullptr);
  const UserCall ringing = *alice.user.last(UserCall::Type::kResponse);
  EXPECT_EQ(ringing.status, 180);
  ASSERT_TRUE(ringing.dialog.has_value());
  const DialogState* a = alice.layer->find(*ringing.dialog);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->phase, DialogPhase::kEarly);
  EXPECT_EQ(a->role, DialogRole::kUac);

  // Bob answers 200 with his SDP: both dialogs confirmed, Alice ACKs by herself.
  ASSERT_NE(bob.user.last_request("INVITE"), nullptr);
  const UserCall inv = *bob.user.last_request("INVITE");
  Reply ok;
  ok.content = sdp(kSdpB);
  auto bd = bob.layer->respond(inv.txn, ok);
  ASSERT_TRUE(bd.has_value() && bd->has_value());
  net.pump();
  const UserCall* answered = alice.user.last(UserCall::Type::kResponse);
  ASSERT_EQ(answered->status, 200);
  EXPECT_EQ(answered->dialog, ringing.dialog);
  EXPECT_EQ(answered->body, kSdpB);
  ASSERT_EQ(bob.user.count(UserCall::Type::kAck), 1u);

  a = alice.layer->find(*ringing.dialog);
  const DialogState* b = bob.layer->find(**bd);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->phase, DialogPhase::kConfirmed);
  EXPECT_EQ(b->phase, DialogPhase::kConfirmed);
  EXPECT_EQ(a->call_id, b->call_id);
  EXPECT_EQ(a->local_tag, b->remote_tag);
  EXPECT_EQ(a->remote_tag, b->local_tag);
  EXPECT_EQ(a->offer, OfferState::kStable);
  EXPECT_EQ(b->offer, OfferState::kStable);
  EXPECT_EQ(a->remote_target, "sip:ua@192.0.2.2:5060");
  EXPECT_EQ(b->remote_target, "sip:ua@192.0.2.1:5060");
  EXPECT_EQ(b->remote_seq, a->local_seq);
  EXPECT_EQ(alice.layer->lookup(a->call_id, a->local_tag, a->remote_tag), ringing.dialog);

  // The ACK is a new transaction with the INVITE's CSeq number.
  const Packet* ack = nullptr;
  for (const Packet& p : alice.sender.sent)
    if (starts_with(p.bytes, "ACK ")) ack = &p;
  ASSERT_NE(ack, nullptr);
  const Message ackm = ack->parsed();
  EXPECT_EQ(ackm.cseq().number, *a->local_seq);
  EXPECT_EQ(ackm.request_uri().text, "sip:ua@192.0.2.2:5060");
  EXPECT_EQ(ackm.to().tag(), a->remote_tag);

  // Alice hangs up: Bob answers 200 himself and both sides learn why.
  const DialogId alice_dialog = *ringing.dialog;
  const DialogId bob_dialog = **bd;
  auto bye = alice.layer->bye(alice_dialog);
  ASSERT_TRUE(bye.has_value());
  EXPECT_NE(*bye, 0u);
  net.pump();
  const UserCall* bob_end = bob.user.last(UserCall::Type::kTerminated);
  ASSERT_NE(bob_end, nullptr);
  EXPECT_EQ(bob_end->dialog, bob_dialog);
  EXPECT_EQ(bob_end->reason, TerminationReason::kRemoteBye);
  const UserCall* alice_end = alice.user.last(UserCall::Type::kTerminated);
  ASSERT_NE(alice_end, nullptr);
  EXPECT_EQ(alice_end->dialog, alice_dialog);
  EXPECT_EQ(alice_end->reason, TerminationReason::kLocalBye);
  EXPECT_EQ(bob.user.count(UserCall::Type::kTerminated), 1u);
  EXPECT_EQ(alice.user.count(UserCall::Type::kTerminated), 1u);
  EXPECT_EQ(alice.layer->find(alice_dialog), nullptr);
  // Nothing is left once the transaction timers have run out.
  advance(64 * 500ms);
  expect_idle(alice);
  expect_idle(bob);
  EXPECT_EQ(bob.layer->stats().ok_retransmissions, 0u);
}

TEST_F(DialogLayerTest, InDialogRequestsPassThroughWithIncreasingCSeq) {
  auto [ad, bd] = establish();
  ASSERT_NE(ad, 0u);
  auto_answer(bob, false);
  auto_answer(alice, false);
  std::vector<std::uint32_t> cseqs;
  for (const char* method : {"INFO", "OPTIONS", "NOTIFY", "REFER", "MESSAGE"}) {
    Content c;
    c.body = "x";
    c.content_type = "text/plain";
    c.headers.push_back({"Event", "refer"});
    auto txn = alice.layer->request(ad, method, c);
    ASSERT_TRUE(txn.has_value()) << method;
    net.pump();
    const UserCall* seen = bob.user.last_request(method);
    ASSERT_NE(seen, nullptr) << method;
    EXPECT_EQ(seen->dialog, bd);
    EXPECT_EQ(seen->body, "x");
    const UserCall* answer = alice.user.last(UserCall::Type::kResponse);
    EXPECT_EQ(answer->txn, *txn);
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->dialog, ad);
    cseqs.push_back(*alice.layer->find(ad)->local_seq);
  }
  for (std::size_t i = 1; i < cseqs.size(); ++i) EXPECT_EQ(cseqs[i], cseqs[i - 1] + 1);
  EXPECT_EQ(bob.layer->find(bd)->remote_seq, cseqs.back());
  // Bob's side starts its own CSeq space.
  ASSERT_TRUE(bob.layer->request(bd, "INFO").has_value());
  net.pump();
  EXPECT_EQ(alice.user.last_request("INFO")->dialog, ad);
  EXPECT_EQ(alice.layer->find(ad)->remote_seq, bob.layer->find(bd)->local_seq);
  // BYE, ACK and CANCEL have their own calls.
  EXPECT_FALSE(alice.layer->request(ad, "BYE").has_value());
  EXPECT_FALSE(alice.layer->request(ad, "ACK").has_value());
  EXPECT_FALSE(alice.layer->request(999, "INFO").has_value());
}

}  // namespace
}  // namespace hotline::sip
