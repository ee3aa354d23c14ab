// The contact center end to end in memory: callers and agent phones are real SIP
// user agents on an in-memory network, the B2BUA and the media engine are the real
// ones, the ACD is the same engine the simulator runs, and time is a ManualClock.
#include "switch/contact_center.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "switch/b2bua_test_fixture.hpp"

namespace hotline::sw {
namespace {

using sip::IncomingRequest;
using sip::Reply;
using sip::testing::kSdpA;
using sip::testing::kSdpB;
using sip::testing::Net;
using sip::testing::sdp;
using sip::testing::Ua;
using sip::testing::UserCall;

using testing::Event;

constexpr const char* kPlan = R"(
dialplan:
  - { name: first, number: "300", to: { queue: first } }
  - { name: second, number: "301", to: { queue: second } }
  - { name: vip, number: "400", to: { ivr: vip } }
)";

constexpr const char* kFlows = R"(
flows:
  vip:
    start: line
    nodes:
      line: { type: queue, queue: first, priority: 5, skills: { english: 3 } }
)";

// How an agent's phone treats an incoming call.
enum class Phone { kAnswer, kRingForever, kBusy };

constexpr std::size_t kAgents = 12;

class ContactCenterTest : public ::testing::Test {
 protected:
  ContactCenterTest() {
    net.attach(caller);
    net.attach(hot);
    for (std::size_t i = 0; i < kAgents; ++i) {
      agents.push_back(std::make_unique<Ua>(
          net, clock, sip::Endpoint{"192.0.2." + std::to_string(100 + i), 5060}, 10 + i));
      net.attach(*agents.back());
      phone.push_back(Phone::kAnswer);
      set_phone(i);
    }
    B2buaPorts ports;
    ports.locate = [this](std::string_view ext) {
      std::vector<Contact> out;
      for (std::size_t i = 0; i < kAgents; ++i) {
        if (ext == extension(i) && registered[i]) {
          out.push_back({"sip:agent@" + agents[i]->endpoint.to_string(), hot.peer_to(*agents[i])});
        }
      }
      return out;
    };
    ports.authenticate_extension = [](const IncomingRequest& r) -> std::optional<std::string> {
      return r.request.from().uri.user_unescaped();
    };
    ports.emit = [this](std::string_view type, CallId call, const nlohmann::json& payload) {
      events.push_back({std::string(type), call, payload});
    };
    ports.play = [this](CallId call, media::EndpointId ep, const cc::ivr::Command& c) {
      plays.push_back({call, cc::ivr::describe(c)});
      endpoint_of[call] = ep;
    };
    ports.flow = [this](std::string_view name) { return flows->find(name); };
    b2bua = testing::make_b2bua(hot, clock, *media, std::move(ports), B2buaConfig{});
    b2bua->set_routing(testing::load_plan(kPlan), TrunkTable{});
  }

  static std::string extension(std::size_t i) { return std::to_string(2001 + i); }

