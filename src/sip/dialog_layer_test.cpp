// The dialog layer end to end: two user agents (alice = UAC, bob = UAS) on an
// in-memory network, each a DialogLayer over its own TransactionLayer, on one
// ManualClock. Hostile and proxy-shaped input is injected as raw messages.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
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
using testing::Ua;
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

// ---- Raw input, as a third party (carol at 192.0.2.10) or a proxy would send it.

const Peer kCarol{TransportType::kUdp, {"192.0.2.10", 5060}, {"192.0.2.2", 5060}, 0};

std::string raw_request(std::string_view method, std::string_view call_id,
                        std::string_view from_tag, std::string_view to_tag, std::uint32_t cseq,
                        std::string_view extra = "", std::string_view body = "") {
  static int branch = 0;
  std::string from = "<sip:carol@example.com>";
  if (!from_tag.empty()) from += ";tag=" + std::string(from_tag);
  std::string to = "<sip:bob@example.com>";
  if (!to_tag.empty()) to += ";tag=" + std::string(to_tag);
  std::string text = std::string(method) + " sip:bob@192.0.2.2 SIP/2.0\r\n" +
                     "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKraw" +
                     std::to_string(++branch) + "\r\n" + "Max-Forwards: 70\r\n" + "From: " + from +
                     "\r\n" + "To: " + to + "\r\n" + "Call-ID: " + std::string(call_id) + "\r\n" +
                     "CSeq: " + std::to_string(cseq) + " " + std::string(method) + "\r\n" +
                     std::string(extra);
  if (!body.empty()) text += "Content-Type: application/sdp\r\n";
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  return text;
}

Message parse(const std::string& text) {
  auto m = parse_message(text);
  EXPECT_TRUE(m.has_value()) << text;
  return std::move(*m);
}

// Responses `ua` sent for requests of `method`, in order.
std::vector<Message> responses(const testing::Ua& ua, std::string_view method) {
  std::vector<Message> out;
  for (const Packet& p : ua.sender.sent) {
    if (starts_with(p.bytes, "SIP/2.0 ") && cseq_method_of(p.bytes) == method) {
      out.push_back(p.parsed());
    }
  }
  return out;
}
std::vector<const Packet*> requests(const testing::Ua& ua, std::string_view method) {
  std::vector<const Packet*> out;
  for (const Packet& p : ua.sender.sent) {
    if (starts_with(p.bytes, std::string(method) + " ")) out.push_back(&p);
  }
  return out;
}

// A request inside dialog `d` as its peer would send it (the peer's view is the
// mirror image: our remote tag is its local tag).
Message mirror_request(const DialogState& d, std::string_view method, std::uint32_t cseq,
                       std::string_view contact = "", std::string_view body = "") {
  static int branch = 0;
  DialogState peer;
  peer.call_id = d.call_id;
  peer.local_party = d.remote_party;
  peer.remote_party = d.local_party;
  peer.remote_target = "sip:x@192.0.2.99";
  MessageBuilder b = peer.make_request(method, cseq);
  b.prepend_header("Via",
                   "SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKmirror" + std::to_string(++branch));
  if (!contact.empty()) b.add_header("Contact", std::string(contact));
  if (!body.empty()) {
    b.add_header("Content-Type", "application/sdp");
    b.set_body(std::string(body));
  }
  auto m = b.build();
  EXPECT_TRUE(m.has_value());
  return std::move(*m);
}

TEST_F(DialogLayerTest, Lost2xxIsRetransmittedAndEachRetransmissionIsAcked) {
  int oks = 0;
  net.drop = [&oks](const std::string& bytes) {
    return starts_with(bytes, "SIP/2.0 200") && cseq_method_of(bytes) == "INVITE" && ++oks == 1;
  };
  bob.user.on_request_hook = [this](const IncomingRequest& r) {
    Reply ok;
    ok.content = sdp(kSdpB);
    if (!r.dialog) {
      EXPECT_TRUE(bob.layer->respond(r.txn, ok).has_value());
    }
  };
  ASSERT_TRUE(alice.layer->invite(invite_to_bob()).has_value());
  net.pump();
  EXPECT_EQ(alice.user.count(UserCall::Type::kResponse), 0u);
  EXPECT_EQ(bob.user.count(UserCall::Type::kAck), 0u);
  advance(500ms);  // Bob's first retransmission, T1 after the 2xx
  EXPECT_EQ(bob.layer->stats().ok_retransmissions, 1u);
  EXPECT_EQ(alice.user.count(UserCall::Type::kResponse), 1u);
  EXPECT_EQ(bob.user.count(UserCall::Type::kAck), 1u);
  advance(10s);  // the ACK stopped the retransmissions
  EXPECT_EQ(bob.layer->stats().ok_retransmissions, 1u);
  EXPECT_EQ(bob.layer->size(), 1u);
}

