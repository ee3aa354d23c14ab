// Behaviour of the Acd engine on hand-built situations, driven by a ManualClock.
#include "cc/acd.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "cc/test_harness.hpp"

namespace hotline::cc {
namespace {

using std::chrono::seconds;
using testing::Harness;

class AcdTest : public ::testing::Test {
 protected:
  QueueId queue(QueueConfig c) {
    auto id = h.acd.add_queue(std::move(c));
    EXPECT_TRUE(id.has_value()) << id.error().describe();
    return *id;
  }
  QueueConfig basic(std::string name, Strategy s = Strategy::kLinear) {
    QueueConfig c;
    c.name = std::move(name);
    c.strategy = s;
    c.ring_timeout = seconds(15);
    return c;
  }
  AgentId agent(std::string name, std::vector<Membership> m, std::vector<SkillLevel> skills = {},
                bool ready = true) {
    AgentConfig c;
    c.name = name;
    c.devices = {"sip:" + name + "@hotline"};
    c.memberships = std::move(m);
    c.skills = std::move(skills);
    auto id = h.acd.add_agent(std::move(c));
    EXPECT_TRUE(id.has_value()) << id.error().describe();
    if (ready) {
      EXPECT_TRUE(h.acd.set_presence(*id, Presence::kReady).has_value());
    }
    h.pump();
    return *id;
  }
  InteractionId arrive(QueueId q, int priority = 0, std::vector<SkillRequirement> skills = {}) {
    InteractionSpec s;
    s.queue = q;
    s.priority = priority;
    s.skills = std::move(skills);
    s.caller = "+15550100";
    auto id = h.acd.arrive(std::move(s));
    EXPECT_TRUE(id.has_value()) << id.error().describe();
    h.pump();
    return *id;
  }
  AgentState state(AgentId a) { return h.acd.agent_state(a).value(); }
  // The agent the most recent offer went to.
  std::optional<AgentId> last_offer() {
    auto offers = h.commands_of<OfferToAgent>();
    if (offers.empty()) return std::nullopt;
    return offers.back().agent;
  }
  void check() {
    auto ok = h.acd.self_check();
    EXPECT_TRUE(ok.has_value()) << ok.error().describe();
  }

  Harness h;
};

TEST_F(AcdTest, OfferAnswerWrapUpAndNextCall) {
  QueueConfig c = basic("sales");
  c.wrapup = seconds(30);
  const QueueId q = queue(c);
  const AgentId a = agent("alice", {{q, 0}});
  const InteractionId first = arrive(q);

  ASSERT_EQ(h.commands_of<OfferToAgent>().size(), 1u);
  EXPECT_EQ(h.commands_of<OfferToAgent>()[0].devices,
            std::vector<std::string>{"sip:alice@hotline"});
  EXPECT_EQ(state(a), AgentState::kReserved);
  h.advance(seconds(4));
  ASSERT_TRUE(h.acd.offer_answered(first, a).has_value());
  h.pump();
  auto answered = h.events_of<InteractionAnswered>();
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0].wait, seconds(4));
  EXPECT_EQ(answered[0].ring_time, seconds(4));
  EXPECT_EQ(state(a), AgentState::kBusy);

  h.advance(seconds(60));
  ASSERT_TRUE(h.acd.conversation_ended(first).has_value());
  h.pump();
  EXPECT_EQ(state(a), AgentState::kWrapUp);
  EXPECT_EQ(h.events_of<InteractionEnded>().at(0).handle_time, seconds(60));
  EXPECT_EQ(h.events_of<AgentWrapupStarted>().at(0).duration, seconds(30));

  // A call arriving during wrap-up waits: an agent in wrap-up is never offered.
  const InteractionId second = arrive(q);
  EXPECT_EQ(h.commands_of<OfferToAgent>().size(), 1u);
  EXPECT_EQ(h.acd.phase(second), InteractionPhase::kWaiting);
  h.advance(seconds(29));
  EXPECT_EQ(h.commands_of<OfferToAgent>().size(), 1u);
  h.advance(seconds(1));
  ASSERT_EQ(h.commands_of<OfferToAgent>().size(), 2u);
  EXPECT_EQ(h.commands_of<OfferToAgent>()[1].interaction, second);
  EXPECT_FALSE(h.events_of<AgentWrapupEnded>().at(0).early);
  check();
}