  // Two queues, `first` and `second`; every agent a member of both (penalty 0).
  void start(cc::Strategy strategy, std::size_t agent_count,
             std::function<void(cc::QueueConfig&)> tweak = {},
             std::function<void(std::size_t, cc::AgentConfig&)> agent_tweak = {}) {
    ContactCenterSetup setup;
    setup.skills = {"english"};
    for (const char* name : {"first", "second"}) {
      CcQueueSetup q;
      q.config.name = name;
      q.config.strategy = strategy;
      q.config.ring_timeout = std::chrono::seconds(15);
      if (tweak) tweak(q.config);
      setup.queues.push_back(q);
    }
    for (std::size_t i = 0; i < agent_count; ++i) {
      cc::AgentConfig a;
      a.name = "agent" + std::to_string(i);
      a.devices = {extension(i)};
      a.memberships = {{cc::QueueId{0}, 0}, {cc::QueueId{1}, 0}};
      if (agent_tweak) agent_tweak(i, a);
      setup.agents.push_back(a);
    }
    auto made = ContactCenter::create(clock, *b2bua, std::move(setup));
    ASSERT_TRUE(made.has_value()) << made.error().message;
    center = std::move(*made);
  }
  void ready_all(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(
          center->set_presence(cc::AgentId{static_cast<std::uint32_t>(i)}, cc::Presence::kReady));
    }
  }

  void set_phone(std::size_t i) {
    Ua& ua = *agents[i];
    ua.user.on_request_hook = [this, &ua, i](const IncomingRequest& r) {
      if (r.request.method() != "INVITE" || r.dialog) return;
      if (phone[i] == Phone::kBusy) {
        EXPECT_TRUE(ua.layer->respond(r.txn, Reply{486, "Busy Here", {}, {}}).has_value());
        return;
      }
      EXPECT_TRUE(ua.layer->respond(r.txn, Reply{180, "Ringing", {}, {}}).has_value());
      if (phone[i] == Phone::kRingForever) return;
      Reply ok{200, "OK", {}, {}};
      ok.content = sdp(kSdpB);
      EXPECT_TRUE(ua.layer->respond(r.txn, ok).has_value());
    };
  }

  void advance(Duration d) {
    const MonoTime target = clock.mono() + d;
    net.pump();
    for (;;) {
      std::optional<MonoTime> next = b2bua->next_deadline();
      auto consider = [&](std::optional<MonoTime> n) {
        if (n && (!next || *n < *next)) next = n;
      };
      if (center) consider(center->next_deadline());
      for (Ua* ua : all()) consider(ua->layer->next_deadline());
      if (!next || *next > target) break;
      if (*next > clock.mono()) clock.advance(*next - clock.mono());
      for (Ua* ua : all()) ua->layer->on_timer(clock.mono());
      b2bua->on_timer(clock.mono());
      if (center) center->on_timer(clock.mono());
      net.pump();
    }
    if (target > clock.mono()) clock.advance(target - clock.mono());
  }
  std::vector<Ua*> all() {
    std::vector<Ua*> out{&caller, &hot};
    for (auto& a : agents) out.push_back(a.get());
    return out;
  }

  // Places a call from `from` (the caller UA unless given) to `number`.
  sip::TransactionId dial(const std::string& number, Ua* from = nullptr,
                          const std::string& user = "1001") {
    Ua& ua = from != nullptr ? *from : caller;
    sip::OutgoingInvite o;
    o.request_uri = "sip:" + number + "@" + hot.endpoint.to_string();
    o.from = "<sip:" + user + "@example.com>";
    o.to = "<sip:" + number + "@example.com>";
    o.contact = ua.contact();
    o.destination = ua.peer_to(hot);
    o.content = sdp(kSdpA);
    auto txn = ua.layer->invite(o);
    EXPECT_TRUE(txn.has_value());
    advance(std::chrono::milliseconds(10));
    return txn.value_or(0);
  }
  // The dialog the caller's INVITE `txn` made (answered with 200).
  std::optional<sip::DialogId> dialog_of(Ua& ua, sip::TransactionId txn) {
    for (const UserCall& c : ua.user.calls) {
      if (c.type == UserCall::Type::kResponse && c.txn == txn && c.status == 200) return c.dialog;
    }
    return std::nullopt;
  }
  int final_status(Ua& ua, sip::TransactionId txn) {
    for (const UserCall& c : ua.user.calls) {
      if (c.type == UserCall::Type::kResponse && c.txn == txn && c.status >= 200) return c.status;
    }
    return 0;
  }
  void hang_up(sip::TransactionId txn) {
    auto d = dialog_of(caller, txn);
    ASSERT_TRUE(d.has_value());
    ASSERT_TRUE(caller.layer->bye(*d).has_value());
    advance(std::chrono::milliseconds(10));
  }
  std::size_t invites(std::size_t agent) const {
    std::size_t n = 0;
    for (const UserCall& c : agents[agent]->user.calls) {
      n += c.type == UserCall::Type::kRequest && c.method == "INVITE" && !c.dialog ? 1 : 0;
    }
    return n;
  }
  std::size_t count(std::string_view type) const {
    return static_cast<std::size_t>(std::count_if(events.begin(), events.end(),
                                                  [&](const Event& e) { return e.type == type; }));
  }
  const Event* last(std::string_view type) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->type == type) return &*it;
    }
    return nullptr;
  }
  cc::AgentState state(std::size_t i) {
    auto s = center->acd().agent_state(cc::AgentId{static_cast<std::uint32_t>(i)});
    EXPECT_TRUE(s.has_value());
    return s.value_or(cc::AgentState::kLoggedOut);
  }
  void playback_finished(CallId call) {
    media::MediaEvent e;
    e.kind = media::MediaEvent::Kind::kPlaybackFinished;
    e.endpoint = endpoint_of[call];
    b2bua->on_media_event(e);
    advance(std::chrono::milliseconds(10));
  }

  ManualClock clock;
  std::unique_ptr<media::MediaEngine> media = testing::start_media();
  Net net;
  Ua caller{net, clock, sip::Endpoint{"192.0.2.1", 5060}, 1};
  Ua hot{net, clock, sip::Endpoint{"192.0.2.10", 5060}, 4};
  std::vector<std::unique_ptr<Ua>> agents;
  std::vector<Phone> phone;
  std::vector<bool> registered = std::vector<bool>(kAgents, true);
  std::unique_ptr<B2bua> b2bua;
  std::unique_ptr<ContactCenter> center;
  std::vector<Event> events;
  std::vector<std::pair<CallId, std::string>> plays;
  std::map<CallId, media::EndpointId> endpoint_of;
  std::shared_ptr<const cc::ivr::FlowSet> flows = testing::load_flows(kFlows);
};

