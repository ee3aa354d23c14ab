// The B2BUA's mid-call features on real SIP user agents (in memory) and the real
// media engine: recording, DTMF on a bridged call, hold with music, blind and
// attended transfer (REFER, Replaces) and INVITE with Replaces.
#include <gtest/gtest.h>

#include <filesystem>

#include "sip/uri.hpp"
#include "switch/b2bua.hpp"
#include "switch/b2bua_test_fixture.hpp"

namespace hotline::sw {
namespace {

using namespace hotline::sw::testing;  // NOLINT(google-build-using-namespace)

const std::string kSdpBSendOnly = kSdpB + "a=sendonly\r\n";
const std::string kSdpBInactive = kSdpB + "a=inactive\r\n";
const std::string kSdpASendOnly = kSdpA + "a=sendonly\r\n";

class B2buaFeaturesTest : public B2buaTest {
 protected:
  struct Legs {
    DialogId caller = 0;  // the caller's dialog, at the caller's UA
    DialogId callee = 0;  // the callee's dialog, at the callee's UA
    CallId call = 0;
  };
  // `from` (extension `ext`) calls `number`, answered by `callee`.
  Legs connect(Ua& from, const std::string& ext, const std::string& number, Ua& callee) {
    answer_with(callee, 200);
    auto txn = from.layer->invite(call_from(from, "<sip:" + ext + "@example.com>", number));
    EXPECT_TRUE(txn.has_value());
    advance(std::chrono::milliseconds(10));
    Legs legs;
    for (const UserCall& c : from.user.calls) {
      if (c.type == UserCall::Type::kResponse && c.txn == *txn && c.status == 200) {
        legs.caller = *c.dialog;
      }
    }
    const UserCall* ack = callee.user.last(UserCall::Type::kAck);
    EXPECT_NE(ack, nullptr);
    if (ack != nullptr) legs.callee = *ack->dialog;
    EXPECT_NE(last("call.connected"), nullptr);
    if (last("call.connected") != nullptr) legs.call = last("call.connected")->call;
    return legs;
  }
  // Sends REFER in `dialog` with this Refer-To value.
  static void refer(Ua& ua, DialogId dialog, const std::string& refer_to) {
    sip::Content c;
    c.content_type.clear();
    c.headers.emplace_back("Refer-To", refer_to);
    ASSERT_TRUE(ua.layer->request(dialog, "REFER", c).has_value());
  }
  static int response_to(const Ua& ua, std::string_view method) {
    for (auto it = ua.user.calls.rbegin(); it != ua.user.calls.rend(); ++it) {
      if (it->type == UserCall::Type::kResponse && it->method == method) return it->status;
    }
    return 0;
  }
  // The sipfrag status lines of the NOTIFYs `ua` received, in order.
  static std::vector<std::string> notifies(const Ua& ua) {
    std::vector<std::string> out;
    for (const UserCall& c : ua.user.calls) {
      if (c.type == UserCall::Type::kRequest && c.method == "NOTIFY") {
        out.push_back(c.body.substr(0, c.body.find("\r\n")));
      }
    }
    return out;
  }
  static bool hung_up_by_hotline(const Ua& ua, DialogId dialog) {
    for (const UserCall& c : ua.user.calls) {
      if (c.type == UserCall::Type::kTerminated && c.dialog == dialog) {
        return c.reason == sip::TerminationReason::kRemoteBye;
      }
    }
    return false;
  }
  static bool alive(const Ua& ua, DialogId dialog) { return ua.layer->find(dialog) != nullptr; }
  std::size_t count(std::string_view type) const {
    std::size_t n = 0;
    for (const Event& e : events) n += e.type == type ? 1 : 0;
    return n;
  }
};

// ---- DTMF --------------------------------------------------------------------

TEST_F(B2buaFeaturesTest, KeysOnABridgedCallAreEventsWithTheirLeg) {
  Legs legs = connect(alice, "1001", "1002", bob);
  auto eps = b2bua->media_of(legs.call);
  ASSERT_TRUE(eps.has_value());
  media::MediaEvent key = media_event(media::MediaEvent::Kind::kDtmf, eps->callee, '5');
  key.digit.duration_ms = 160;
  b2bua->on_media_event(key);
  b2bua->on_media_event(media_event(media::MediaEvent::Kind::kDtmf, eps->caller, '#'));
  std::vector<nlohmann::json> dtmf;
  for (const Event& e : events) {
    if (e.type == "call.dtmf") dtmf.push_back(e.payload);
  }
  ASSERT_EQ(dtmf.size(), 2u);
  EXPECT_EQ(dtmf[0]["digit"], "5");
  EXPECT_EQ(dtmf[0]["leg"], "callee");
  EXPECT_EQ(dtmf[0]["duration_ms"], 160);
  EXPECT_EQ(dtmf[1]["digit"], "#");
  EXPECT_EQ(dtmf[1]["leg"], "caller");
}

// ---- Hold ----------------------------------------------------------------------

TEST_F(B2buaFeaturesTest, HoldPlaysMusicToTheOtherPartyUntilResumed) {
  Legs legs = connect(alice, "1001", "1002", bob);
  auto eps = b2bua->media_of(legs.call);
  ASSERT_TRUE(eps.has_value());
  // Bob holds: his re-INVITE is answered recvonly, Alice hears the music.
  ASSERT_TRUE(bob.layer->request(legs.callee, "INVITE", sdp(kSdpBSendOnly)).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(response_to(bob, "INVITE"), 200);
  const UserCall* ok = bob.user.last(UserCall::Type::kResponse);
  ASSERT_NE(ok, nullptr);
  EXPECT_NE(ok->body.find("a=recvonly"), std::string::npos) << ok->body;
  ASSERT_NE(last("call.held"), nullptr);
  EXPECT_EQ(last("call.held")->payload["by"], "callee");
  ASSERT_EQ(play_endpoints.size(), 1u);
  EXPECT_EQ(play_endpoints[0], eps->caller);
  EXPECT_NE(plays[0].second.find("Please hold."), std::string::npos) << plays[0].second;
  // The music loops while the hold lasts.
  b2bua->on_media_event(media_event(media::MediaEvent::Kind::kPlaybackFinished, eps->caller));
  EXPECT_EQ(play_endpoints.size(), 2u);
  // A second hold offer (inactive) changes nothing; sendrecv resumes.
  ASSERT_TRUE(bob.layer->request(legs.callee, "INVITE", sdp(kSdpBInactive)).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(count("call.held"), 1u);
  ASSERT_TRUE(bob.layer->request(legs.callee, "INVITE", sdp(kSdpB)).has_value());
  advance(std::chrono::milliseconds(10));
  ASSERT_NE(last("call.resumed"), nullptr);
  EXPECT_EQ(last("call.resumed")->payload["by"], "callee");
  EXPECT_NE(bob.user.last(UserCall::Type::kResponse)->body.find("a=sendrecv"), std::string::npos);
  // The music ending after the resume does not start it again.
  b2bua->on_media_event(media_event(media::MediaEvent::Kind::kPlaybackFinished, eps->caller));
  EXPECT_EQ(play_endpoints.size(), 2u);
  // Alice was never re-INVITEd: media is anchored.
  EXPECT_EQ(alice.user.last_request("INVITE"), nullptr);
}

TEST_F(B2buaFeaturesTest, TheCallerCanHoldTooWithMusicToTheCallee) {
  Legs legs = connect(alice, "1001", "1002", bob);
  auto eps = b2bua->media_of(legs.call);
  ASSERT_TRUE(alice.layer->request(legs.caller, "INVITE", sdp(kSdpASendOnly)).has_value());
  advance(std::chrono::milliseconds(10));
  ASSERT_NE(last("call.held"), nullptr);
  EXPECT_EQ(last("call.held")->payload["by"], "caller");
  ASSERT_EQ(play_endpoints.size(), 1u);
  EXPECT_EQ(play_endpoints[0], eps->callee);
}

// ---- Blind transfer --------------------------------------------------------------

TEST_F(B2buaFeaturesTest, BlindTransferByTheCalleeConnectsTheCallerToTheTarget) {
  Legs legs = connect(alice, "1001", "1002", bob);
  answer_with(carol, 200);
  refer(bob, legs.callee, "<sip:1003@" + hot.endpoint.to_string() + ">");
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(response_to(bob, "REFER"), 202);
  EXPECT_EQ(notifies(bob), (std::vector<std::string>{"SIP/2.0 100 Trying", "SIP/2.0 200 OK"}));
  EXPECT_TRUE(hung_up_by_hotline(bob, legs.callee));
  ASSERT_NE(carol.user.last(UserCall::Type::kAck), nullptr);  // carol answered
  const Event* done = last("call.transferred");
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->call, legs.call);
  EXPECT_EQ(done->payload["kind"], "blind");
  EXPECT_EQ(done->payload["by"], "callee");
  EXPECT_EQ(done->payload["to"], "1003");
  // Carol sees the call as coming from Alice.
  EXPECT_NE(carol.user.calls.front().type, UserCall::Type::kTerminated);
  EXPECT_TRUE(alive(alice, legs.caller));
  EXPECT_EQ(alice.user.last_request("INVITE"), nullptr);  // no re-INVITE for Alice
  EXPECT_EQ(b2bua->active_calls(), 1u);
  EXPECT_EQ(last("call.ended"), nullptr);
  // Carol hangs up: Alice gets the BYE, the call ends once.
  const DialogId carol_leg = *carol.user.last(UserCall::Type::kAck)->dialog;
  ASSERT_TRUE(carol.layer->bye(carol_leg).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_TRUE(hung_up_by_hotline(alice, legs.caller));
  EXPECT_EQ(count("call.ended"), 1u);
  EXPECT_EQ(last("call.ended")->payload["cause"], "callee-hangup");
  advance(std::chrono::seconds(40));
  EXPECT_EQ(hot.layer->size(), 0u);
  EXPECT_EQ(media->endpoints(), 0u);
}

TEST_F(B2buaFeaturesTest, BlindTransferByTheCallerConnectsTheCalleeToTheTarget) {
  Legs legs = connect(alice, "1001", "1002", bob);
  answer_with(carol, 200);
  answer_with(alice, 200);  // (for the NOTIFYs)
  refer(alice, legs.caller, "<sip:1003@" + hot.endpoint.to_string() + ">");
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(response_to(alice, "REFER"), 202);
  EXPECT_EQ(notifies(alice), (std::vector<std::string>{"SIP/2.0 100 Trying", "SIP/2.0 200 OK"}));
  EXPECT_TRUE(hung_up_by_hotline(alice, legs.caller));
  EXPECT_TRUE(alive(bob, legs.callee));
  // Carol's INVITE comes from Bob's number now.
  const UserCall* invite = carol.user.last_request("INVITE");
  ASSERT_NE(invite, nullptr);
  ASSERT_NE(last("call.transferred"), nullptr);
  EXPECT_EQ(last("call.transferred")->payload["by"], "caller");
  // Bob (now the caller side) hangs up: Carol gets the BYE.
  ASSERT_TRUE(bob.layer->bye(legs.callee).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_TRUE(hung_up_by_hotline(carol, *carol.user.last(UserCall::Type::kAck)->dialog));
  EXPECT_EQ(count("call.ended"), 1u);
}

TEST_F(B2buaFeaturesTest, AFailedTransferReconnectsTheReferrer) {
  Legs legs = connect(alice, "1001", "1002", bob);
  answer_with(carol, 486);
  refer(bob, legs.callee, "<sip:1003@" + hot.endpoint.to_string() + ">");
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(notifies(bob),
            (std::vector<std::string>{"SIP/2.0 100 Trying", "SIP/2.0 486 Busy Here"}));
  ASSERT_NE(last("call.transfer_failed"), nullptr);
  EXPECT_EQ(last("call.transfer_failed")->payload["status"], 486);
  EXPECT_TRUE(alive(bob, legs.callee));
  EXPECT_TRUE(alive(alice, legs.caller));
  // Bob is Alice's party again: his BYE ends the call.
  ASSERT_TRUE(bob.layer->bye(legs.callee).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_TRUE(hung_up_by_hotline(alice, legs.caller));
  EXPECT_EQ(last("call.ended")->payload["cause"], "callee-hangup");
}

TEST_F(B2buaFeaturesTest, TransferToAnUnknownNumberIsRefused) {
  Legs legs = connect(alice, "1001", "1002", bob);
  refer(bob, legs.callee, "<sip:5555@" + hot.endpoint.to_string() + ">");
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(response_to(bob, "REFER"), 404);
  EXPECT_TRUE(alive(bob, legs.callee));
  EXPECT_EQ(last("call.transfer_requested"), nullptr);
}

TEST_F(B2buaFeaturesTest, TheReferrerMayHangUpWhileTheTargetRings) {
  Legs legs = connect(alice, "1001", "1002", bob);
  answer_with(carol, 0);  // rings
  refer(bob, legs.callee, "<sip:1003@" + hot.endpoint.to_string() + ">");
  advance(std::chrono::milliseconds(10));
  ASSERT_TRUE(bob.layer->bye(legs.callee).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(b2bua->active_calls(), 1u);  // Alice waits for Carol
  EXPECT_TRUE(alive(alice, legs.caller));
  const UserCall* invite = carol.user.last_request("INVITE");
  ASSERT_NE(invite, nullptr);
  ASSERT_TRUE(carol.layer->respond(invite->txn, Reply{200, "OK", {}, sdp(kSdpB)}).has_value());
  advance(std::chrono::milliseconds(10));
  ASSERT_NE(last("call.transferred"), nullptr);
  EXPECT_TRUE(alive(alice, legs.caller));
  // A transfer that nobody answers, with the referrer gone, ends the call.
}

TEST_F(B2buaFeaturesTest, AnUnansweredTransferWithTheReferrerGoneEndsTheCall) {
  Legs legs = connect(alice, "1001", "1002", bob);
  answer_with(carol, 0);
  refer(bob, legs.callee, "<sip:1003@" + hot.endpoint.to_string() + ">");
  advance(std::chrono::milliseconds(10));
  ASSERT_TRUE(bob.layer->bye(legs.callee).has_value());
  advance(std::chrono::seconds(31));  // the ring timeout
  EXPECT_EQ(carol.user.count(UserCall::Type::kCancelled), 1u);
  EXPECT_TRUE(hung_up_by_hotline(alice, legs.caller));
  EXPECT_EQ(last("call.ended")->payload["cause"], "no-answer");
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

// ---- Attended transfer and Replaces ------------------------------------------------

std::string escaped_replaces(const sip::DialogState& d) {
  // From the referrer's side: its dialog with hotline (to-tag = hotline's tag).
  std::string value = d.call_id + ";to-tag=" + d.remote_tag + ";from-tag=" + d.local_tag;
  std::string out;
  for (char c : value) {
    if (c == ';') {
      out += "%3B";
    } else if (c == '=') {
      out += "%3D";
    } else if (c == '@') {
      out += "%40";
    } else {
      out += c;
    }
  }
  return out;
}

TEST_F(B2buaFeaturesTest, AttendedTransferJoinsTheTwoOtherParties) {
  Legs first = connect(alice, "1001", "1002", bob);   // Alice - Bob
  Legs second = connect(bob, "1002", "1003", carol);  // Bob - Carol (Bob calls)
  ASSERT_NE(first.call, second.call);
  answer_with(bob, 200);  // NOTIFYs
  const sip::DialogState* consult = bob.layer->find(second.caller);
  ASSERT_NE(consult, nullptr);
  refer(bob, first.callee,
        "<sip:1003@" + hot.endpoint.to_string() + "?Replaces=" + escaped_replaces(*consult) + ">");
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(response_to(bob, "REFER"), 202);
  EXPECT_EQ(notifies(bob), (std::vector<std::string>{"SIP/2.0 100 Trying", "SIP/2.0 200 OK"}));
  // Bob's two legs are released; Alice and Carol stay, in the first call.
  EXPECT_TRUE(hung_up_by_hotline(bob, first.callee));
  EXPECT_TRUE(hung_up_by_hotline(bob, second.caller));
  EXPECT_TRUE(alive(alice, first.caller));
  EXPECT_TRUE(alive(carol, second.callee));
  const Event* done = last("call.transferred");
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->call, first.call);
  EXPECT_EQ(done->payload["kind"], "attended");
  EXPECT_EQ(done->payload["joined_call"], second.call);
  ASSERT_NE(last("call.ended"), nullptr);
  EXPECT_EQ(last("call.ended")->call, second.call);
  EXPECT_EQ(last("call.ended")->payload["cause"], "transferred");
  EXPECT_EQ(b2bua->active_calls(), 1u);
  auto eps = b2bua->media_of(first.call);
  ASSERT_TRUE(eps.has_value());
  EXPECT_EQ(media->endpoints(), 2u);  // Bob's two endpoints are gone
  // Carol hangs up: Alice gets the BYE.
  ASSERT_TRUE(carol.layer->bye(second.callee).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_TRUE(hung_up_by_hotline(alice, first.caller));
  EXPECT_EQ(last("call.ended")->call, first.call);
  EXPECT_EQ(last("call.ended")->payload["cause"], "callee-hangup");
  advance(std::chrono::seconds(40));
  EXPECT_EQ(hot.layer->size(), 0u);
}

TEST_F(B2buaFeaturesTest, AReplacesNamingNoCallOfOursIsRefused) {
  Legs legs = connect(alice, "1001", "1002", bob);
  refer(bob, legs.callee,
        "<sip:1003@" + hot.endpoint.to_string() + "?Replaces=nope%3Bto-tag%3Da%3Bfrom-tag%3Db>");
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(response_to(bob, "REFER"), 403);
  EXPECT_TRUE(alive(bob, legs.callee));
}

TEST_F(B2buaFeaturesTest, AnInviteWithReplacesTakesTheLegsPlace) {
  Legs legs = connect(alice, "1001", "1002", bob);
  const sip::DialogState* bob_leg = bob.layer->find(legs.callee);
  ASSERT_NE(bob_leg, nullptr);
  sip::OutgoingInvite invite = call_from(dave, "<sip:1004@example.com>", "1002");
  invite.content.headers.emplace_back(
      "Replaces",
      bob_leg->call_id + ";to-tag=" + bob_leg->local_tag + ";from-tag=" + bob_leg->remote_tag);
  auto txn = dave.layer->invite(invite);
  ASSERT_TRUE(txn.has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(final_status(dave), 200);
  EXPECT_TRUE(hung_up_by_hotline(bob, legs.callee));
  EXPECT_TRUE(alive(alice, legs.caller));
  ASSERT_NE(last("call.transferred"), nullptr);
  EXPECT_EQ(last("call.transferred")->payload["kind"], "replaces");
  EXPECT_EQ(last("call.transferred")->payload["to"], "1004");
  EXPECT_EQ(b2bua->active_calls(), 1u);
  // Alice hangs up: Dave gets the BYE.
  ASSERT_TRUE(alice.layer->bye(legs.caller).has_value());
  advance(std::chrono::milliseconds(10));
  const UserCall* ended = dave.user.last(UserCall::Type::kTerminated);
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->reason, sip::TerminationReason::kRemoteBye);
}

TEST_F(B2buaFeaturesTest, AnInviteWithReplacesForNoCallIs481) {
  sip::OutgoingInvite invite = call_from(dave, "<sip:1004@example.com>", "1002");
  invite.content.headers.emplace_back("Replaces", "nope;to-tag=a;from-tag=b");
  ASSERT_TRUE(dave.layer->invite(invite).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(final_status(dave), 481);
}

// ---- Recording -----------------------------------------------------------------

TEST_F(B2buaFeaturesTest, AConnectedCallIsRecordedAndTheFileReported) {
  hotline::testing::TempDir dir;
  B2buaConfig config;
  config.recording.mode = RecordingMode::kStereo;
  config.recording.dir = dir.path();
  build(config);
  Legs legs = connect(alice, "1001", "1002", bob);
  const Event* started = last("call.recording_started");
  ASSERT_NE(started, nullptr);
  EXPECT_EQ(started->call, legs.call);
  EXPECT_EQ(started->payload["mode"], "stereo");
  const std::string path = started->payload["path"];
  EXPECT_EQ(std::filesystem::path(path).parent_path(), dir.path());
  EXPECT_TRUE(b2bua->pause_recording(legs.call).has_value());
  EXPECT_TRUE(b2bua->resume_recording(legs.call).has_value());
  EXPECT_EQ(count("call.recording_paused"), 1u);
  EXPECT_EQ(count("call.recording_resumed"), 1u);
  ASSERT_TRUE(bob.layer->bye(legs.callee).has_value());
  advance(std::chrono::milliseconds(10));
  // The file is final once the media engine says so (after the call ended).
  deliver_media(media::MediaEvent::Kind::kRecordingStopped);
  const Event* stopped = last("call.recording_stopped");
  ASSERT_NE(stopped, nullptr);
  EXPECT_EQ(stopped->call, legs.call);
  EXPECT_EQ(stopped->payload["path"], path);
  EXPECT_GE(stopped->payload["duration_s"].get<double>(), 0.0);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_GE(std::filesystem::file_size(path), 44u);             // a WAV header at least
  EXPECT_FALSE(b2bua->pause_recording(legs.call).has_value());  // the call is gone
}

TEST_F(B2buaFeaturesTest, RecordingFollowsThePerExtensionOverride) {
  hotline::testing::TempDir dir;
  B2buaConfig config;
  config.recording.mode = RecordingMode::kStereo;
  config.recording.dir = dir.path();
  config.recording.extensions["1002"] = RecordingMode::kOff;
  config.recording.extensions["1003"] = RecordingMode::kMixed;
  build(config);
  Legs legs = connect(alice, "1001", "1002", bob);
  EXPECT_EQ(last("call.recording_started"), nullptr);
  EXPECT_FALSE(b2bua->pause_recording(legs.call).has_value());
  // Transferred to 1003, the call is recorded from then on, mixed.
  answer_with(carol, 200);
  refer(bob, legs.callee, "<sip:1003@" + hot.endpoint.to_string() + ">");
  advance(std::chrono::milliseconds(10));
  ASSERT_NE(last("call.recording_started"), nullptr);
  EXPECT_EQ(last("call.recording_started")->payload["mode"], "mixed");
}

TEST(RecordingPolicy, QueueOverridesComeBeforeExtensionOverrides) {
  RecordingPolicy p;
  p.mode = RecordingMode::kStereo;
  p.queues["sales"] = RecordingMode::kOff;
  p.extensions["1002"] = RecordingMode::kMixed;
  EXPECT_EQ(p.for_call("sales", "1002"), RecordingMode::kOff);
  EXPECT_EQ(p.for_call("support", "1002"), RecordingMode::kMixed);
  EXPECT_EQ(p.for_call("", "1003"), RecordingMode::kStereo);
}

}  // namespace
}  // namespace hotline::sw