TEST_F(DialogLayerTest, UnackedTwoHundredBacksOffToT2AndEndsWithByeAfter64T1) {
  net.drop = [](const std::string& bytes) { return starts_with(bytes, "ACK "); };
  auto [ad, bd] = std::pair<DialogId, DialogId>{0, 0};
  bob.user.on_request_hook = [this, &bd](const IncomingRequest& r) {
    if (r.dialog) return;
    Reply ok;
    ok.content = sdp(kSdpB);
    auto d = bob.layer->respond(r.txn, ok);
    ASSERT_TRUE(d.has_value() && d->has_value());
    bd = **d;
  };
  ASSERT_TRUE(alice.layer->invite(invite_to_bob()).has_value());
  net.pump();
  ASSERT_NE(bd, 0u);
  ad = *alice.user.last(UserCall::Type::kResponse)->dialog;
  advance(40s);
  std::vector<Duration> offsets;
  for (const Packet& p : bob.sender.sent) {
    if (starts_with(p.bytes, "SIP/2.0 200") && cseq_method_of(p.bytes) == "INVITE") {
      offsets.push_back(p.at - start);
    }
  }
  // Sent at 0, then T1, 2T1, 4T1, then every T2 (4 s) until 64*T1 = 32 s.
  const std::vector<Duration> expected = {0ms,     500ms,   1500ms,  3500ms,  7500ms, 11500ms,
                                          15500ms, 19500ms, 23500ms, 27500ms, 31500ms};
  EXPECT_EQ(offsets, expected);
  // Alice ACKed every retransmission (the network lost them all).
  EXPECT_EQ(alice.layer->stats().ack_retransmissions, expected.size() - 1);
  // Bob gave up at 32 s: BYE, and both sides ended.
  const auto byes = requests(bob, "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0]->at - start, 32s);
  ASSERT_NE(bob.user.last(UserCall::Type::kTerminated), nullptr);
  EXPECT_EQ(bob.user.last(UserCall::Type::kTerminated)->reason, TerminationReason::kNoAck);
  EXPECT_EQ(bob.user.count(UserCall::Type::kAck), 0u);
  ASSERT_NE(alice.user.last(UserCall::Type::kTerminated), nullptr);
  EXPECT_EQ(alice.user.last(UserCall::Type::kTerminated)->dialog, ad);
  EXPECT_EQ(alice.user.last(UserCall::Type::kTerminated)->reason, TerminationReason::kRemoteBye);
  EXPECT_EQ(bob.layer->stats().no_ack, 1u);
  advance(64s);
  expect_idle(alice);
  expect_idle(bob);
}

class ForkTest : public DialogTest {
 protected:
  // Alice's INVITE goes to a forking proxy at 192.0.2.9 that the test plays.
  TransactionId send_invite() {
    OutgoingInvite o = invite_to_bob();
    o.destination = Peer{TransportType::kUdp, {"192.0.2.9", 5060}, uac->endpoint, 0};
    auto txn = uac->layer->invite(o);
    EXPECT_TRUE(txn.has_value());
    invite_bytes = uac->sender.sent.back().bytes;
    return *txn;
  }
  void answer(int status, std::string_view tag, std::string_view contact,
              std::string_view record_route = "", std::string_view body = "") {
    const Message invite = parse(invite_bytes);
    MessageBuilder b = make_local_response(invite, status, status < 200 ? "Ringing" : "Answer");
    b.set_header("To", unfold(*invite.header(HeaderId::kTo)) + ";tag=" + std::string(tag));
    if (!contact.empty()) b.add_header("Contact", std::string(contact));
    if (!record_route.empty()) b.add_header("Record-Route", std::string(record_route));
    if (!body.empty()) {
      b.add_header("Content-Type", "application/sdp");
      b.set_body(std::string(body));
    }
    uac->layer->on_message(parse(b.serialize()),
                           Peer{TransportType::kUdp, {"192.0.2.9", 5060}, uac->endpoint, 0});
  }
  std::string invite_bytes;
  Ua* uac = &alice;
};

TEST_F(ForkTest, EachForkHasAnEarlyDialogFirst2xxWinsOthersAreReleased) {
  const TransactionId txn = send_invite();
  answer(180, "b1", "<sip:b1@192.0.2.21>");
  answer(183, "b2", "<sip:b2@192.0.2.22>");
  answer(180, "b3", "<sip:b3@192.0.2.23>");
  answer(180, "b1", "<sip:b1@192.0.2.21>");  // the same fork again: same dialog
  const auto provisional = alice.user.of(UserCall::Type::kResponse);
  ASSERT_EQ(provisional.size(), 4u);
  std::set<DialogId> early;
  for (const auto& c : provisional) early.insert(*c.dialog);
  EXPECT_EQ(early.size(), 3u);
  EXPECT_EQ(provisional[0].dialog, provisional[3].dialog);
  EXPECT_EQ(alice.layer->size(), 3u);

  // Fork b1 answers through two record-routing proxies.
  answer(200, "b1", "<sip:b1@192.0.2.21>", "<sip:192.0.2.31;lr>, <sip:192.0.2.32;lr>", kSdpB);
  const UserCall ok = *alice.user.last(UserCall::Type::kResponse);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.dialog, provisional[0].dialog);
  const DialogState* d = alice.layer->find(*ok.dialog);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->phase, DialogPhase::kConfirmed);
  ASSERT_EQ(d->routes.size(), 2u);
  EXPECT_EQ(d->routes[0].uri, "sip:192.0.2.32;lr");  // reversed for the UAC
  // The ACK follows the route set: first hop 192.0.2.32, Request-URI the Contact.
  auto acks = requests(alice, "ACK");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->to.remote, (Endpoint{"192.0.2.32", 5060}));
  const Message ack = acks[0]->parsed();
  EXPECT_EQ(ack.request_uri().text, "sip:b1@192.0.2.21");
  auto routes = ack.routes();
  ASSERT_TRUE(routes.has_value());
  ASSERT_EQ(routes->size(), 2u);
  EXPECT_EQ((*routes)[0].uri.text, "sip:192.0.2.32;lr");
  EXPECT_EQ((*routes)[1].uri.text, "sip:192.0.2.31;lr");
  EXPECT_EQ(ack.cseq().number, parse(invite_bytes).cseq().number);

  // A retransmission of that 2xx is ACKed again and not reported.
  answer(200, "b1", "<sip:b1@192.0.2.21>", "<sip:192.0.2.31;lr>, <sip:192.0.2.32;lr>", kSdpB);
  EXPECT_EQ(requests(alice, "ACK").size(), 2u);
  EXPECT_EQ(alice.layer->stats().ack_retransmissions, 1u);
  EXPECT_EQ(alice.user.count(UserCall::Type::kResponse), 5u);

  // Fork b2 answers too: ACKed and released with BYE, straight to its Contact.
  answer(200, "b2", "<sip:b2@192.0.2.22>", "", kSdpB);
  EXPECT_EQ(alice.user.count(UserCall::Type::kResponse), 5u);
  EXPECT_EQ(requests(alice, "ACK").size(), 3u);
  auto byes = requests(alice, "BYE");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0]->to.remote, (Endpoint{"192.0.2.22", 5060}));
  EXPECT_EQ(byes[0]->parsed().to().tag(), "b2");
  EXPECT_EQ(alice.layer->stats().forked_extra, 1u);

  // When the INVITE transaction ends (Timer M), b3's early dialog goes; the BYE
  // to b2 times out and ends that dialog; b1 stays.
  advance(40s);
  std::map<DialogId, TerminationReason> ended;
  for (const auto& c : alice.user.of(UserCall::Type::kTerminated)) ended[*c.dialog] = c.reason;
  EXPECT_EQ(ended.size(), 2u);
  EXPECT_EQ(ended[*provisional[2].dialog], TerminationReason::kEarlyAbandoned);
  EXPECT_EQ(ended[*provisional[1].dialog], TerminationReason::kForkedExtra);
  EXPECT_EQ(alice.layer->size(), 1u);
  EXPECT_NE(alice.layer->find(*ok.dialog), nullptr);
  (void)txn;
}

TEST_F(ForkTest, NonTwoHundredFinalEndsEveryEarlyDialog) {
  send_invite();
  answer(180, "b1", "<sip:b1@192.0.2.21>");
  answer(180, "b2", "<sip:b2@192.0.2.22>");
  EXPECT_EQ(alice.layer->size(), 2u);
  answer(486, "b2", "");
  EXPECT_EQ(alice.user.last(UserCall::Type::kResponse)->status, 486);
  EXPECT_FALSE(alice.user.last(UserCall::Type::kResponse)->dialog.has_value());
  const auto ended = alice.user.of(UserCall::Type::kTerminated);
  ASSERT_EQ(ended.size(), 2u);
  for (const auto& c : ended) EXPECT_EQ(c.reason, TerminationReason::kRejected);
  EXPECT_EQ(alice.layer->size(), 0u);
  // The transaction layer ACKed the 486 itself.
  EXPECT_EQ(requests(alice, "ACK").size(), 1u);
  advance(40s);
  expect_idle(alice);
}

