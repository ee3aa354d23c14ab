#include "switch/b2bua.hpp"

#include <gtest/gtest.h>

#include "cc/ivr/flow_loader.hpp"
#include "sip/dialog_test_support.hpp"
#include "sip/stateless_response.hpp"
#include "support/test_support.hpp"

namespace hotline::sw {
namespace {

using sip::DialogId;
using sip::IncomingRequest;
using sip::Reply;
using sip::testing::kSdpA;
using sip::testing::kSdpB;
using sip::testing::Net;
using sip::testing::sdp;
using sip::testing::Ua;
using sip::testing::UserCall;

struct Event {
  std::string type;
  CallId call;
  nlohmann::json payload;
};

constexpr const char* kPlan = R"(
dialplan:
  - { name: blocked, number: "666", to: { reject: 403 } }
  - { name: extensions, number: { pattern: "10XX" }, from: extension, to: extension }
  - { name: support, number: "200", to: { queue: support } }
  - { name: menu, number: "100", to: { ivr: menu } }
  - { name: broken menu, number: "101", to: { ivr: gone } }
)";

constexpr const char* kFlows = R"(
flows:
  menu:
    start: welcome
    nodes:
      welcome:
        type: play
        prompt: { tts: "Welcome." }
        next: main
      main:
        type: menu
        prompt: { tts: "For Bob press 1, to queue press 2, to hang up press 3." }
        choices: { "1": bob, "2": support, "3": bye }
        timeout: 5s
        attempts: 2
        fallback: bye
      bob: { type: extension, extension: "1002" }
      support: { type: queue, queue: support }
      bye: { type: hangup }
)";

std::shared_ptr<const cc::ivr::FlowSet> load_flows() {
  ConfigErrors errors;
  auto flows = cc::ivr::load_flows_from_text(kFlows, "flows.yaml", {}, errors);
  EXPECT_TRUE(flows.has_value()) << errors.to_string();
  return std::make_shared<const cc::ivr::FlowSet>(std::move(*flows));
}

DialPlan load_plan() {
  ConfigErrors errors;
  auto doc = parse_yaml(kPlan, "plan.yaml", errors);
  EXPECT_TRUE(doc.has_value());
  auto root = ConfigNode::root(*doc, "plan.yaml", errors);
  DialPlan plan = read_dial_plan(root.child("dialplan"), root.child("numbering"), {});
  EXPECT_TRUE(errors.empty()) << errors.to_string();
  return plan;
}

std::unique_ptr<media::MediaEngine> start_media() {
  media::EngineConfig config;
  config.bind_address = "127.0.0.1";
  config.sdp_address = "127.0.0.1";
  std::tie(config.port_min, config.port_max) = hotline::testing::private_port_range();
  config.threads = 1;
  auto engine = media::MediaEngine::start(config, [](const media::MediaEvent&) {});
  EXPECT_TRUE(engine.has_value()) << engine.error().message;
  return std::move(*engine);
}

class B2buaTest : public ::testing::Test {
 protected:
  B2buaTest() {
    net.attach(alice);
    net.attach(bob);
    net.attach(hot);
    net.attach(carol);
    B2buaPorts ports;
    ports.locate = [this](std::string_view ext) {
      std::vector<Contact> out;
      if (ext == "1002") {
        out.push_back({"sip:bob@" + bob.endpoint.to_string(), hot.peer_to(bob)});
        if (second_device)
          out.push_back({"sip:carol@" + carol.endpoint.to_string(), hot.peer_to(carol)});
      }
      return out;
    };
    ports.authenticate_extension = [](const IncomingRequest& r) -> std::optional<std::string> {
      return r.request.from().uri.user_unescaped();
    };
    ports.emit = [this](std::string_view type, CallId call, const nlohmann::json& payload) {
      events.push_back({std::string(type), call, payload});
    };
    ports.flow = [this](std::string_view name) { return flows->find(name); };
    // Prompts: the test plays the media engine's part (it says when a prompt ends).
    ports.play = [this](CallId call, media::EndpointId, const cc::ivr::Command& c) {
      plays.push_back({call, cc::ivr::describe(c)});
    };
    ports.enqueue = [this](CallId call, const cc::ivr::RouteToQueue& q) {
      queued.push_back({call, q.queue});
      return true;
    };
    B2buaConfig config;
    config.contact = hot.contact();
    config.domain = hot.endpoint.to_string();
    b2bua = std::make_unique<B2bua>(clock, *media, std::move(ports), config);
    sip::TransactionConfig tc;
    tc.random = [rng = std::mt19937_64(9)]() mutable { return rng(); };
    sip::DialogConfig dc;
    dc.default_contact = hot.contact();
    hot.layer =
        std::make_unique<sip::DialogLayer>(hot.sender, *b2bua, clock, std::move(tc), std::move(dc));
    b2bua->attach(*hot.layer);
    b2bua->set_routing(load_plan(), TrunkTable{});
  }

