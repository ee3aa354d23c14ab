// Acd behaviour: offers, answers, wrap-up, RONA, presence and bad input, driven
// by a ManualClock.
#include "cc/acd.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "cc/acd_test_fixture.hpp"

namespace hotline::cc {
namespace {

using std::chrono::seconds;
using testing::AcdTest;
using testing::Harness;

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
