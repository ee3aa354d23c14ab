#include "switch/b2bua.hpp"

#include <gtest/gtest.h>

#include "switch/b2bua_test_fixture.hpp"

namespace hotline::sw {
namespace {

using namespace hotline::sw::testing;  // NOLINT(google-build-using-namespace)

TEST_F(B2buaTest, ExtensionCallIsAnsweredBridgedAndEndsOnBothSides) {
  answer_with(bob, 200);
  ASSERT_TRUE(alice.layer->invite(call_to("1002")).has_value());
  advance(std::chrono::milliseconds(10));

  ASSERT_EQ(final_status(alice), 200);
  // Alice got hotline's SDP (media anchored here), not Bob's.
  const UserCall* ok = alice.user.last(UserCall::Type::kResponse);
  ASSERT_NE(ok, nullptr);
  EXPECT_NE(ok->body.find("c=IN IP4 127.0.0.1"), std::string::npos) << ok->body;
  EXPECT_EQ(ok->body.find("192.0.2.2"), std::string::npos);
  // Bob was offered hotline's SDP too, from the caller's number.
  const UserCall* invite = bob.user.last_request("INVITE");
  ASSERT_NE(invite, nullptr);
  EXPECT_NE(invite->body.find("c=IN IP4 127.0.0.1"), std::string::npos);
  EXPECT_EQ(b2bua->active_calls(), 1u);
  EXPECT_EQ(types(),
            (std::vector<std::string>{"call.created", "call.routed", "call.ringing_devices",
                                      "call.ringing", "call.answered", "call.connected"}));
  EXPECT_EQ(events[0].payload["caller"], "1001");
  EXPECT_EQ(events[0].payload["dialled"], "1002");
  EXPECT_EQ(events[1].payload["target"], "extension:1002");

  // Bob hangs up: Alice gets a BYE.
  const UserCall* bob_ack = bob.user.last(UserCall::Type::kAck);
  ASSERT_NE(bob_ack, nullptr);
  ASSERT_TRUE(bob.layer->bye(*bob_ack->dialog).has_value());
  advance(std::chrono::milliseconds(10));
  const UserCall* ended = alice.user.last(UserCall::Type::kTerminated);
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->reason, sip::TerminationReason::kRemoteBye);
  ASSERT_NE(last("call.ended"), nullptr);
  EXPECT_EQ(last("call.ended")->payload["cause"], "callee-hangup");
  EXPECT_EQ(b2bua->active_calls(), 0u);
  advance(std::chrono::seconds(40));  // every transaction finishes
  EXPECT_EQ(hot.layer->size(), 0u);
  EXPECT_EQ(hot.layer->transactions().size(), 0u);
}

TEST_F(B2buaTest, CallerHangsUpAndTheCalleeGetsBye) {
  answer_with(bob, 200);
  ASSERT_TRUE(alice.layer->invite(call_to("1002")).has_value());
  advance(std::chrono::milliseconds(10));
  const UserCall* ok = alice.user.last(UserCall::Type::kResponse);
  ASSERT_TRUE(ok != nullptr && ok->dialog);
  ASSERT_TRUE(alice.layer->bye(*ok->dialog).has_value());
  advance(std::chrono::milliseconds(10));
  const UserCall* ended = bob.user.last(UserCall::Type::kTerminated);
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->reason, sip::TerminationReason::kRemoteBye);
  EXPECT_EQ(last("call.ended")->payload["cause"], "caller-hangup");
}