TEST_F(AcdTest, WrapUpEndsEarlyOrIsExtended) {
  QueueConfig c = basic("sales");
  c.wrapup = seconds(30);
  const QueueId q = queue(c);
  const AgentId a = agent("alice", {{q, 0}});
  EXPECT_EQ(h.acd.end_wrapup(a).error().code, ErrorCode::kFailedPrecondition);
  const InteractionId i = arrive(q);
  ASSERT_TRUE(h.acd.offer_answered(i, a).has_value());
  ASSERT_TRUE(h.acd.conversation_ended(i).has_value());
  ASSERT_TRUE(h.acd.extend_wrapup(a, seconds(20)).has_value());
  EXPECT_EQ(h.acd.extend_wrapup(a, seconds(0)).error().code, ErrorCode::kInvalidArgument);
  h.advance(seconds(45));
  EXPECT_EQ(state(a), AgentState::kWrapUp);  // 30 + 20 s
  h.advance(seconds(5));
  EXPECT_EQ(state(a), AgentState::kReady);

  const InteractionId j = arrive(q);
  ASSERT_TRUE(h.acd.offer_answered(j, a).has_value());
  ASSERT_TRUE(h.acd.conversation_ended(j).has_value());
  h.advance(seconds(3));
  ASSERT_TRUE(h.acd.end_wrapup(a).has_value());
  h.pump();
  EXPECT_EQ(state(a), AgentState::kReady);
  EXPECT_TRUE(h.events_of<AgentWrapupEnded>().back().early);
  EXPECT_EQ(h.events_of<AgentWrapupExtended>().size(), 1u);
  check();
}

