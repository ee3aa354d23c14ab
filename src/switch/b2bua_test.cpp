#include "switch/b2bua.hpp"

#include <gtest/gtest.h>

#include "sip/dialog_test_support.hpp"
#include "sip/stateless_response.hpp"

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
)";

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
  config.port_min = 41000;
  config.port_max = 41999;
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
                                      "call.ringing", "call.answered"}));
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
      {"200", 501, "rejected"},      // queues come with the ACD integration
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

TEST_F(B2buaTest, UnusableOfferIs488) {
  ASSERT_TRUE(alice.layer->invite(call_to("1002", "v=0\r\nthis is not sdp\r\n")).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(final_status(alice), 488);
  EXPECT_EQ(bob.user.count(UserCall::Type::kRequest), 0u);  // never rang
}

}  // namespace
}  // namespace hotline::sw