TEST_F(ForkTest, ForksBeyondTheCapGetNoDialog) {
  Ua capped{net, clock, Endpoint{"192.0.2.5", 5060}, 7, [](DialogConfig& c) { c.max_forks = 2; }};
  uac = &capped;
  send_invite();
  answer(180, "b1", "<sip:b1@192.0.2.21>");
  answer(180, "b2", "<sip:b2@192.0.2.22>");
  answer(180, "b3", "<sip:b3@192.0.2.23>");
  EXPECT_EQ(capped.layer->size(), 2u);
  const auto seen = capped.user.of(UserCall::Type::kResponse);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_FALSE(seen[2].dialog.has_value());  // reported, but no state kept
  // The 2xx from a fork without an early dialog still makes one (it must be ACKed).
  answer(200, "b3", "<sip:b3@192.0.2.23>");
  EXPECT_EQ(capped.layer->size(), 3u);
  EXPECT_EQ(requests(capped, "ACK").size(), 1u);
}

TEST_F(DialogLayerTest, UasCopiesRecordRouteAndAddressesAStrictRouter) {
  DialogId bd = 0;
  bob.user.on_request_hook = [this, &bd](const IncomingRequest& r) {
    if (r.dialog) return;
    auto d = bob.layer->respond(r.txn, Reply{});
    ASSERT_TRUE(d.has_value() && d->has_value());
    bd = **d;
  };
  bob.layer->on_message(parse(raw_request("INVITE", "rr-1", "c1", "", 1,
                                          "Record-Route: <sip:192.0.2.40>\r\n"
                                          "Record-Route: <sip:192.0.2.41;lr>\r\n"
                                          "Contact: <sip:carol@192.0.2.10:5062>\r\n")),
                        kCarol);
  ASSERT_NE(bd, 0u);
  const auto oks = responses(bob, "INVITE");
  ASSERT_EQ(oks.size(), 1u);
  auto rr = oks[0].record_routes();
  ASSERT_TRUE(rr.has_value());
  ASSERT_EQ(rr->size(), 2u);
  EXPECT_EQ((*rr)[0].uri.text, "sip:192.0.2.40");
  EXPECT_EQ(oks[0].contacts().entries.size(), 1u);
  const std::string tag(*oks[0].to().tag());
  bob.layer->on_message(parse(raw_request("ACK", "rr-1", "c1", tag, 1)), kCarol);
  EXPECT_EQ(bob.user.count(UserCall::Type::kAck), 1u);

  // The first hop is a strict router: it goes in the Request-URI, the remote
  // target goes last in Route (§12.2.1.1).
  ASSERT_TRUE(bob.layer->request(bd, "INFO").has_value());
  auto infos = requests(bob, "INFO");
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0]->to.remote, (Endpoint{"192.0.2.40", 5060}));
  const Message info = infos[0]->parsed();
  EXPECT_EQ(info.request_uri().text, "sip:192.0.2.40");
  auto routes = info.routes();
  ASSERT_TRUE(routes.has_value());
  ASSERT_EQ(routes->size(), 2u);
  EXPECT_EQ((*routes)[0].uri.text, "sip:192.0.2.41;lr");
  EXPECT_EQ((*routes)[1].uri.text, "sip:carol@192.0.2.10:5062");
  EXPECT_EQ(info.from().tag(), tag);
  EXPECT_EQ(info.to().tag(), "c1");
}

TEST_F(DialogLayerTest, TargetRefreshUpdatesTheRemoteTargetBothWays) {
  auto [ad, bd] = establish();
  ASSERT_NE(ad, 0u);
  // Bob re-INVITEs from a new Contact: Alice's remote target follows (§12.2.2).
  auto_answer(alice, true, sdp(kSdpA));
  const DialogState* a = alice.layer->find(ad);
  alice.layer->on_message(mirror_request(*a, "INVITE", 1000, "<sip:bob@192.0.2.2:5070>", kSdpB),
                          Peer{TransportType::kUdp, bob.endpoint, alice.endpoint, 0});
  EXPECT_EQ(alice.layer->find(ad)->remote_target, "sip:bob@192.0.2.2:5070");
  EXPECT_EQ(alice.layer->find(ad)->offer, OfferState::kStable);
  alice.layer->on_message(mirror_request(*a, "ACK", 1000),
                          Peer{TransportType::kUdp, bob.endpoint, alice.endpoint, 0});
  EXPECT_EQ(alice.user.count(UserCall::Type::kAck), 1u);
  ASSERT_TRUE(alice.layer->request(ad, "INFO").has_value());
  EXPECT_EQ(alice.sender.sent.back().to.remote, (Endpoint{"192.0.2.2", 5070}));
  EXPECT_EQ(alice.sender.sent.back().parsed().request_uri().text, "sip:bob@192.0.2.2:5070");

  (void)bd;
}

TEST_F(DialogLayerTest, UacTargetRefreshFromTheTwoHundredOfAReInvite) {
  auto [ad, bd] = establish();
  ASSERT_NE(ad, 0u);
  bob.user.on_request_hook = [this](const IncomingRequest& r) {
    Reply ok;
    ok.contact = "<sip:bob@192.0.2.2:5060;ob>";
    ok.content = sdp(kSdpB);
    if (r.dialog) {
      EXPECT_TRUE(bob.layer->respond(r.txn, ok).has_value());
    }
  };
  ASSERT_TRUE(alice.layer->request(ad, "INVITE", sdp(kSdpA)).has_value());
  EXPECT_EQ(alice.layer->find(ad)->offer, OfferState::kLocalOffer);
  net.pump();
  EXPECT_EQ(alice.layer->find(ad)->remote_target, "sip:bob@192.0.2.2:5060;ob");
  EXPECT_EQ(alice.layer->find(ad)->offer, OfferState::kStable);
  EXPECT_EQ(bob.layer->find(bd)->offer, OfferState::kStable);
  EXPECT_EQ(bob.user.count(UserCall::Type::kAck), 2u);
  // The ACK for the re-INVITE carries the re-INVITE's CSeq.
  auto acks = requests(alice, "ACK");
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1]->parsed().cseq().number, *alice.layer->find(ad)->local_seq);
}

TEST_F(DialogLayerTest, RemoteCSeqLowerThanLastSeenGets500) {
  auto [ad, bd] = establish();
  ASSERT_NE(ad, 0u);
  auto_answer(bob, false);
  const DialogState* b = bob.layer->find(bd);
  const std::uint32_t last = *b->remote_seq;
  const Peer from_alice{TransportType::kUdp, alice.endpoint, bob.endpoint, 0};
  bob.layer->on_message(mirror_request(*b, "INFO", last - 1), from_alice);
  auto infos = responses(bob, "INFO");
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].status_code(), 500);
  EXPECT_EQ(bob.user.count(UserCall::Type::kRequest), 1u);  // only the INVITE
  EXPECT_EQ(bob.layer->stats().cseq_out_of_order, 1u);
  bob.layer->on_message(mirror_request(*b, "INFO", last + 5), from_alice);
  infos = responses(bob, "INFO");
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[1].status_code(), 200);
  EXPECT_EQ(bob.layer->find(bd)->remote_seq, last + 5);
}