TEST_F(AcdTest, RedirectOnNoAnswerGoesToTheNextAgent) {
  const QueueId q = queue(basic("sales"));
  const AgentId a = agent("alice", {{q, 0}});
  const AgentId b = agent("bob", {{q, 0}});
  const InteractionId i = arrive(q);
  EXPECT_EQ(last_offer(), a);
  h.advance(seconds(15));
  auto rona = h.events_of<InteractionRona>();
  ASSERT_EQ(rona.size(), 1u);
  EXPECT_EQ(rona[0].agent, a);
  EXPECT_EQ(rona[0].ring_time, seconds(15));
  ASSERT_EQ(h.commands_of<CancelOffer>().size(), 1u);
  EXPECT_EQ(last_offer(), b);
  EXPECT_EQ(state(a), AgentState::kReady);
  EXPECT_EQ(state(b), AgentState::kReserved);
  // A late answer from the first agent is refused; the second answers.
  EXPECT_EQ(h.acd.offer_answered(i, a).error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(h.acd.offer_answered(i, b).has_value());
  check();
}

TEST_F(AcdTest, DeclineMovesOnAtOnceWithoutCountingAMiss) {
  AcdOptions o;
  o.max_missed_offers = 1;
  Harness h2(o);
  QueueConfig c = basic("sales");
  const QueueId q = *h2.acd.add_queue(c);
  AgentConfig ac;
  ac.name = "alice";
  ac.memberships = {{q, 0}};
  const AgentId a = *h2.acd.add_agent(ac);
  ac.name = "bob";
  const AgentId b = *h2.acd.add_agent(ac);
  ASSERT_TRUE(h2.acd.set_presence(a, Presence::kReady).has_value());
  ASSERT_TRUE(h2.acd.set_presence(b, Presence::kReady).has_value());
  InteractionSpec s;
  s.queue = q;
  const InteractionId i = *h2.acd.arrive(s);
  h2.pump();
  ASSERT_TRUE(h2.acd.offer_declined(i, a).has_value());
  h2.pump();
  EXPECT_TRUE(h2.events_of<InteractionRona>().at(0).declined);
  EXPECT_EQ(h2.commands_of<OfferToAgent>().back().agent, b);
  EXPECT_EQ(h2.acd.agent_state(a).value(), AgentState::kReady);
}

TEST_F(AcdTest, MissedOffersSetTheAgentNotReadyAndTellSupervisors) {
  const QueueId q = queue(basic("sales"));  // default limit: 3 in a row
  const AgentId a = agent("alice", {{q, 0}});
  arrive(q);
  h.advance(seconds(15));
  h.advance(seconds(15));
  EXPECT_EQ(state(a), AgentState::kReserved);  // the same, only agent, third time
  h.advance(seconds(15));
  ASSERT_EQ(h.events_of<AgentMissedOffersLimit>().size(), 1u);
  EXPECT_EQ(h.events_of<AgentMissedOffersLimit>()[0].missed, 3u);
  EXPECT_EQ(state(a), AgentState::kNotReady);
  auto changes = h.events_of<AgentStateChanged>();
  EXPECT_EQ(changes.back().from, AgentState::kReserved);
  EXPECT_EQ(changes.back().reason, kReasonMissedOffers);
  EXPECT_EQ(h.acd.waiting_count(q), 1u);
  check();
}

TEST_F(AcdTest, MaxWaitSendsToTheExit) {
  QueueConfig c = basic("sales");
  c.max_wait = seconds(120);
  c.exit_destination = "voicemail";
  const QueueId q = queue(c);
  const InteractionId i = arrive(q);
  h.advance(seconds(119));
  EXPECT_TRUE(h.commands_of<MoveToExit>().empty());
  h.advance(seconds(1));
  ASSERT_EQ(h.commands_of<MoveToExit>().size(), 1u);
  EXPECT_EQ(h.commands_of<MoveToExit>()[0].destination, "voicemail");
  EXPECT_EQ(h.events_of<InteractionTimedOut>().at(0).wait, seconds(120));
  EXPECT_FALSE(h.acd.phase(i).has_value());
  EXPECT_EQ(h.pending_timers(), 0u);
}

TEST_F(AcdTest, MaxWaitLetsARingingOfferFinish) {
  QueueConfig c = basic("sales");
  c.max_wait = seconds(20);
  c.exit_destination = "voicemail";
  const QueueId q = queue(c);
  const InteractionId i = arrive(q);
  h.advance(seconds(10));
  const AgentId a = agent("alice", {{q, 0}});
  EXPECT_EQ(last_offer(), a);
  h.advance(seconds(12));  // max wait passes while ringing
  EXPECT_TRUE(h.commands_of<MoveToExit>().empty());
  h.advance(seconds(3));  // ring timeout: now it leaves
  EXPECT_EQ(h.commands_of<MoveToExit>().size(), 1u);
  EXPECT_FALSE(h.acd.phase(i).has_value());
  EXPECT_EQ(state(a), AgentState::kReady);
  check();
}

TEST_F(AcdTest, OverflowMovesToAnotherQueueAsANewVisit) {
  const QueueId sales = queue(basic("sales"));
  const QueueId backup = queue(basic("backup"));
  QueueConfig c = basic("sales");
  c.overflow = {{seconds(60), OverflowAction::kMoveTo, backup}};
  ASSERT_TRUE(h.acd.update_queue(sales, c).has_value());
  const AgentId b = agent("bob", {{backup, 0}});
  const InteractionId i = arrive(sales);
  h.advance(seconds(60));
  auto over = h.events_of<InteractionOverflowed>();
  ASSERT_EQ(over.size(), 1u);
  EXPECT_EQ(over[0].target, backup);
  EXPECT_EQ(over[0].visit, 1u);
  auto queued = h.events_of<InteractionQueued>();
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[1].queue, backup);
  EXPECT_EQ(queued[1].visit, 2u);
  EXPECT_EQ(last_offer(), b);
  EXPECT_EQ(h.acd.visit(i), 2u);
  check();
}

TEST_F(AcdTest, OverflowCanAlsoOfferToAnotherQueuesAgents) {
  const QueueId sales = queue(basic("sales"));
  const QueueId support = queue(basic("support"));
  QueueConfig c = basic("sales");
  c.overflow = {{seconds(30), OverflowAction::kAlsoOffer, support}};
  ASSERT_TRUE(h.acd.update_queue(sales, c).has_value());
  const AgentId s = agent("sam", {{support, 0}});
  const InteractionId i = arrive(sales);
  EXPECT_FALSE(last_offer().has_value());
  h.advance(seconds(30));
  EXPECT_EQ(h.events_of<InteractionTargetAdded>().size(), 1u);
  EXPECT_EQ(last_offer(), s);
  ASSERT_TRUE(h.acd.offer_answered(i, s).has_value());
  h.pump();
  EXPECT_EQ(h.events_of<InteractionAnswered>().at(0).queue, sales);
  EXPECT_EQ(h.acd.waiting_count(support), 0u);
  check();
}