TEST_F(ContactCenterTest, RoundRobinSpreadsCallsEvenly) {
  start(cc::Strategy::kRoundRobin, 10);
  ready_all(10);
  for (int i = 0; i < 30; ++i) {
    auto txn = dial("300");
    ASSERT_EQ(final_status(caller, txn), 200);
    ASSERT_NE(last("call.connected"), nullptr);
    hang_up(txn);
  }
  for (std::size_t a = 0; a < 10; ++a) EXPECT_EQ(invites(a), 3u) << "agent " << a;
  EXPECT_EQ(count("interaction.queued"), 30u);
  EXPECT_EQ(count("interaction.answered"), 30u);
  EXPECT_EQ(count("interaction.ended"), 30u);
  EXPECT_EQ(center->waiting_calls(), 0u);
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(ContactCenterTest, LinearFillsTheFirstAgentFirst) {
  start(cc::Strategy::kLinear, 10);
  ready_all(10);
  for (int i = 0; i < 5; ++i) {
    auto txn = dial("300");
    ASSERT_EQ(final_status(caller, txn), 200);
    hang_up(txn);
  }
  EXPECT_EQ(invites(0), 5u);
  for (std::size_t a = 1; a < 10; ++a) EXPECT_EQ(invites(a), 0u);
  // Three calls at once: the first three agents, in order.
  for (int i = 0; i < 3; ++i) dial("300");
  EXPECT_EQ(invites(0), 6u);
  EXPECT_EQ(invites(1), 1u);
  EXPECT_EQ(invites(2), 1u);
  EXPECT_EQ(invites(3), 0u);
  EXPECT_EQ(state(0), cc::AgentState::kBusy);
  EXPECT_EQ(state(2), cc::AgentState::kBusy);
  EXPECT_EQ(state(3), cc::AgentState::kReady);
}

TEST_F(ContactCenterTest, RonaMovesTheCallToTheNextAgent) {
  start(cc::Strategy::kLinear, 3);
  ready_all(3);
  phone[0] = Phone::kRingForever;
  auto txn = dial("300");
  EXPECT_EQ(final_status(caller, txn), 200);  // answered by hotline: the caller waits
  EXPECT_EQ(invites(0), 1u);
  EXPECT_EQ(invites(1), 0u);
  EXPECT_EQ(state(0), cc::AgentState::kReserved);
  advance(std::chrono::seconds(16));  // the queue's ring timeout is 15 s
  EXPECT_EQ(agents[0]->user.count(UserCall::Type::kCancelled), 1u);
  EXPECT_EQ(invites(1), 1u);
  ASSERT_NE(last("interaction.rona"), nullptr);
  EXPECT_EQ(last("interaction.rona")->payload["agent"], "agent0");
  EXPECT_EQ(last("interaction.rona")->payload["declined"], false);
  ASSERT_NE(last("interaction.answered"), nullptr);
  EXPECT_EQ(last("interaction.answered")->payload["agent"], "agent1");
  EXPECT_EQ(state(1), cc::AgentState::kBusy);
  EXPECT_EQ(state(0), cc::AgentState::kReady);  // one miss is under the limit of 3
}

TEST_F(ContactCenterTest, MissedOffersSetTheAgentNotReady) {
  start(cc::Strategy::kLinear, 1);
  ready_all(1);
  phone[0] = Phone::kBusy;  // a refusal counts like ringing out: the timeout moves it on
  auto txn = dial("300");
  EXPECT_EQ(final_status(caller, txn), 200);
  advance(std::chrono::seconds(16 * 3));
  EXPECT_EQ(state(0), cc::AgentState::kNotReady);
  ASSERT_NE(last("agent.missed_offers_limit"), nullptr);
  ASSERT_NE(last("agent.state_changed"), nullptr);
  EXPECT_EQ(last("agent.state_changed")->payload["reason"], "missed-offers");
  EXPECT_EQ(count("interaction.rona"), 3u);
  EXPECT_EQ(b2bua->active_calls(), 1u);  // still waiting
}

TEST_F(ContactCenterTest, RingAllConnectsTheFirstToAnswerAndCancelsTheRest) {
  start(cc::Strategy::kRingAll, 3);
  ready_all(3);
  phone[0] = Phone::kRingForever;
  phone[1] = Phone::kRingForever;
  auto txn = dial("300");
  EXPECT_EQ(final_status(caller, txn), 200);
  for (std::size_t a = 0; a < 3; ++a) EXPECT_EQ(invites(a), 1u) << a;
  EXPECT_EQ(agents[0]->user.count(UserCall::Type::kCancelled), 1u);
  EXPECT_EQ(agents[1]->user.count(UserCall::Type::kCancelled), 1u);
  EXPECT_EQ(last("interaction.answered")->payload["agent"], "agent2");
  EXPECT_EQ(state(0), cc::AgentState::kReady);
  EXPECT_EQ(state(1), cc::AgentState::kReady);
  EXPECT_EQ(state(2), cc::AgentState::kBusy);
  hang_up(txn);
  EXPECT_EQ(count("interaction.ended"), 1u);
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(ContactCenterTest, AnIvrQueueNodeBringsItsPriorityAndSkills) {
  start(cc::Strategy::kLinear, 2, {}, [](std::size_t i, cc::AgentConfig& a) {
    a.skills = {{0, i == 0 ? 2 : 5}};  // english: agent0 level 2, agent1 level 5
  });
  ready_all(2);
  auto txn = dial("400");
  EXPECT_EQ(final_status(caller, txn), 200);
  ASSERT_NE(last("interaction.queued"), nullptr);
  EXPECT_EQ(last("interaction.queued")->payload["priority"], 5);
  EXPECT_EQ(last("interaction.queued")->payload["queue"], "first");
  EXPECT_EQ(invites(0), 0u);  // below the node's minimum level 3
  EXPECT_EQ(invites(1), 1u);
  EXPECT_EQ(last("interaction.answered")->payload["agent"], "agent1");
}

TEST_F(ContactCenterTest, CallerWaitsWithMusicAndAbandons) {
  start(cc::Strategy::kLinear, 2);  // nobody logged in
  auto txn = dial("300");
  ASSERT_EQ(final_status(caller, txn), 200);
  ASSERT_FALSE(plays.empty());
  EXPECT_NE(plays.back().second.find("moh/default"), std::string::npos) << plays.back().second;
  // The music loops.
  const CallId call = plays.back().first;
  playback_finished(call);
  EXPECT_EQ(plays.size(), 2u);
  EXPECT_EQ(center->waiting_calls(), 1u);
  advance(std::chrono::seconds(20));
  hang_up(txn);
  ASSERT_NE(last("interaction.abandoned"), nullptr);
  EXPECT_EQ(last("interaction.abandoned")->call, call);
  EXPECT_NEAR(last("interaction.abandoned")->payload["wait_s"].get<double>(), 20.0, 0.1);
  EXPECT_EQ(last("call.ended")->payload["cause"], "caller-hangup");
  EXPECT_EQ(center->waiting_calls(), 0u);
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(ContactCenterTest, CallerHangingUpWhileAnAgentRingsCancelsIt) {
  start(cc::Strategy::kLinear, 1);
  ready_all(1);
  phone[0] = Phone::kRingForever;
  auto txn = dial("300");
  EXPECT_EQ(invites(0), 1u);
  hang_up(txn);
  EXPECT_EQ(agents[0]->user.count(UserCall::Type::kCancelled), 1u);
  EXPECT_EQ(count("interaction.abandoned"), 1u);
  EXPECT_EQ(state(0), cc::AgentState::kReady);
}

TEST_F(ContactCenterTest, AnAgentInWrapUpIsNotOffered) {
  start(cc::Strategy::kLinear, 2, [](cc::QueueConfig& q) { q.wrapup = std::chrono::seconds(30); });
  ready_all(2);
  auto first = dial("300");
  EXPECT_EQ(invites(0), 1u);
  // The agent hangs up: wrap-up starts.
  const UserCall* ack = agents[0]->user.last(UserCall::Type::kAck);
  ASSERT_NE(ack, nullptr);
  ASSERT_TRUE(agents[0]->layer->bye(*ack->dialog).has_value());
  advance(std::chrono::milliseconds(10));
  EXPECT_EQ(last("call.ended")->payload["cause"], "callee-hangup");
  EXPECT_EQ(final_status(caller, first), 200);
  EXPECT_EQ(state(0), cc::AgentState::kWrapUp);
  ASSERT_NE(last("agent.wrapup_started"), nullptr);
  EXPECT_EQ(count("interaction.ended"), 1u);
  // The next call goes to the second agent although the first comes first.
  auto second = dial("301");
  EXPECT_EQ(invites(0), 1u);
  EXPECT_EQ(invites(1), 1u);
  hang_up(second);
  advance(std::chrono::seconds(31));  // both wrap-ups are over
  EXPECT_EQ(state(0), cc::AgentState::kReady);
  dial("300");
  EXPECT_EQ(invites(0), 2u);
}

TEST_F(ContactCenterTest, MaxWaitEndsTheCallAtTheExit) {
  start(cc::Strategy::kLinear, 1, [](cc::QueueConfig& q) {
    q.max_wait = std::chrono::seconds(60);
    q.exit_destination = "hangup";  // not an extension: the call ends
    q.announce_period = std::chrono::seconds(25);
  });
  auto txn = dial("300");
  ASSERT_EQ(final_status(caller, txn), 200);
  advance(std::chrono::seconds(26));
  bool announced = false;
  for (const auto& [call, text] : plays) {
    announced = announced || text.find("You are number 1 in line") != std::string::npos;
  }
  EXPECT_TRUE(announced);
  advance(std::chrono::seconds(40));
  ASSERT_NE(last("interaction.timed_out"), nullptr);
  EXPECT_EQ(last("call.ended")->payload["cause"], "queue-timeout");
  const UserCall* ended = caller.user.last(UserCall::Type::kTerminated);
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->reason, sip::TerminationReason::kRemoteBye);
  EXPECT_EQ(center->waiting_calls(), 0u);
}

TEST_F(ContactCenterTest, MaxWaitRoutesToAnExtensionExit) {
  start(cc::Strategy::kLinear, 2, [](cc::QueueConfig& q) {
    q.max_wait = std::chrono::seconds(60);
    q.exit_destination = "2002";  // agent1's phone, not logged in
  });
  auto txn = dial("300");
  ASSERT_EQ(final_status(caller, txn), 200);
  advance(std::chrono::seconds(61));
  EXPECT_EQ(invites(1), 1u);
  EXPECT_EQ(last("call.connected")->payload["device"], "sip:agent@192.0.2.101:5060");
  EXPECT_EQ(center->waiting_calls(), 0u);
  hang_up(txn);
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(ContactCenterTest, FeatureCodesLogInReadyNotReadyAndOut) {
  start(cc::Strategy::kLinear, 3);
  Ua& phone0 = *agents[0];
  auto feature = [&](const std::string& code) {
    auto txn = dial(code, &phone0, extension(0));
    return final_status(phone0, txn);
  };
  EXPECT_EQ(state(0), cc::AgentState::kLoggedOut);
  EXPECT_EQ(feature("*50"), 200);
  EXPECT_EQ(state(0), cc::AgentState::kReady);
  ASSERT_FALSE(plays.empty());
  EXPECT_NE(plays.back().second.find("logged in"), std::string::npos) << plays.back().second;
  // hotline hangs up when the confirmation ends.
  playback_finished(plays.back().first);
  EXPECT_EQ(phone0.user.last(UserCall::Type::kTerminated)->reason,
            sip::TerminationReason::kRemoteBye);
  EXPECT_EQ(last("call.ended")->payload["cause"], "feature-done");

  EXPECT_EQ(feature("*522"), 200);  // the second reason: lunch
  EXPECT_EQ(state(0), cc::AgentState::kNotReady);
  EXPECT_EQ(last("agent.state_changed")->payload["reason"], "lunch");
  EXPECT_EQ(last("agent.state_changed")->payload["to"], "not_ready");
  advance(std::chrono::seconds(6));  // no prompt end: hotline hangs up anyway
  EXPECT_EQ(b2bua->active_calls(), 0u);

  EXPECT_EQ(feature("*529"), 404);  // no ninth reason
  EXPECT_EQ(feature("*51"), 200);
  EXPECT_EQ(state(0), cc::AgentState::kReady);
  EXPECT_EQ(feature("*59"), 200);
  EXPECT_EQ(state(0), cc::AgentState::kLoggedOut);
  advance(std::chrono::seconds(6));
  // A phone that is no agent's.
  auto txn = dial("*50", &caller, "1001");
  EXPECT_EQ(final_status(caller, txn), 404);
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(ContactCenterTest, LoggedInAgentTakesACallAfterTheFeatureCode) {
  start(cc::Strategy::kLinear, 3);
  auto waiting = dial("300");  // nobody is logged in: the caller waits
  ASSERT_EQ(final_status(caller, waiting), 200);
  EXPECT_EQ(invites(2), 0u);
  dial("*50", agents[2].get(), extension(2));
  advance(std::chrono::seconds(6));
  EXPECT_EQ(invites(2), 1u);  // the offer (the feature call went the other way)
  EXPECT_EQ(last("interaction.answered")->payload["agent"], "agent2");
  EXPECT_EQ(state(2), cc::AgentState::kBusy);
}

TEST_F(ContactCenterTest, LoggingOutDuringACallIsRefused) {
  start(cc::Strategy::kLinear, 1);
  ready_all(1);
  dial("300");
  ASSERT_EQ(state(0), cc::AgentState::kBusy);
  auto txn = dial("*59", agents[0].get(), extension(0));
  EXPECT_EQ(final_status(*agents[0], txn), 403);
  EXPECT_EQ(state(0), cc::AgentState::kBusy);
  EXPECT_EQ(b2bua->active_calls(), 1u);  // the customer's call goes on
}

TEST_F(ContactCenterTest, AnAgentWithoutARegisteredPhoneIsSkippedAfterTheRingTimeout) {
  start(cc::Strategy::kLinear, 2);
  ready_all(2);
  registered[0] = false;
  dial("300");
  EXPECT_EQ(invites(0), 0u);
  advance(std::chrono::seconds(16));
  EXPECT_EQ(invites(1), 1u);
  EXPECT_EQ(last("interaction.answered")->payload["agent"], "agent1");
}

TEST_F(ContactCenterTest, NextDeadlineIsTheEarliestRingTimeoutAndFollowsCancellation) {
  start(cc::Strategy::kLinear, 3);
  ready_all(3);
  for (std::size_t i = 0; i < 3; ++i) phone[i] = Phone::kRingForever;
  std::vector<sip::TransactionId> calls;
  std::vector<MonoTime> offered;
  for (int i = 0; i < 3; ++i) {
    offered.push_back(clock.mono());
    calls.push_back(dial("300"));  // each rings its own agent for 15 s
    advance(std::chrono::seconds(1) - std::chrono::milliseconds(10));
  }
  EXPECT_EQ(center->next_deadline(), offered[0] + std::chrono::seconds(15));
  hang_up(calls[0]);  // abandoned: its ring timer is cancelled
  EXPECT_EQ(center->next_deadline(), offered[1] + std::chrono::seconds(15));
  advance(offered[1] + std::chrono::seconds(15) - clock.mono());
  EXPECT_EQ(count("interaction.rona"), 1u);  // the second call's, exactly on time
  EXPECT_EQ(last("interaction.rona")->payload["agent"], "agent1");
}

// ---- AcdTimers: the ordered timer agenda ----------------------------------------

MonoTime at_ms(int ms) {
  return MonoTime{} + std::chrono::milliseconds(ms);
}

TEST(AcdTimersTest, NextIsTheEarliestAndDueIsInDeadlineOrder) {
  AcdTimers t;
  EXPECT_EQ(t.next(), std::nullopt);
  t.start(cc::TimerId{1}, at_ms(300));
  t.start(cc::TimerId{2}, at_ms(100));
  t.start(cc::TimerId{3}, at_ms(200));
  t.start(cc::TimerId{4}, at_ms(100));  // same deadline as 2: by id
  EXPECT_EQ(t.next(), at_ms(100));
  using Due = std::vector<std::pair<MonoTime, cc::TimerId>>;
  EXPECT_EQ(t.due(at_ms(99)), Due{});
  EXPECT_EQ(t.due(at_ms(200)), (Due{{at_ms(100), cc::TimerId{2}},
                                    {at_ms(100), cc::TimerId{4}},
                                    {at_ms(200), cc::TimerId{3}}}));
  EXPECT_TRUE(t.cancel(cc::TimerId{2}));
  EXPECT_FALSE(t.cancel(cc::TimerId{2}));
  EXPECT_EQ(t.next(), at_ms(100));
  EXPECT_TRUE(t.take(cc::TimerId{4}, at_ms(100)));
  EXPECT_EQ(t.next(), at_ms(200));
  EXPECT_EQ(t.size(), 2u);
}

TEST(AcdTimersTest, RestartMovesATimerAndTakeRefusesTheOldDeadline) {
  AcdTimers t;
  t.start(cc::TimerId{7}, at_ms(100));
  const auto due = t.due(at_ms(100));
  ASSERT_EQ(due.size(), 1u);
  t.start(cc::TimerId{7}, at_ms(500));  // restarted while listed as due
  EXPECT_FALSE(t.take(due[0].second, due[0].first));
  EXPECT_TRUE(t.pending(cc::TimerId{7}));
  EXPECT_EQ(t.next(), at_ms(500));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.take(cc::TimerId{7}, at_ms(500)));
  EXPECT_EQ(t.next(), std::nullopt);
}

// The agenda against the scan it replaced, over random starts, restarts, cancels
// and firings.
TEST(AcdTimersTest, AgreesWithAFullScanOverRandomOperations) {
  std::mt19937_64 rng(42);
  AcdTimers t;
  std::map<cc::TimerId, MonoTime> reference;
  int now = 0;
  for (int step = 0; step < 20'000; ++step) {
    const cc::TimerId id{rng() % 500};
    switch (rng() % 4) {
      case 0:
      case 1: {
        const MonoTime deadline = at_ms(now + static_cast<int>(rng() % 10'000));
        t.start(id, deadline);
        reference[id] = deadline;
        break;
      }
      case 2: EXPECT_EQ(t.cancel(id), reference.erase(id) == 1); break;
      case 3: {
        now += static_cast<int>(rng() % 200);
        std::vector<std::pair<MonoTime, cc::TimerId>> expected;
        for (const auto& [i, d] : reference) {
          if (d <= at_ms(now)) expected.emplace_back(d, i);
        }
        std::sort(expected.begin(), expected.end());
        ASSERT_EQ(t.due(at_ms(now)), expected);
        for (const auto& [d, i] : expected) {
          EXPECT_TRUE(t.take(i, d));
          reference.erase(i);
        }
        break;
      }
    }
    std::optional<MonoTime> earliest;
    for (const auto& [i, d] : reference) {
      if (!earliest || d < *earliest) earliest = d;
    }
    ASSERT_EQ(t.next(), earliest);
    ASSERT_EQ(t.size(), reference.size());
  }
}

}  // namespace
}  // namespace hotline::sw