TEST_F(DialogLayerTest, ReInviteGlareGets491AndTheRetryTimersOfSection14) {
  auto [ad, bd] = establish();
  ASSERT_NE(ad, 0u);
  auto_answer(alice, true, sdp(kSdpA));
  ASSERT_TRUE(alice.layer->request(ad, "INVITE", sdp(kSdpA)).has_value());
  ASSERT_TRUE(bob.layer->request(bd, "INVITE", sdp(kSdpB)).has_value());
  // Neither may start another while its own is pending.
  EXPECT_FALSE(alice.layer->request(ad, "INVITE").has_value());
  net.pump();
  const UserCall a491 = *alice.user.last(UserCall::Type::kResponse);
  const UserCall b491 = *bob.user.last(UserCall::Type::kResponse);
  EXPECT_EQ(a491.status, 491);
  EXPECT_EQ(b491.status, 491);
  // Alice chose the Call-ID: 2.1–4 s; Bob: 0–2 s.
  ASSERT_TRUE(a491.glare_retry.has_value());
  ASSERT_TRUE(b491.glare_retry.has_value());
  EXPECT_GE(*a491.glare_retry, 2100ms);
  EXPECT_LE(*a491.glare_retry, 4000ms);
  EXPECT_LE(*b491.glare_retry, 2000ms);
  EXPECT_EQ(alice.layer->stats().glare, 1u);
  EXPECT_EQ(bob.layer->stats().glare, 1u);
  // The rejected offers are rolled back.
  EXPECT_EQ(alice.layer->find(ad)->offer, OfferState::kStable);
  EXPECT_EQ(bob.layer->find(bd)->offer, OfferState::kStable);

  // Bob's timer fires first; he retries and Alice (auto-answering) accepts.
  bob.user.on_glare_hook = [this, bd](DialogId d, std::string_view method) {
    EXPECT_EQ(d, bd);
    EXPECT_EQ(method, "INVITE");
    EXPECT_TRUE(bob.layer->request(d, "INVITE", sdp(kSdpB)).has_value());
  };
  advance(*b491.glare_retry);
  EXPECT_EQ(bob.user.count(UserCall::Type::kGlare), 1u);
  EXPECT_EQ(alice.user.count(UserCall::Type::kGlare), 0u);
  EXPECT_EQ(bob.user.last(UserCall::Type::kResponse)->status, 200);
  EXPECT_EQ(bob.layer->find(bd)->offer, OfferState::kStable);
  advance(*a491.glare_retry);
  EXPECT_EQ(alice.user.count(UserCall::Type::kGlare), 1u);
}

TEST_F(DialogLayerTest, ReInviteWhileTheirsIsPendingGets500WithRetryAfter) {
  auto [ad, bd] = establish();
  ASSERT_NE(ad, 0u);
  ASSERT_TRUE(bob.layer->request(bd, "INVITE", sdp(kSdpB)).has_value());
  net.pump();  // Alice's user does not answer yet
  const UserCall reinvite = *alice.user.last_request("INVITE");
  EXPECT_EQ(reinvite.dialog, ad);
  EXPECT_EQ(alice.layer->find(ad)->offer, OfferState::kRemoteOffer);
  EXPECT_FALSE(alice.layer->request(ad, "INVITE").has_value());
  EXPECT_FALSE(alice.layer->request(ad, "UPDATE", sdp(kSdpA)).has_value());
  // A second INVITE from Bob's side while the first is unanswered: 500 + Retry-After.
  const DialogState* a = alice.layer->find(ad);
  alice.layer->on_message(mirror_request(*a, "INVITE", *a->remote_seq + 1, "", kSdpB),
                          Peer{TransportType::kUdp, bob.endpoint, alice.endpoint, 0});
  auto answers = responses(alice, "INVITE");
  ASSERT_FALSE(answers.empty());
  EXPECT_EQ(answers.back().status_code(), 500);
  auto retry = answers.back().header("Retry-After");
  ASSERT_TRUE(retry.has_value());
  EXPECT_LE(std::stoi(std::string(*retry)), 10);
  EXPECT_EQ(alice.layer->stats().retry_later, 1u);
  // Answering the first one works as usual.
  Reply ok;
  ok.content = sdp(kSdpA);
  ASSERT_TRUE(alice.layer->respond(reinvite.txn, ok).has_value());
  net.pump();
  EXPECT_EQ(alice.user.count(UserCall::Type::kAck), 1u);
  EXPECT_EQ(alice.layer->find(ad)->offer, OfferState::kStable);
}

TEST_F(DialogLayerTest, UpdateOfferGlareAndPendingOfferPerRfc3311) {
  auto [ad, bd] = establish();
  ASSERT_NE(ad, 0u);
  ASSERT_TRUE(alice.layer->request(ad, "UPDATE", sdp(kSdpA)).has_value());
  ASSERT_TRUE(bob.layer->request(bd, "UPDATE", sdp(kSdpB)).has_value());
  net.pump();
  EXPECT_EQ(alice.user.last(UserCall::Type::kResponse)->status, 491);
  EXPECT_EQ(bob.user.last(UserCall::Type::kResponse)->status, 491);
  EXPECT_EQ(alice.layer->find(ad)->offer, OfferState::kStable);

  // An UPDATE with an offer while we owe an answer to theirs: 500 + Retry-After.
  ASSERT_TRUE(bob.layer->request(bd, "UPDATE", sdp(kSdpB)).has_value());
  net.pump();
  const UserCall update = *alice.user.last_request("UPDATE");
  EXPECT_EQ(alice.layer->find(ad)->offer, OfferState::kRemoteOffer);
  const DialogState* a = alice.layer->find(ad);
  alice.layer->on_message(mirror_request(*a, "UPDATE", *a->remote_seq + 1, "", kSdpB),
                          Peer{TransportType::kUdp, bob.endpoint, alice.endpoint, 0});
  EXPECT_EQ(responses(alice, "UPDATE").back().status_code(), 500);
  EXPECT_TRUE(responses(alice, "UPDATE").back().header("Retry-After").has_value());
  // An UPDATE without a body is no offer and passes.
  auto_answer(alice, false);
  alice.layer->on_message(mirror_request(*a, "UPDATE", *a->remote_seq + 2),
                          Peer{TransportType::kUdp, bob.endpoint, alice.endpoint, 0});
  EXPECT_EQ(responses(alice, "UPDATE").back().status_code(), 200);
  // The answer in the 2xx settles the first one; its 2xx carries our Contact.
  Reply ok;
  ok.content = sdp(kSdpA);
  ASSERT_TRUE(alice.layer->respond(update.txn, ok).has_value());
  EXPECT_EQ(alice.layer->find(ad)->offer, OfferState::kStable);
  EXPECT_EQ(responses(alice, "UPDATE").back().contacts().entries.size(), 1u);
  net.pump();
  EXPECT_EQ(bob.layer->find(bd)->offer, OfferState::kStable);
}