TEST_F(AcdTest, SkillRequirementsRelaxAfterWaiting) {
  QueueConfig c = basic("tech");
  c.relaxation = {{seconds(30), 3}};
  const QueueId q = queue(c);
  const AgentId junior = agent("jo", {{q, 0}}, {{7, 5}});
  arrive(q, 0, {{7, 8}});
  EXPECT_FALSE(last_offer().has_value());
  h.advance(seconds(30));
  EXPECT_EQ(h.events_of<InteractionSkillsRelaxed>().at(0).reduced_by, 3);
  EXPECT_EQ(last_offer(), junior);
}

TEST_F(AcdTest, SkillsBestMatchPrefersTheHigherLevel) {
  const QueueId q = queue(basic("tech", Strategy::kSkillsBestMatch));
  agent("low", {{q, 0}}, {{1, 4}});
  h.advance(seconds(100));  // "low" has been idle far longer
  const AgentId high = agent("high", {{q, 0}}, {{1, 9}});
  agent("none", {{q, 0}}, {});
  arrive(q, 0, {{1, 3}});
  EXPECT_EQ(last_offer(), high);
}

TEST_F(AcdTest, KeepMyPlaceCallback) {
  const QueueId q = queue(basic("sales"));
  const AgentId a = agent("alice", {{q, 0}}, {}, false);
  const InteractionId first = arrive(q);
  const InteractionId second = arrive(q);
  ASSERT_TRUE(h.acd.request_callback(first, "+15550199").has_value());
  EXPECT_EQ(h.acd.request_callback(first, "").error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(h.acd.caller_hung_up(first).error().code, ErrorCode::kFailedPrecondition);
  h.advance(seconds(40));
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kReady).has_value());
  h.pump();
  // The first caller kept their place: the free agent goes to the callback.
  auto placed = h.commands_of<PlaceCallback>();
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[0].interaction, first);
  EXPECT_EQ(placed[0].number, "+15550199");
  EXPECT_EQ(h.events_of<InteractionCalledBack>().at(0).wait, seconds(40));
  EXPECT_EQ(state(a), AgentState::kReserved);
  EXPECT_TRUE(h.commands_of<OfferToAgent>().empty());
  ASSERT_TRUE(h.acd.offer_answered(first, a).has_value());
  EXPECT_EQ(state(a), AgentState::kBusy);
  ASSERT_TRUE(h.acd.conversation_ended(first).has_value());
  h.pump();
  EXPECT_EQ(last_offer(), a);
  EXPECT_EQ(h.commands_of<OfferToAgent>().back().interaction, second);
  check();
}

TEST_F(AcdTest, FailedCallbackReleasesTheAgent) {
  const QueueId q = queue(basic("sales"));
  const InteractionId i = arrive(q);
  ASSERT_TRUE(h.acd.request_callback(i, "").has_value());  // uses the caller number
  const AgentId a = agent("alice", {{q, 0}});
  EXPECT_EQ(h.commands_of<PlaceCallback>().at(0).number, "+15550100");
  ASSERT_TRUE(h.acd.callback_failed(i).has_value());
  EXPECT_EQ(state(a), AgentState::kReady);
  EXPECT_FALSE(h.acd.phase(i).has_value());
}