TEST_F(B2buaTest, CallerCancelsWhileItRings) {
  answer_with(bob, 0);  // rings forever
  auto txn = alice.layer->invite(call_to("1002"));
  ASSERT_TRUE(txn.has_value());
  advance(std::chrono::milliseconds(10));
  ASSERT_NE(alice.user.last(UserCall::Type::kResponse), nullptr);
  EXPECT_EQ(alice.user.last(UserCall::Type::kResponse)->status, 180);
  ASSERT_TRUE(alice.layer->cancel(*txn));
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(final_status(alice), 487);
  EXPECT_EQ(bob.user.count(UserCall::Type::kCancelled), 1u);
  EXPECT_EQ(last("call.ended")->payload["cause"], "caller-cancelled");
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(B2buaTest, BusyDeviceMeansBusyCaller) {
  answer_with(bob, 486);
  ASSERT_TRUE(alice.layer->invite(call_to("1002")).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(final_status(alice), 486);
  EXPECT_EQ(last("call.ended")->payload["cause"], "rejected");
}

TEST_F(B2buaTest, UnansweredCallTimesOutAndCancelsTheDevice) {
  answer_with(bob, 0);
  ASSERT_TRUE(alice.layer->invite(call_to("1002")).has_value());
  advance(std::chrono::seconds(31));
  EXPECT_EQ(final_status(alice), 480);
  EXPECT_EQ(bob.user.count(UserCall::Type::kCancelled), 1u);
  EXPECT_EQ(last("call.ended")->payload["cause"], "no-answer");
}

TEST_F(B2buaTest, FirstDeviceToAnswerWinsTheOtherIsCancelled) {
  second_device = true;
  answer_with(bob, 0);
  answer_with(carol, 200);
  ASSERT_TRUE(alice.layer->invite(call_to("1002")).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(final_status(alice), 200);
  EXPECT_EQ(bob.user.count(UserCall::Type::kCancelled), 1u);
  EXPECT_EQ(last("call.ringing_devices")->payload["devices"], 2);
}

// A losing device's 200 crosses our CANCEL: hotline ACKs that 2xx before its
// BYE (a phone that sees the BYE first may treat the dialog as never confirmed).
TEST_F(B2buaTest, ALateAnswerFromTheLosingDeviceIsAckedBeforeItsBye) {
  second_device = true;
  std::vector<sip::TransactionId> bob_invites, carol_invites;
  bob.user.on_request_hook = [&](const IncomingRequest& r) {
    if (r.request.method() == "INVITE" && !r.dialog) bob_invites.push_back(r.txn);
  };
  carol.user.on_request_hook = [&](const IncomingRequest& r) {
    if (r.request.method() == "INVITE" && !r.dialog) carol_invites.push_back(r.txn);
  };
  ASSERT_TRUE(alice.layer->invite(call_to("1002")).has_value());
  advance(std::chrono::milliseconds(10));
  ASSERT_EQ(bob_invites.size(), 1u);
  ASSERT_EQ(carol_invites.size(), 1u);
  // Both answer before either 200 reaches hotline: carol's arrives first and wins.
  Reply ok{200, "OK", {}, sdp(kSdpB)};
  ASSERT_TRUE(carol.layer->respond(carol_invites[0], ok).has_value());
  ASSERT_TRUE(bob.layer->respond(bob_invites[0], ok).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(final_status(alice), 200);
  EXPECT_EQ(last("call.connected")->payload["device"].get<std::string>().find("carol"), 4u);

  std::vector<std::string> to_bob;
  for (const sip::testing::Packet& p : hot.sender.sent) {
    if (p.to.remote == bob.endpoint) to_bob.push_back(p.first_line().substr(0, 4));
  }
  const auto ack = std::find(to_bob.begin(), to_bob.end(), "ACK ");
  const auto bye = std::find(to_bob.begin(), to_bob.end(), "BYE ");
  ASSERT_NE(ack, to_bob.end());
  ASSERT_NE(bye, to_bob.end());
  EXPECT_LT(ack, bye);
  EXPECT_EQ(std::count(to_bob.begin(), to_bob.end(), "ACK "), 1);  // not ACKed twice
  const UserCall* ended = bob.user.last(UserCall::Type::kTerminated);
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->reason, sip::TerminationReason::kRemoteBye);
  EXPECT_EQ(b2bua->active_calls(), 1u);
}

// A number only trunk-origin rules route, from an address no trunk allows: 403
// without a challenge, counted, whoever the From claims to be (no extension
// enumeration). Numbers an extension may dial still go through authentication.
TEST_F(B2buaTest, ACallOnlyTrunksMayPlaceFromAnUnknownSourceIsRefusedAndCounted) {
  MetricsRegistry metrics;
  B2buaConfig config;
  config.metrics = &metrics;
  build(config);
  b2bua->set_routing(load_plan(R"(
dialplan:
  - { name: ads, number: "4155550100", from: trunk, to: { ivr: menu } }
  - { name: extensions, number: { pattern: "10XX" }, from: extension, to: extension }
  - { name: menu, number: "100", to: { ivr: menu } }
  - { name: carrier, from: "trunk:carrier", to: { ivr: menu } }
)"),
                     TrunkTable{});
  const Counter& refused =
      metrics.counter("hotline_calls_refused_total", "", {{"reason", "unknown-source"}});
  struct Case {
    const char* from;
    const char* number;
  } cases[] = {
      {"\"Alice\" <sip:1001@example.com>", "4155550100"},  // a known extension's name
      {"<sip:mallory@example.com>", "4155550100"},         // an unknown one: the same answer
      {"<sip:1001@example.com>", "4155550199"},            // only the carrier's catch-all
  };
  std::uint64_t n = 0;
  for (const Case& c : cases) {
    ASSERT_TRUE(alice.layer->invite(call_from(alice, c.from, c.number)).has_value());
    advance(std::chrono::milliseconds(10));
    EXPECT_EQ(final_status(alice), 403) << c.from << " " << c.number;
    EXPECT_EQ(refused.value(), ++n);
  }
  EXPECT_EQ(authentications, 0);
  EXPECT_TRUE(events.empty());  // refused before a call exists
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_TRUE(metrics.render().find(R"(hotline_calls_refused_total{reason="unknown-source"} 3)") !=
              std::string::npos)
      << metrics.render();

  // An extension's number (and one open to any origin) is for authentication to decide.
  answer_with(bob, 486);
  ASSERT_TRUE(alice.layer->invite(call_to("1002")).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(final_status(alice), 486);
  EXPECT_EQ(authentications, 1);
  ASSERT_TRUE(alice.layer->invite(call_to("100")).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(authentications, 2);
  EXPECT_EQ(refused.value(), 3u);
}

TEST_F(B2buaTest, DialPlanOutcomes) {
  struct Case {
    const char* number;
    int status;
    const char* cause;
  } cases[] = {
      {"666", 403, "rejected"},      // a reject rule
      {"5555", 404, "rejected"},     // no rule
      {"1009", 480, "unavailable"},  // an extension with no device registered
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(alice.layer->invite(call_to(c.number)).has_value());
    advance(std::chrono::milliseconds(10));
    EXPECT_EQ(final_status(alice), c.status) << c.number;
    ASSERT_NE(last("call.ended"), nullptr);
    EXPECT_EQ(last("call.ended")->payload["cause"], c.cause) << c.number;
  }
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(B2buaTest, AQueueTargetAnswersAndHandsTheCallToTheQueuePort) {
  ASSERT_TRUE(alice.layer->invite(call_to("200")).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(final_status(alice), 200);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].second, "support");
  EXPECT_EQ(b2bua->active_calls(), 1u);
}

TEST_F(B2buaTest, UnusableOfferIs488) {
  ASSERT_TRUE(alice.layer->invite(call_to("1002", "v=0\r\nthis is not sdp\r\n")).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(final_status(alice), 488);
  EXPECT_EQ(bob.user.count(UserCall::Type::kRequest), 0u);  // never rang
}

TEST_F(B2buaTest, NextDeadlineIsTheEarliestTimerOfAnyLiveCall) {
  EXPECT_FALSE(b2bua->next_deadline().has_value());
  answer_with(bob, 0);  // rings: the ring timeout (30 s) comes before the 4 h limit
  ASSERT_TRUE(alice.layer->invite(call_to("1002")).has_value());
  net.pump();
  const MonoTime first = clock.mono();
  EXPECT_EQ(b2bua->next_deadline(), first + std::chrono::seconds(30));
  clock.advance(std::chrono::seconds(10));
  ASSERT_TRUE(alice.layer->invite(call_to("1002")).has_value());
  net.pump();
  EXPECT_EQ(b2bua->next_deadline(), first + std::chrono::seconds(30));  // still the first call's
  // Bob answers the second call: its ring timer goes, the first call's stays.
  const UserCall* invite = bob.user.last_request("INVITE");
  ASSERT_NE(invite, nullptr);
  ASSERT_TRUE(bob.layer->respond(invite->txn, Reply{200, "OK", {}, sdp(kSdpB)}).has_value());
  net.pump();
  EXPECT_EQ(b2bua->next_deadline(), first + std::chrono::seconds(30));
  advance(std::chrono::seconds(21));  // the first call times out
  ASSERT_NE(last("call.ended"), nullptr);
  EXPECT_EQ(last("call.ended")->payload["cause"], "no-answer");
  EXPECT_EQ(b2bua->active_calls(), 1u);
  // Only the connected call's maximum duration is left.
  EXPECT_EQ(b2bua->next_deadline(), first + std::chrono::seconds(10) + std::chrono::hours(4));
  b2bua->hang_up_all();
  EXPECT_FALSE(b2bua->next_deadline().has_value());
}

TEST_F(B2buaTest, MaximumDurationEndsAConnectedCall) {
  B2buaConfig config;
  config.max_call_duration = std::chrono::minutes(2);
  build(config);
  answer_with(bob, 200);
  ASSERT_TRUE(alice.layer->invite(call_to("1002")).has_value());
  advance(std::chrono::seconds(119));
  EXPECT_EQ(b2bua->active_calls(), 1u);
  advance(std::chrono::seconds(2));
  ASSERT_NE(last("call.ended"), nullptr);
  EXPECT_EQ(last("call.ended")->payload["cause"], "max-duration");
  EXPECT_EQ(bob.user.last(UserCall::Type::kTerminated)->reason, sip::TerminationReason::kRemoteBye);
}

class B2buaIvrTest : public B2buaTest {
 protected:
  // Calls the menu; returns the caller's media endpoint (hotline's side).
  media::EndpointId call_menu() {
    EXPECT_TRUE(alice.layer->invite(call_to("100")).has_value());
    advance(std::chrono::milliseconds(10));
    EXPECT_EQ(final_status(alice), 200);  // the IVR answers
    const Event* created = last("call.created");
    EXPECT_NE(created, nullptr);
    return caller_endpoint;
  }
  void finish_prompt() {
    b2bua->on_media_event(media_event(media::MediaEvent::Kind::kPlaybackFinished, caller_endpoint));
    advance(std::chrono::milliseconds(10));
  }
  void press(char key) {
    b2bua->on_media_event(media_event(media::MediaEvent::Kind::kDtmf, caller_endpoint, key));
    advance(std::chrono::milliseconds(10));
  }
  std::vector<std::string> nodes() const {
    std::vector<std::string> out;
    for (const Event& e : events) {
      if (e.type == "ivr.node_entered") out.push_back(e.payload["node"]);
    }
    return out;
  }
  media::EndpointId caller_endpoint = 0;
};

TEST_F(B2buaIvrTest, MenuRoutesToAnExtensionAndBridges) {
  b2bua->set_endpoint_observer([this](CallId, media::EndpointId ep) { caller_endpoint = ep; });
  call_menu();
  ASSERT_NE(caller_endpoint, 0u);
  ASSERT_EQ(plays.size(), 1u);
  EXPECT_NE(plays[0].second.find("Welcome."), std::string::npos) << plays[0].second;
  finish_prompt();
  ASSERT_EQ(plays.size(), 2u);
  EXPECT_NE(plays[1].second.find("For Bob press 1"), std::string::npos);
  answer_with(bob, 200);
  press('1');  // barge-in: a key during the menu prompt is the choice
  EXPECT_EQ(nodes(), (std::vector<std::string>{"welcome", "main", "bob"}));
  ASSERT_NE(last("call.connected"), nullptr);
  EXPECT_EQ(bob.user.count(UserCall::Type::kAck), 1u);
  // The caller's leg was answered once, by the IVR.
  std::size_t oks = 0;
  for (const UserCall& c : alice.user.calls) {
    oks += c.type == UserCall::Type::kResponse && c.status == 200 ? 1 : 0;
  }
  EXPECT_EQ(oks, 1u);
}

TEST_F(B2buaIvrTest, MenuHandsTheCallToTheQueuePort) {
  b2bua->set_endpoint_observer([this](CallId, media::EndpointId ep) { caller_endpoint = ep; });
  call_menu();
  finish_prompt();
  press('2');
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].second, "support");
  EXPECT_EQ(b2bua->active_calls(), 1u);  // the call waits, now the ACD's to place
  ASSERT_NE(last("ivr.ended"), nullptr);
  EXPECT_EQ(last("ivr.ended")->payload["to"], "queue:support");
}

TEST_F(B2buaIvrTest, SilenceRetriesThenTheFallbackHangsUp) {
  b2bua->set_endpoint_observer([this](CallId, media::EndpointId ep) { caller_endpoint = ep; });
  call_menu();
  finish_prompt();  // welcome
  finish_prompt();  // the menu prompt; now the 5 s timer runs
  advance(std::chrono::seconds(6));
  finish_prompt();  // the menu again (attempt 2)
  advance(std::chrono::seconds(6));
  EXPECT_EQ(last("call.ended")->payload["cause"], "ivr-hangup");
  const UserCall* ended = alice.user.last(UserCall::Type::kTerminated);
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->reason, sip::TerminationReason::kRemoteBye);  // hotline sent BYE
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(B2buaIvrTest, CallerHangingUpInTheMenuEndsTheCall) {
  b2bua->set_endpoint_observer([this](CallId, media::EndpointId ep) { caller_endpoint = ep; });
  call_menu();
  const UserCall* ok = alice.user.last(UserCall::Type::kResponse);
  ASSERT_TRUE(ok != nullptr && ok->dialog);
  ASSERT_TRUE(alice.layer->bye(*ok->dialog).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(last("call.ended")->payload["cause"], "caller-hangup");
  // A late prompt end for the gone call changes nothing.
  finish_prompt();
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(B2buaIvrTest, AMissingFlowFailsTheCall) {
  ASSERT_TRUE(alice.layer->invite(call_to("101")).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(last("call.ended")->payload["cause"], "failed");
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(B2buaIvrTest, EarlyMediaPlaysThePromptsBeforeTheAnswer) {
  b2bua->set_endpoint_observer([this](CallId, media::EndpointId ep) { caller_endpoint = ep; });
  ASSERT_TRUE(alice.layer->invite(call_to("102")).has_value());
  advance(std::chrono::milliseconds(10));
  // 183 with hotline's SDP, no answer yet; the greeting plays.
  const UserCall* progress = alice.user.last(UserCall::Type::kResponse);
  ASSERT_NE(progress, nullptr);
  EXPECT_EQ(progress->status, 183);
  EXPECT_NE(progress->body.find("c=IN IP4 127.0.0.1"), std::string::npos) << progress->body;
  EXPECT_EQ(final_status(alice), 0);
  ASSERT_NE(last("call.early_media"), nullptr);
  EXPECT_EQ(last("call.answered"), nullptr);
  ASSERT_EQ(plays.size(), 1u);
  finish_prompt();
  answer_with(bob, 200);
  press('1');  // keys work in early media too
  // Bob answers: now the caller's INVITE gets its 200, once.
  EXPECT_EQ(final_status(alice), 200);
  ASSERT_NE(last("call.connected"), nullptr);
  std::size_t oks = 0;
  for (const UserCall& c : alice.user.calls) {
    oks += c.type == UserCall::Type::kResponse && c.status == 200 ? 1 : 0;
  }
  EXPECT_EQ(oks, 1u);
}

TEST_F(B2buaIvrTest, AnEarlyMediaFlowThatHangsUpRefusesTheCall) {
  b2bua->set_endpoint_observer([this](CallId, media::EndpointId ep) { caller_endpoint = ep; });
  ASSERT_TRUE(alice.layer->invite(call_to("102")).has_value());
  advance(std::chrono::milliseconds(10));
  finish_prompt();
  press('3');                           // the menu's hang-up choice
  EXPECT_EQ(final_status(alice), 480);  // never answered: a final response, no BYE
  EXPECT_EQ(last("call.ended")->payload["cause"], "ivr-hangup");
  EXPECT_EQ(last("call.ended")->payload["answered"], false);
}

TEST_F(B2buaIvrTest, AnEarlyMediaFlowIsAnsweredWhenItQueuesTheCall) {
  b2bua->set_endpoint_observer([this](CallId, media::EndpointId ep) { caller_endpoint = ep; });
  ASSERT_TRUE(alice.layer->invite(call_to("102")).has_value());
  advance(std::chrono::milliseconds(10));
  finish_prompt();
  press('2');
  EXPECT_EQ(final_status(alice), 200);
  ASSERT_EQ(queued.size(), 1u);
}

}  // namespace
}  // namespace hotline::sw