TEST_F(DialogLayerTest, DelayedOfferTheAnswerGoesInTheUsersAck) {
  bob.user.on_request_hook = [this](const IncomingRequest& r) {
    Reply ok;
    ok.content = sdp(kSdpB);  // the offer, since the INVITE had none
    if (!r.dialog) {
      EXPECT_TRUE(bob.layer->respond(r.txn, ok).has_value());
    }
  };
  ASSERT_TRUE(alice.layer->invite(invite_to_bob(Content{})).has_value());
  net.pump();
  const UserCall ok = *alice.user.last(UserCall::Type::kResponse);
  ASSERT_EQ(ok.status, 200);
  ASSERT_TRUE(ok.dialog.has_value());
  EXPECT_EQ(alice.layer->find(*ok.dialog)->offer, OfferState::kRemoteOffer);
  EXPECT_TRUE(requests(alice, "ACK").empty());  // the user owes the answer
  // Bob retransmits meanwhile; no ACK goes out until the user gives the answer.
  advance(600ms);
  EXPECT_TRUE(requests(alice, "ACK").empty());
  ASSERT_TRUE(alice.layer->ack(*ok.dialog, sdp(kSdpA)).has_value());
  EXPECT_EQ(alice.layer->find(*ok.dialog)->offer, OfferState::kStable);
  net.pump();
  ASSERT_EQ(bob.user.count(UserCall::Type::kAck), 1u);
  EXPECT_EQ(bob.user.last(UserCall::Type::kAck)->body, kSdpA);
  EXPECT_EQ(bob.layer->find(*bob.user.last(UserCall::Type::kAck)->dialog)->offer,
            OfferState::kStable);
  EXPECT_FALSE(alice.layer->ack(*ok.dialog).has_value());  // nothing left to ACK
}

TEST_F(DialogLayerTest, DeferredAckWaitsForTheUser) {
  bob.user.on_request_hook = [this](const IncomingRequest& r) {
    Reply ok;
    ok.content = sdp(kSdpB);
    if (!r.dialog) {
      EXPECT_TRUE(bob.layer->respond(r.txn, ok).has_value());
    }
  };
  OutgoingInvite o = invite_to_bob();
  o.defer_ack = true;
  ASSERT_TRUE(alice.layer->invite(o).has_value());
  net.pump();
  const UserCall ok = *alice.user.last(UserCall::Type::kResponse);
  EXPECT_EQ(alice.layer->find(*ok.dialog)->offer, OfferState::kStable);
  EXPECT_TRUE(requests(alice, "ACK").empty());
  ASSERT_TRUE(alice.layer->ack(*ok.dialog).has_value());
  net.pump();
  EXPECT_EQ(bob.user.count(UserCall::Type::kAck), 1u);
}

TEST_F(DialogLayerTest, CancelEndsTheEarlyDialogOnBothSides) {
  bob.user.on_request_hook = [this](const IncomingRequest& r) {
    if (!r.dialog) {
      EXPECT_TRUE(bob.layer->respond(r.txn, Reply{180, "Ringing", {}, {}}));
    }
  };
  auto txn = alice.layer->invite(invite_to_bob());
  ASSERT_TRUE(txn.has_value());
  net.pump();
  EXPECT_EQ(alice.layer->size(), 1u);
  EXPECT_EQ(bob.layer->size(), 1u);
  ASSERT_TRUE(alice.layer->cancel(*txn).has_value());
  net.pump();
  EXPECT_EQ(bob.user.count(UserCall::Type::kCancelled), 1u);
  EXPECT_EQ(bob.user.last(UserCall::Type::kTerminated)->reason, TerminationReason::kCancelled);
  EXPECT_EQ(alice.user.last(UserCall::Type::kResponse)->status, 487);
  EXPECT_EQ(alice.user.last(UserCall::Type::kTerminated)->reason, TerminationReason::kCancelled);
  EXPECT_EQ(alice.layer->size(), 0u);
  EXPECT_EQ(bob.layer->size(), 0u);
  // The user's late answer is refused.
  EXPECT_FALSE(bob.layer->respond(bob.user.last_request("INVITE")->txn, Reply{}).has_value());
  advance(64s);
  expect_idle(alice);
  expect_idle(bob);
}

TEST_F(DialogLayerTest, CancelBeforeAnyProvisionalWaitsForTheFirstOne) {
  auto txn = alice.layer->invite(invite_to_bob());
  ASSERT_TRUE(txn.has_value());
  ASSERT_TRUE(alice.layer->cancel(*txn).has_value());  // nothing heard yet
  net.pump();
  EXPECT_TRUE(requests(alice, "CANCEL").empty());
  advance(300ms);  // Bob's transaction layer sends 100 Trying after 200 ms
  EXPECT_EQ(requests(alice, "CANCEL").size(), 1u);
  EXPECT_EQ(bob.user.count(UserCall::Type::kCancelled), 1u);
  EXPECT_EQ(alice.user.last(UserCall::Type::kResponse)->status, 487);
}

TEST_F(DialogLayerTest, ByeInAnEarlyDialogAnswersThePendingInviteWith487) {
  bob.user.on_request_hook = [this](const IncomingRequest& r) {
    if (!r.dialog) {
      EXPECT_TRUE(bob.layer->respond(r.txn, Reply{180, "Ringing", {}, {}}));
    }
  };
  ASSERT_TRUE(alice.layer->invite(invite_to_bob()).has_value());
  net.pump();
  const DialogId early = *alice.user.last(UserCall::Type::kResponse)->dialog;
  const DialogId bob_early =
      *bob.layer->lookup(alice.layer->find(early)->call_id, alice.layer->find(early)->remote_tag,
                         alice.layer->find(early)->local_tag);
  // The callee ends an early dialog by answering, not with BYE.
  EXPECT_FALSE(bob.layer->bye(bob_early).has_value());
  ASSERT_TRUE(alice.layer->bye(early).has_value());
  net.pump();
  EXPECT_EQ(responses(bob, "BYE").back().status_code(), 200);
  EXPECT_EQ(responses(bob, "INVITE").back().status_code(), 487);
  EXPECT_EQ(bob.user.last(UserCall::Type::kTerminated)->reason, TerminationReason::kRemoteBye);
  EXPECT_EQ(alice.user.count(UserCall::Type::kTerminated), 1u);
  EXPECT_EQ(alice.user.last(UserCall::Type::kResponse)->status, 487);
  EXPECT_EQ(alice.layer->size(), 0u);
  EXPECT_EQ(bob.layer->size(), 0u);
}

TEST_F(DialogLayerTest, CalleeByeWaitsForTheAck) {
  bob.user.on_request_hook = [this](const IncomingRequest& r) {
    if (r.dialog) return;
    auto d = bob.layer->respond(r.txn, Reply{});
    ASSERT_TRUE(d.has_value() && d->has_value());
    auto bye = bob.layer->bye(**d);
    ASSERT_TRUE(bye.has_value());
    EXPECT_EQ(*bye, 0u);  // deferred until the ACK
    EXPECT_TRUE(requests(bob, "BYE").empty());
  };
  ASSERT_TRUE(alice.layer->invite(invite_to_bob()).has_value());
  net.pump();
  EXPECT_EQ(bob.user.count(UserCall::Type::kAck), 1u);
  ASSERT_EQ(requests(bob, "BYE").size(), 1u);
  EXPECT_EQ(alice.user.last(UserCall::Type::kTerminated)->reason, TerminationReason::kRemoteBye);
  EXPECT_EQ(bob.user.last(UserCall::Type::kTerminated)->reason, TerminationReason::kLocalBye);
}