TEST_F(AcdTest, AbandonWhileWaitingAndWhileRinging) {
  const QueueId q = queue(basic("sales"));
  const InteractionId i = arrive(q);
  h.advance(seconds(12));
  ASSERT_TRUE(h.acd.caller_hung_up(i).has_value());
  h.pump();
  EXPECT_EQ(h.events_of<InteractionAbandoned>().at(0).wait, seconds(12));

  const AgentId a = agent("alice", {{q, 0}});
  const InteractionId j = arrive(q);
  EXPECT_EQ(state(a), AgentState::kReserved);
  ASSERT_TRUE(h.acd.caller_hung_up(j).has_value());
  h.pump();
  EXPECT_EQ(h.commands_of<CancelOffer>().size(), 1u);
  EXPECT_EQ(state(a), AgentState::kReady);
  EXPECT_EQ(h.acd.caller_hung_up(j).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(h.pending_timers(), 0u);
}

TEST_F(AcdTest, FullQueueRejectsAtTheDoor) {
  QueueConfig c = basic("sales");
  c.max_length = 1;
  const QueueId q = queue(c);
  arrive(q);
  InteractionSpec s;
  s.queue = q;
  auto r = h.acd.arrive(s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  h.pump();
  EXPECT_EQ(h.events_of<InteractionRejected>().size(), 1u);
  EXPECT_EQ(h.events_of<InteractionQueued>().size(), 1u);
  s.queue = QueueId{42};
  EXPECT_EQ(h.acd.arrive(s).error().code, ErrorCode::kNotFound);
}

TEST_F(AcdTest, PresenceRules) {
  const QueueId q = queue(basic("sales"));
  const AgentId a = agent("alice", {{q, 0}});
  EXPECT_EQ(h.acd.set_presence(a, Presence::kNotReady, "nap").error().code,
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kNotReady, "lunch").has_value());
  h.pump();
  EXPECT_EQ(h.events_of<AgentStateChanged>().back().reason, "lunch");
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kNotReady, "training").has_value());
  h.pump();
  EXPECT_EQ(h.events_of<AgentStateChanged>().back().reason, "training");
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kReady).has_value());

  // Not ready while ringing withdraws the offer; the call waits on.
  const InteractionId i = arrive(q);
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kNotReady, "break").has_value());
  h.pump();
  EXPECT_EQ(h.commands_of<CancelOffer>().size(), 1u);
  EXPECT_EQ(h.acd.phase(i), InteractionPhase::kWaiting);
  EXPECT_EQ(state(a), AgentState::kNotReady);

  // A busy agent cannot log out; "not ready" applies once the call ends.
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kReady).has_value());
  ASSERT_TRUE(h.acd.offer_answered(i, a).has_value());
  EXPECT_EQ(h.acd.set_presence(a, Presence::kLoggedOut).error().code,
            ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kNotReady, "break").has_value());
  EXPECT_EQ(state(a), AgentState::kBusy);
  arrive(q);
  ASSERT_TRUE(h.acd.conversation_ended(i).has_value());
  EXPECT_EQ(state(a), AgentState::kNotReady);
  EXPECT_EQ(h.acd.waiting_count(q), 1u);
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kLoggedOut).has_value());
  EXPECT_EQ(state(a), AgentState::kLoggedOut);
  EXPECT_EQ(h.acd.set_presence(AgentId{77}, Presence::kReady).error().code, ErrorCode::kNotFound);
  check();
}

TEST_F(AcdTest, FreeAgentServesTheQueueWithTheLargestWeightedWait) {
  QueueConfig low = basic("low");
  QueueConfig high = basic("high");
  high.priority = 3;
  const QueueId ql = queue(low);
  const QueueId qh = queue(high);
  const AgentId a = agent("alice", {{ql, 0}, {qh, 0}}, {}, false);
  const InteractionId from_low = arrive(ql);
  h.advance(seconds(10));
  const InteractionId from_high = arrive(qh);
  h.advance(seconds(10));  // low waited 20 s (score 20), high 10 s (score 30)
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kReady).has_value());
  h.pump();
  EXPECT_EQ(h.commands_of<OfferToAgent>().at(0).interaction, from_high);
  ASSERT_TRUE(h.acd.offer_answered(from_high, a).has_value());
  ASSERT_TRUE(h.acd.conversation_ended(from_high).has_value());
  h.pump();
  EXPECT_EQ(h.commands_of<OfferToAgent>().at(1).interaction, from_low);
}