  // Moves virtual time by `d`, stopping at every deadline and delivering traffic.
  void advance(Duration d) {
    const MonoTime target = clock.mono() + d;
    net.pump();
    for (;;) {
      std::optional<MonoTime> next = b2bua->next_deadline();
      for (Ua* ua : {&alice, &bob, &carol, &hot}) {
        auto n = ua->layer->next_deadline();
        if (n && (!next || *n < *next)) next = n;
      }
      if (!next || *next > target) break;
      if (*next > clock.mono()) clock.advance(*next - clock.mono());
      for (Ua* ua : {&alice, &bob, &carol, &hot}) ua->layer->on_timer(clock.mono());
      b2bua->on_timer(clock.mono());
      net.pump();
    }
    if (target > clock.mono()) clock.advance(target - clock.mono());
  }

  sip::OutgoingInvite call_to(const std::string& number, std::string body = kSdpA) {
    sip::OutgoingInvite o;
    o.request_uri = "sip:" + number + "@" + hot.endpoint.to_string();
    o.from = "\"Alice\" <sip:1001@example.com>";
    o.to = "<sip:" + number + "@example.com>";
    o.contact = alice.contact();
    o.destination = alice.peer_to(hot);
    o.content = sdp(body);
    return o;
  }

  // `ua` answers a new INVITE with 180, then `status` (200 with kSdpB).
  static void answer_with(Ua& ua, int status, bool ring = true) {
    ua.user.on_request_hook = [&ua, status, ring](const IncomingRequest& r) {
      if (r.request.method() != "INVITE" || r.dialog) return;
      if (ring) {
        EXPECT_TRUE(ua.layer->respond(r.txn, Reply{180, "Ringing", {}, {}}).has_value());
      }
      if (status == 0) return;
      Reply reply{status, std::string(sip::reason_phrase(status)), {}, {}};
      if (status == 200) reply.content = sdp(kSdpB);
      EXPECT_TRUE(ua.layer->respond(r.txn, reply).has_value());
    };
  }

  int final_status(Ua& ua) {
    for (auto it = ua.user.calls.rbegin(); it != ua.user.calls.rend(); ++it) {
      if (it->type == UserCall::Type::kResponse && it->method == "INVITE" && it->status >= 200) {
        return it->status;
      }
    }
    return 0;
  }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const Event& e : events) out.push_back(e.type);
    return out;
  }
  const Event* last(std::string_view type) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->type == type) return &*it;
    }
    return nullptr;
  }

  ManualClock clock;
  std::unique_ptr<media::MediaEngine> media = start_media();
  Net net;
  Ua alice{net, clock, sip::Endpoint{"192.0.2.1", 5060}, 1};
  Ua bob{net, clock, sip::Endpoint{"192.0.2.2", 5060}, 2};
  Ua carol{net, clock, sip::Endpoint{"192.0.2.3", 5060}, 3};
  Ua hot{net, clock, sip::Endpoint{"192.0.2.10", 5060}, 4};
  bool second_device = false;
  std::shared_ptr<const cc::ivr::FlowSet> flows = load_flows();
  std::vector<std::pair<CallId, std::string>> plays;
  std::vector<std::pair<CallId, std::string>> queued;
  std::unique_ptr<B2bua> b2bua;
  std::vector<Event> events;
};

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

TEST_F(B2buaTest, DialPlanOutcomes) {
  struct Case {
    const char* number;
    int status;
    const char* cause;
  } cases[] = {
      {"666", 403, "rejected"},      // a reject rule
      {"5555", 404, "rejected"},     // no rule
      {"1003", 480, "unavailable"},  // an extension with no device registered
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

// The media engine's side of a prompt or a key, as the server's event loop hands it on.
media::MediaEvent media_event(media::MediaEvent::Kind kind, media::EndpointId ep, char digit = 0) {
  media::MediaEvent e;
  e.kind = kind;
  e.endpoint = ep;
  e.digit.digit = digit;
  return e;
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

}  // namespace
}  // namespace hotline::sw