TEST_F(DialogLayerTest, Answer481EndsTheDialog) {
  auto [ad, bd] = establish();
  ASSERT_NE(ad, 0u);
  bob.layer->terminate(bd);  // Bob forgets the call
  EXPECT_EQ(bob.user.last(UserCall::Type::kTerminated)->reason, TerminationReason::kShutdown);
  ASSERT_TRUE(alice.layer->request(ad, "INFO").has_value());
  net.pump();
  EXPECT_EQ(alice.user.last(UserCall::Type::kResponse)->status, 481);
  EXPECT_EQ(alice.user.last(UserCall::Type::kTerminated)->reason, TerminationReason::kGone);
  EXPECT_EQ(alice.layer->find(ad), nullptr);
}

TEST_F(DialogLayerTest, InDialogTimeoutEndsTheDialog) {
  auto [ad, bd] = establish();
  ASSERT_NE(ad, 0u);
  net.drop = [](const std::string&) { return true; };
  ASSERT_TRUE(alice.layer->request(ad, "OPTIONS").has_value());
  advance(33s);
  const UserCall* timeout = alice.user.last(UserCall::Type::kResponse);
  ASSERT_NE(timeout, nullptr);
  EXPECT_EQ(timeout->status, 408);
  EXPECT_TRUE(timeout->timeout);
  EXPECT_EQ(alice.user.last(UserCall::Type::kTerminated)->reason, TerminationReason::kGone);
  (void)bd;
}

TEST_F(DialogLayerTest, RequestsOutsideDialogsGoToTheUser) {
  bob.user.on_request_hook = [this](const IncomingRequest& r) {
    EXPECT_FALSE(r.dialog.has_value());
    if (r.request.method() == "REGISTER") {
      // A registrar may answer through the transaction layer itself.
      auto b = bob.layer->transactions().response_for(r.txn, 401, "Unauthorized", "reg");
      ASSERT_TRUE(b.has_value());
      b->add_header("WWW-Authenticate", "Digest realm=\"x\", nonce=\"n\"");
      EXPECT_TRUE(bob.layer->transactions().respond(r.txn, *b).has_value());
      return;
    }
    EXPECT_TRUE(bob.layer->respond(r.txn, Reply{}).has_value());
  };
  bob.layer->on_message(parse(raw_request("OPTIONS", "o-1", "c1", "", 1)), kCarol);
  bob.layer->on_message(parse(raw_request("REGISTER", "o-2", "c1", "", 1)), kCarol);
  ASSERT_EQ(bob.user.count(UserCall::Type::kRequest), 2u);
  EXPECT_EQ(responses(bob, "REGISTER").back().status_code(), 401);
  auto ok = responses(bob, "OPTIONS");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].status_code(), 200);
  EXPECT_TRUE(ok[0].to().tag().has_value());
  EXPECT_EQ(bob.layer->size(), 0u);
  // And the user can send its own, whose responses come back without a dialog.
  MessageBuilder ping = MessageBuilder::request("OPTIONS", "sip:bob@192.0.2.2");
  ping.add_header("Max-Forwards", "70");
  ping.add_header("From", "<sip:alice@example.com>;tag=p1");
  ping.add_header("To", "<sip:bob@example.com>");
  ping.add_header("Call-ID", "ping-1");
  ping.add_header("CSeq", "1 OPTIONS");
  auto txn = alice.layer->send_request(ping, alice.peer_to(bob));
  ASSERT_TRUE(txn.has_value());
  net.pump();
  const UserCall* r = alice.user.last(UserCall::Type::kResponse);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->txn, *txn);
  EXPECT_FALSE(r->dialog.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(DialogLayerTest, HostileInputIsRefusedWithoutState) {
  bob.user.on_request_hook = [](const IncomingRequest&) {};
  const auto last_status = [this](std::string_view method) {
    auto r = responses(bob, method);
    return r.empty() ? 0 : r.back().status_code();
  };
  const std::string contact = "Contact: <sip:carol@192.0.2.10>\r\n";
  // Unknown dialog.
  bob.layer->on_message(parse(raw_request("BYE", "h-1", "c1", "nope", 2)), kCarol);
  EXPECT_EQ(last_status("BYE"), 481);
  bob.layer->on_message(parse(raw_request("INVITE", "h-1", "c1", "nope", 2, contact)), kCarol);
  EXPECT_EQ(last_status("INVITE"), 481);
  // BYE naming no dialog at all.
  bob.layer->on_message(parse(raw_request("BYE", "h-2", "c1", "", 2)), kCarol);
  EXPECT_EQ(last_status("BYE"), 481);
  // No From tag.
  bob.layer->on_message(parse(raw_request("INVITE", "h-3", "", "", 1, contact)), kCarol);
  EXPECT_EQ(last_status("INVITE"), 400);
  bob.layer->on_message(parse(raw_request("INFO", "h-3", "", "x", 1)), kCarol);
  EXPECT_EQ(last_status("INFO"), 400);
  // Tags present without a value.
  std::string bare_to = raw_request("INFO", "h-3b", "f", "x", 1);
  bare_to.replace(bare_to.find(";tag=x"), 6, ";tag");
  bob.layer->on_message(parse(bare_to), kCarol);
  EXPECT_EQ(last_status("INFO"), 400);
  std::string bare_from = raw_request("OPTIONS", "h-3c", "f", "", 1);
  bare_from.replace(bare_from.find(";tag=f"), 6, ";tag");
  bob.layer->on_message(parse(bare_from), kCarol);
  EXPECT_EQ(last_status("OPTIONS"), 400);
  EXPECT_EQ(bob.layer->stats().bad_request, 4u);
  // No Contact, a star, two of them, or a non-SIP one in a dialog-creating INVITE.
  bob.layer->on_message(parse(raw_request("INVITE", "h-4", "c1", "", 1)), kCarol);
  EXPECT_EQ(last_status("INVITE"), 400);
  bob.layer->on_message(parse(raw_request("INVITE", "h-5", "c1", "", 1, "Contact: *\r\n")), kCarol);
  EXPECT_EQ(last_status("INVITE"), 400);
  bob.layer->on_message(parse(raw_request("INVITE", "h-6", "c1", "", 1,
                                          "Contact: <sip:a@192.0.2.10>, <sip:b@192.0.2.10>\r\n")),
                        kCarol);
  EXPECT_EQ(last_status("INVITE"), 400);
  bob.layer->on_message(
      parse(raw_request("INVITE", "h-7", "c1", "", 1, "Contact: <mailto:a@example.com>\r\n")),
      kCarol);
  EXPECT_EQ(last_status("INVITE"), 400);
  // A Record-Route that is not SIP.
  bob.layer->on_message(parse(raw_request("INVITE", "h-8", "c1", "", 1,
                                          contact + "Record-Route: <tel:+15551234>\r\n")),
                        kCarol);
  EXPECT_EQ(last_status("INVITE"), 400);
  // The same dialog-creating INVITE by a second path (another branch): 482.
  bob.layer->on_message(parse(raw_request("INVITE", "h-m", "c1", "", 7, contact)), kCarol);
  EXPECT_EQ(bob.user.count(UserCall::Type::kRequest), 1u);
  bob.layer->on_message(parse(raw_request("INVITE", "h-m", "c1", "", 7, contact)), kCarol);
  EXPECT_EQ(last_status("INVITE"), 482);
  EXPECT_EQ(bob.user.count(UserCall::Type::kRequest), 1u);
  EXPECT_EQ(bob.layer->stats().merged, 1u);
  // Once the first is answered and gone, the key is free again.
  ASSERT_TRUE(bob.layer->respond(bob.user.calls.back().txn, Reply{603, "Decline", {}, {}}));
  advance(64s);
  bob.layer->on_message(parse(raw_request("INVITE", "h-m", "c1", "", 7, contact)), kCarol);
  EXPECT_EQ(bob.user.count(UserCall::Type::kRequest), 2u);
  ASSERT_TRUE(bob.layer->respond(bob.user.calls.back().txn, Reply{603, "Decline", {}, {}}));
  bob.user.calls.clear();
  // An ACK for nothing is dropped silently.
  const std::size_t sent = bob.sender.sent.size();
  bob.layer->on_message(parse(raw_request("ACK", "h-9", "c1", "x", 1)), kCarol);
  EXPECT_EQ(bob.sender.sent.size(), sent);
  EXPECT_EQ(bob.layer->stats().stray_acks, 1u);
  EXPECT_EQ(bob.user.count(UserCall::Type::kRequest), 0u);

  // A flood of in-dialog junk leaves no dialog behind, and the transactions drain.
  for (int i = 0; i < 500; ++i) {
    const std::string n = std::to_string(i);
    bob.layer->on_message(parse(raw_request(i % 2 ? "BYE" : "INFO", "junk-" + n, "f" + n, "t" + n,
                                            static_cast<std::uint32_t>(i))),
                          kCarol);
  }
  EXPECT_EQ(bob.layer->stats().no_dialog, 503u);
  EXPECT_EQ(bob.layer->size(), 0u);
  EXPECT_EQ(bob.user.count(UserCall::Type::kRequest), 0u);
  advance(64s);
  expect_idle(bob);
}

TEST_F(DialogLayerTest, DialogCapAnswers503AndFreesRoomWhenACallEnds) {
  Ua capped{net, clock, Endpoint{"192.0.2.3", 5060}, 9, [](DialogConfig& c) { c.max_dialogs = 2; }};
  const Peer to_capped{TransportType::kUdp, {"192.0.2.10", 5060}, capped.endpoint, 0};
  const std::string contact = "Contact: <sip:carol@192.0.2.10>\r\n";
  capped.layer->on_message(parse(raw_request("INVITE", "cap-1", "c1", "", 1, contact)), to_capped);
  capped.layer->on_message(parse(raw_request("INVITE", "cap-2", "c2", "", 1, contact)), to_capped);
  capped.layer->on_message(parse(raw_request("INVITE", "cap-3", "c3", "", 1, contact)), to_capped);
  ASSERT_EQ(capped.user.count(UserCall::Type::kRequest), 2u);
  auto refused = responses(capped, "INVITE");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].status_code(), 503);
  EXPECT_EQ(refused[0].header("Retry-After"), "5");
  EXPECT_EQ(capped.layer->stats().overloaded, 1u);
  // Our own INVITEs count against the same cap.
  OutgoingInvite o = invite_to_bob();
  o.destination = Peer{TransportType::kUdp, bob.endpoint, capped.endpoint, 0};
  EXPECT_FALSE(capped.layer->invite(o).has_value());
  // Refusing one call makes room for the next.
  ASSERT_TRUE(
      capped.layer->respond(capped.user.calls[0].txn, Reply{486, "Busy Here", {}, {}}).has_value());
  capped.layer->on_message(parse(raw_request("INVITE", "cap-4", "c4", "", 1, contact)), to_capped);
  EXPECT_EQ(capped.user.count(UserCall::Type::kRequest), 3u);
}