TEST_F(AcdTest, InteractionPriorityJumpsTheLine) {
  const QueueId q = queue(basic("sales"));
  const AgentId a = agent("alice", {{q, 0}}, {}, false);
  arrive(q);
  h.advance(seconds(30));
  const InteractionId vip = arrive(q, 5);
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kReady).has_value());
  h.pump();
  EXPECT_EQ(h.commands_of<OfferToAgent>().at(0).interaction, vip);
  EXPECT_EQ(h.events_of<InteractionQueued>().back().position, 1u);
}

// A busy high-priority queue that is never empty does not starve a low one: the
// high queue holds a steady backlog whose head has waited ~50 s (score 4 x 50); the
// low caller is served once its own wait reaches that score, after ~20 high calls.
TEST_F(AcdTest, NoQueueStarves) {
  QueueConfig hc = basic("high");
  hc.priority = 4;
  const QueueId qh = queue(hc);
  const QueueId ql = queue(basic("low"));
  const AgentId a = agent("alice", {{qh, 0}, {ql, 0}}, {}, false);
  for (int k = 0; k < 5; ++k) {
    arrive(qh);
    h.advance(seconds(10));
  }
  const InteractionId target = arrive(ql);
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kReady).has_value());
  int served_high = 0;
  bool served_low = false;
  for (int k = 0; k < 100 && !served_low; ++k) {
    h.pump();
    const OfferToAgent o = h.commands_of<OfferToAgent>().back();
    ASSERT_TRUE(h.acd.offer_answered(o.interaction, a).has_value());
    h.advance(seconds(10));
    arrive(qh);  // one in, one out: the high backlog never shrinks
    ASSERT_TRUE(h.acd.conversation_ended(o.interaction).has_value());
    if (o.interaction == target) {
      served_low = true;
    } else {
      ++served_high;
    }
  }
  EXPECT_TRUE(served_low);
  EXPECT_GE(served_high, 15);
  EXPECT_LE(served_high, 25);
  EXPECT_EQ(h.acd.waiting_count(qh), 5u);
}

TEST_F(AcdTest, RingAllOffersEveryoneAndCancelsTheRest) {
  const QueueId q = queue(basic("sales", Strategy::kRingAll));
  const AgentId a = agent("a", {{q, 0}});
  const AgentId b = agent("b", {{q, 0}});
  const AgentId c = agent("c", {{q, 1}});  // second tier: not rung
  const InteractionId i = arrive(q);
  ASSERT_EQ(h.commands_of<OfferToAgent>().size(), 2u);
  EXPECT_EQ(state(c), AgentState::kReady);
  ASSERT_TRUE(h.acd.offer_answered(i, b).has_value());
  h.pump();
  ASSERT_EQ(h.commands_of<CancelOffer>().size(), 1u);
  EXPECT_EQ(h.commands_of<CancelOffer>()[0].agent, a);
  EXPECT_EQ(state(a), AgentState::kReady);
  EXPECT_EQ(state(b), AgentState::kBusy);
  check();
}

TEST_F(AcdTest, RoundRobinRemembersWhereItWas) {
  const QueueId q = queue(basic("sales", Strategy::kRoundRobin));
  std::vector<AgentId> agents{agent("a", {{q, 0}}), agent("b", {{q, 0}}), agent("c", {{q, 0}})};
  std::vector<AgentId> order;
  for (int k = 0; k < 5; ++k) {
    const InteractionId i = arrive(q);
    const AgentId who = *last_offer();
    order.push_back(who);
    ASSERT_TRUE(h.acd.offer_answered(i, who).has_value());
    ASSERT_TRUE(h.acd.conversation_ended(i).has_value());
  }
  EXPECT_EQ(order, (std::vector<AgentId>{agents[0], agents[1], agents[2], agents[0], agents[1]}));
}

TEST_F(AcdTest, LinearFillsTheFirstAgentFirst) {
  const QueueId q = queue(basic("sales", Strategy::kLinear));
  const AgentId first = agent("a", {{q, 0}});
  agent("b", {{q, 0}});
  for (int k = 0; k < 3; ++k) {
    const InteractionId i = arrive(q);
    EXPECT_EQ(last_offer(), first);
    ASSERT_TRUE(h.acd.offer_answered(i, first).has_value());
    ASSERT_TRUE(h.acd.conversation_ended(i).has_value());
  }
}

