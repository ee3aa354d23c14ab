// Acd routing decisions end to end: each strategy through whole calls, and the
// rule a free agent uses to choose among several queues.
#include <gtest/gtest.h>

#include <algorithm>

#include "cc/acd.hpp"
#include "cc/acd_test_fixture.hpp"

namespace hotline::cc {
namespace {

using std::chrono::seconds;
using testing::AcdTest;
using testing::Harness;
using testing::take_call;

TEST_F(AcdTest, SkillsBestMatchPrefersTheHigherLevel) {
  const QueueId q = queue(basic("tech", Strategy::kSkillsBestMatch));
  agent("low", {{q, 0}}, {{1, 4}});
  h.advance(seconds(100));  // "low" has been idle far longer
  const AgentId high = agent("high", {{q, 0}}, {{1, 9}});
  agent("none", {{q, 0}}, {});
  arrive(q, 0, {{1, 3}});
  EXPECT_EQ(last_offer(), high);
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

}  // namespace
}  // namespace hotline::cc