TEST_F(DialogLayerTest, ReliableTransportReusesTheConnectionForInDialogRequests) {
  // Carol calls Bob over TCP from an ephemeral port; Bob's BYE goes back on it.
  const Peer tcp{TransportType::kTcp, {"192.0.2.10", 40000}, bob.endpoint, 17};
  DialogId bd = 0;
  bob.user.on_request_hook = [this, &bd](const IncomingRequest& r) {
    if (r.dialog) return;
    auto d = bob.layer->respond(r.txn, Reply{});
    ASSERT_TRUE(d.has_value() && d->has_value());
    bd = **d;
  };
  std::string invite = raw_request("INVITE", "tcp-1", "c1", "", 1,
                                   "Contact: <sip:carol@192.0.2.10:40000;transport=tcp>\r\n");
  invite.replace(invite.find("SIP/2.0/UDP"), 11, "SIP/2.0/TCP");
  bob.layer->on_message(parse(invite), tcp);
  ASSERT_NE(bd, 0u);
  const std::string tag(*responses(bob, "INVITE").back().to().tag());
  std::string ack = raw_request("ACK", "tcp-1", "c1", tag, 1);
  ack.replace(ack.find("SIP/2.0/UDP"), 11, "SIP/2.0/TCP");
  bob.layer->on_message(parse(ack), tcp);
  ASSERT_TRUE(bob.layer->bye(bd).has_value());
  const Packet& bye = bob.sender.sent.back();
  EXPECT_TRUE(starts_with(bye.bytes, "BYE sip:carol@192.0.2.10:40000;transport=tcp"));
  EXPECT_EQ(bye.to.connection_id, 17u);
  EXPECT_EQ(bye.to.transport, TransportType::kTcp);
}

TEST_F(DialogLayerTest, CancelledReInviteKeepsTheDialogAndRollsBackTheOffer) {
  auto [ad, bd] = establish();
  ASSERT_NE(ad, 0u);
  auto txn = bob.layer->request(bd, "INVITE", sdp(kSdpB));
  ASSERT_TRUE(txn.has_value());
  advance(300ms);  // Alice's user says nothing; her transaction layer sends 100 Trying
  EXPECT_EQ(alice.layer->find(ad)->offer, OfferState::kRemoteOffer);
  ASSERT_TRUE(bob.layer->cancel(*txn).has_value());
  net.pump();
  const UserCall* cancelled = alice.user.last(UserCall::Type::kCancelled);
  ASSERT_NE(cancelled, nullptr);
  EXPECT_EQ(cancelled->dialog, ad);
  EXPECT_EQ(bob.user.last(UserCall::Type::kResponse)->status, 487);
  EXPECT_EQ(alice.layer->find(ad)->offer, OfferState::kStable);
  EXPECT_EQ(bob.layer->find(bd)->offer, OfferState::kStable);
  EXPECT_EQ(alice.user.count(UserCall::Type::kTerminated), 0u);
  // Either side may re-INVITE again.
  auto_answer(bob, true, sdp(kSdpB));
  ASSERT_TRUE(alice.layer->request(ad, "INVITE", sdp(kSdpA)).has_value());
  net.pump();
  EXPECT_EQ(alice.user.last(UserCall::Type::kResponse)->status, 200);
}