// Takes one call through answer and end, returning the agent it was offered to.
AgentId take_call(Harness& h, QueueId q, Duration talk) {
  InteractionSpec s;
  s.queue = q;
  const InteractionId i = *h.acd.arrive(s);
  h.pump();
  const AgentId who = h.commands_of<OfferToAgent>().back().agent;
  EXPECT_TRUE(h.acd.offer_answered(i, who).has_value());
  h.advance(talk);
  EXPECT_TRUE(h.acd.conversation_ended(i).has_value());
  h.pump();
  return who;
}

TEST_F(AcdTest, LongestIdleAlternatesBetweenEqualAgents) {
  const QueueId q = queue(basic("sales", Strategy::kLongestIdle));
  const AgentId a = agent("a", {{q, 0}});
  h.advance(seconds(1));
  const AgentId b = agent("b", {{q, 0}});
  h.advance(seconds(1));
  EXPECT_EQ(take_call(h, q, seconds(10)), a);  // idle since t=0
  EXPECT_EQ(take_call(h, q, seconds(10)), b);  // a just finished
  EXPECT_EQ(take_call(h, q, seconds(10)), a);
}

TEST_F(AcdTest, FewestCallsAndLeastTalkTimeBalanceLoad) {
  const QueueId fewest = queue(basic("fewest", Strategy::kFewestCalls));
  const QueueId least = queue(basic("least", Strategy::kLeastTalkTime));
  const AgentId a = agent("a", {{fewest, 0}, {least, 0}});
  const AgentId b = agent("b", {{fewest, 0}, {least, 0}});
  // a: two short calls; b: one long one.
  ASSERT_EQ(take_call(h, fewest, seconds(10)), a);  // equal counts: longest idle (a)
  ASSERT_EQ(take_call(h, fewest, seconds(300)), b);
  ASSERT_EQ(take_call(h, least, seconds(10)), a);  // a 10 s < b 300 s
  // Counts: a 2, b 1 -> fewest-calls picks b; talk: a 20 s, b 300 s -> least picks a.
  EXPECT_EQ(take_call(h, fewest, seconds(1)), b);
  EXPECT_EQ(take_call(h, least, seconds(1)), a);
}

TEST_F(AcdTest, RandomStrategiesAreRepeatableForASeed) {
  auto run = [](std::uint64_t seed, Strategy strategy) {
    AcdOptions o;
    o.seed = seed;
    Harness hh(o);
    QueueConfig c;
    c.name = "q";
    c.strategy = strategy;
    const QueueId q = *hh.acd.add_queue(c);
    for (int k = 0; k < 5; ++k) {
      AgentConfig ac;
      ac.name = "a" + std::to_string(k);
      // Weighted random draws across tiers 0..4; plain random gets one tier.
      ac.memberships = {{q, strategy == Strategy::kRandom ? 0 : k}};
      const AgentId id = *hh.acd.add_agent(ac);
      EXPECT_TRUE(hh.acd.set_presence(id, Presence::kReady).has_value());
    }
    std::vector<std::uint32_t> picks;
    for (int k = 0; k < 40; ++k) picks.push_back(take_call(hh, q, seconds(5)).value);
    return picks;
  };
  for (Strategy s : {Strategy::kRandom, Strategy::kWeightedRandom}) {
    const auto first = run(11, s);
    EXPECT_EQ(first, run(11, s));
    EXPECT_NE(first, run(12, s));
    EXPECT_FALSE(std::all_of(first.begin(), first.end(), [&](auto v) { return v == first[0]; }));
  }
}

TEST_F(AcdTest, AnnouncementsTellPositionAndEstimate) {
  QueueConfig c = basic("sales");
  c.announce_period = seconds(30);
  const QueueId q = queue(c);
  agent("a", {{q, 0}}, {}, false);
  ASSERT_TRUE(h.acd.set_presence(AgentId{0}, Presence::kNotReady, "break").has_value());
  arrive(q);
  const InteractionId second = arrive(q);
  h.advance(seconds(30));
  auto ann = h.commands_of<PlayAnnouncement>();
  ASSERT_EQ(ann.size(), 2u);
  EXPECT_EQ(ann[1].interaction, second);
  EXPECT_EQ(ann[1].position, 2u);
  EXPECT_EQ(ann[1].estimated_wait, seconds(360));  // 2 x 180 s / 1 staffed agent
  h.advance(seconds(30));
  EXPECT_EQ(h.commands_of<PlayAnnouncement>().size(), 4u);
}