TEST_F(DialogLayerTest, TransportErrorOnAnInDialogRequestEndsTheDialog) {
  auto [ad, bd] = establish();
  ASSERT_NE(ad, 0u);
  ASSERT_TRUE(alice.layer->request(ad, "INFO").has_value());
  alice.layer->transport_failed(alice.peer_to(bob));
  const UserCall* err = alice.user.last(UserCall::Type::kTransportError);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->dialog, ad);
  EXPECT_EQ(alice.user.last(UserCall::Type::kTerminated)->reason,
            TerminationReason::kTransportError);
  (void)bd;
}

TEST_F(DialogLayerTest, StickToPeerSendsBackOnTheDialogsPath) {
  Ua natted{net, clock, Endpoint{"192.0.2.6", 5060}, 11,
            [](DialogConfig& c) { c.stick_to_peer = true; }};
  // The caller's Contact is a private address it cannot be reached at.
  const Peer from_nat{TransportType::kUdp, {"198.51.100.7", 31000}, natted.endpoint, 0};
  DialogId d = 0;
  natted.user.on_request_hook = [&natted, &d](const IncomingRequest& r) {
    auto id = natted.layer->respond(r.txn, Reply{});
    ASSERT_TRUE(id.has_value() && id->has_value());
    d = **id;
  };
  natted.layer->on_message(
      parse(raw_request("INVITE", "nat-1", "c1", "", 1, "Contact: <sip:carol@10.0.0.5:5060>\r\n")),
      from_nat);
  ASSERT_NE(d, 0u);
  ASSERT_TRUE(natted.layer->request(d, "OPTIONS").has_value());
  EXPECT_EQ(natted.sender.sent.back().to, from_nat);
  EXPECT_TRUE(starts_with(natted.sender.sent.back().bytes, "OPTIONS sip:carol@10.0.0.5:5060 "));
}

// A seeded random walk: many calls with random answers, in-dialog traffic, glare,
// CANCEL and hang-ups over a network that loses packets. Whatever happens, every
// dialog either side ever reported ends exactly once, and after a shutdown both
// layers are empty with no timer armed.
TEST_F(DialogLayerTest, RandomWalkEveryDialogEndsOnceAndNothingLeaks) {
  std::mt19937_64 rng(20261125);
  const auto chance = [&rng](int percent) { return static_cast<int>(rng() % 100) < percent; };
  net.drop = [&](const std::string&) { return chance(5); };
  std::vector<TransactionId> pending;  // INVITEs Bob has not answered finally
  bob.user.on_request_hook = [&](const IncomingRequest& r) {
    if (!r.dialog) {
      const int pick = static_cast<int>(rng() % 4);
      if (pick >= 1) (void)bob.layer->respond(r.txn, Reply{180, "Ringing", {}, {}});
      if (pick == 0 || pick == 1) {
        Reply ok;
        ok.content = sdp(kSdpB);
        (void)bob.layer->respond(r.txn, ok);
      } else if (pick == 2) {
        (void)bob.layer->respond(r.txn, Reply{486, "Busy Here", {}, {}});
      } else {
        pending.push_back(r.txn);
      }
      return;
    }
    Reply ok;
    if (r.request.method() == "INVITE" || !r.request.body().empty()) ok.content = sdp(kSdpB);
    (void)bob.layer->respond(r.txn, ok);
  };
  alice.user.on_request_hook = [&](const IncomingRequest& r) {
    Reply ok;
    if (r.request.method() == "INVITE" || !r.request.body().empty()) ok.content = sdp(kSdpA);
    (void)alice.layer->respond(r.txn, ok);
  };
  alice.user.on_response_hook = [&](const ResponseEvent& e) {
    // Delayed offers are answered in the ACK.
    if (e.dialog && e.response.status_code() / 100 == 2 && e.response.cseq().method == "INVITE") {
      if (const DialogState* d = alice.layer->find(*e.dialog);
          d != nullptr && d->offer == OfferState::kRemoteOffer) {
        (void)alice.layer->ack(*e.dialog, sdp(kSdpA));
      }
    }
  };
  const char* methods[] = {"INVITE", "UPDATE", "INFO", "OPTIONS", "NOTIFY", "REFER"};
  std::vector<TransactionId> invites;
  for (int call = 0; call < 150; ++call) {
    auto txn = alice.layer->invite(invite_to_bob(chance(30) ? Content{} : sdp(kSdpA)));
    ASSERT_TRUE(txn.has_value());
    invites.push_back(*txn);
    advance(std::chrono::milliseconds(rng() % 400));
    if (!pending.empty() && chance(50)) {
      (void)alice.layer->cancel(*txn);
      advance(std::chrono::milliseconds(rng() % 400));
    }
    for (int step = 0; step < 4; ++step) {
      for (Ua* ua : {&alice, &bob}) {
        for (const UserCall& c : ua->user.calls) {
          if (!c.dialog || !chance(10)) continue;
          const char* m = methods[rng() % 6];
          const bool offer = std::string_view(m) == "INVITE" || std::string_view(m) == "UPDATE";
          (void)ua->layer->request(*c.dialog, m, offer && chance(70) ? sdp(kSdpA) : Content{});
        }
      }
      advance(std::chrono::milliseconds(rng() % 3000));
    }
    for (Ua* ua : {&alice, &bob}) {
      for (const UserCall& c : ua->user.calls) {
        if (c.dialog && chance(15)) (void)ua->layer->bye(*c.dialog);
      }
    }
    advance(std::chrono::milliseconds(rng() % 2000));
  }
  // Shutdown: answer what is left, end every dialog, let every timer run out.
  net.drop = nullptr;
  for (TransactionId t : pending) (void)bob.layer->respond(t, Reply{480, "Gone", {}, {}});
  advance(1s);
  for (Ua* ua : {&alice, &bob}) {
    std::set<DialogId> seen;
    for (const UserCall& c : ua->user.calls) {
      if (c.dialog) seen.insert(*c.dialog);
    }
    for (DialogId d : seen) ua->layer->terminate(d);
  }
  advance(5min);
  for (Ua* ua : {&alice, &bob}) {
    std::map<DialogId, int> ended;
    std::set<DialogId> seen;
    for (const UserCall& c : ua->user.calls) {
      if (!c.dialog) continue;
      if (c.type == UserCall::Type::kTerminated) ++ended[*c.dialog];
      seen.insert(*c.dialog);
    }
    for (DialogId d : seen) EXPECT_EQ(ended[d], 1) << "dialog " << d;
    EXPECT_GT(seen.size(), 50u);
    expect_idle(*ua);
  }
  EXPECT_GT(net.dropped, 0u);
}
}  // namespace
}  // namespace hotline::sip