TEST_F(AcdTest, BadConfigurationIsAnError) {
  QueueConfig c = basic("x");
  c.max_wait = seconds(10);
  EXPECT_EQ(h.acd.add_queue(c).error().code, ErrorCode::kInvalidArgument);
  c = basic("");
  EXPECT_FALSE(h.acd.add_queue(c).has_value());
  c = basic("x");
  c.priority = 0;
  EXPECT_FALSE(h.acd.add_queue(c).has_value());
  c = basic("x");
  c.overflow = {{seconds(1), OverflowAction::kMoveTo, QueueId{5}}};
  EXPECT_FALSE(h.acd.add_queue(c).has_value());
  const QueueId q = queue(basic("x"));
  EXPECT_EQ(h.acd.add_queue(basic("x")).error().code, ErrorCode::kAlreadyExists);
  AgentConfig a;
  a.name = "a";
  a.memberships = {{QueueId{3}, 0}};
  EXPECT_FALSE(h.acd.add_agent(a).has_value());
  a.memberships = {{q, 0}, {q, 1}};
  EXPECT_FALSE(h.acd.add_agent(a).has_value());
  a.memberships = {{q, 0}};
  a.skills = {{1, 11}};
  EXPECT_FALSE(h.acd.add_agent(a).has_value());
  InteractionSpec s;
  s.queue = q;
  s.skills = {{1, 0}};
  EXPECT_EQ(h.acd.arrive(s).error().code, ErrorCode::kInvalidArgument);
  s.skills.clear();
  s.priority = std::numeric_limits<int>::min();
  EXPECT_EQ(h.acd.arrive(s).error().code, ErrorCode::kInvalidArgument);
  c = basic("y");
  c.ring_timeout = Duration::max();
  EXPECT_EQ(h.acd.add_queue(c).error().code, ErrorCode::kInvalidArgument);
  c = basic("y");
  c.relaxation = {{Duration::max(), 1}};
  EXPECT_EQ(h.acd.add_queue(c).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(AcdTest, StaleTimersAndUnknownIdsAreHarmless) {
  const QueueId q = queue(basic("sales"));
  h.acd.timer_fired(TimerId{12345});
  EXPECT_EQ(h.acd.offer_answered(InteractionId{9}, AgentId{0}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(h.acd.conversation_ended(InteractionId{9}).error().code, ErrorCode::kNotFound);
  const InteractionId i = arrive(q);
  EXPECT_EQ(h.acd.conversation_ended(i).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(h.acd.callback_failed(i).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(h.acd.history(i).empty());
  EXPECT_EQ(h.acd.history(i).front().what, InteractionQueued::kName);
  check();
}

TEST_F(AcdTest, HistoryIsBounded) {
  QueueConfig c = basic("sales");
  c.ring_timeout = seconds(1);
  const QueueId q = queue(c);
  const AgentId a = agent("alice", {{q, 0}});
  const InteractionId i = arrive(q);
  for (int k = 0; k < 200; ++k) {
    h.advance(seconds(1));  // ring out
    if (state(a) == AgentState::kNotReady) {
      ASSERT_TRUE(h.acd.set_presence(a, Presence::kReady).has_value());
    }
  }
  const auto history = h.acd.history(i);
  EXPECT_EQ(history.size(), kMaxHistory);
  EXPECT_EQ(history.front().what, InteractionQueued::kName);
  EXPECT_EQ(history.back().at, h.clock.now());
}

TEST_F(AcdTest, EventsCarryTheClockTimeAndNames) {
  const QueueId q = queue(basic("sales"));
  h.advance(seconds(5));
  arrive(q);
  ASSERT_FALSE(h.events.empty());
  EXPECT_EQ(event_name(h.events.back()), "interaction.queued");
  EXPECT_EQ(event_time(h.events.back()), h.clock.now());
}

}  // namespace
}  // namespace hotline::cc
