#include "cc/strategy.hpp"

#include <gtest/gtest.h>

#include <array>
#include <random>

namespace hotline::cc {
namespace {

using std::chrono::seconds;

AgentSnapshot snap(std::uint32_t id, std::uint32_t member_index) {
  AgentSnapshot s;
  s.agent = AgentId{id};
  s.member_index = member_index;
  return s;
}

AgentId pick(Strategy s, const std::vector<AgentSnapshot>& agents, StrategyContext ctx = {}) {
  auto chosen = choose_agents(s, agents, ctx);
  EXPECT_EQ(chosen.size(), 1u);
  return chosen.empty() ? AgentId{999} : chosen.front();
}

TEST(Strategy, NamesRoundTripAndUnknownIsAnError) {
  for (Strategy s : kAllStrategies) {
    auto parsed = parse_strategy(to_string(s));
    ASSERT_TRUE(parsed.has_value()) << to_string(s);
    EXPECT_EQ(*parsed, s);
  }
  auto bad = parse_strategy("roundrobin");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("round-robin"), std::string::npos);
}

TEST(Strategy, EmptySnapshotChoosesNobody) {
  for (Strategy s : kAllStrategies) EXPECT_TRUE(choose_agents(s, {}, {}).empty());
}

TEST(Strategy, RingAllOffersTheWholeBestTier) {
  std::vector<AgentSnapshot> a{snap(1, 2), snap(2, 0), snap(3, 1), snap(4, 3)};
  a[3].penalty = 1;
  auto chosen = choose_agents(Strategy::kRingAll, a, {});
  EXPECT_EQ(chosen, (std::vector<AgentId>{AgentId{2}, AgentId{3}, AgentId{1}}));
}

TEST(Strategy, RoundRobinContinuesAfterTheLastOfferedAndWraps) {
  std::vector<AgentSnapshot> a{snap(10, 0), snap(11, 1), snap(13, 3)};
  EXPECT_EQ(pick(Strategy::kRoundRobin, a, {4, 2}), AgentId{13});  // 2 is busy: next is 3
  EXPECT_EQ(pick(Strategy::kRoundRobin, a, {4, 4}), AgentId{10});  // wraps to 0
  EXPECT_EQ(pick(Strategy::kRoundRobin, a, {4, 1}), AgentId{11});
  a[0].penalty = 0;
  a[1].penalty = 2;
  a[2].penalty = 1;
  EXPECT_EQ(pick(Strategy::kRoundRobin, a, {4, 1}), AgentId{10});  // tier beats turn
}

TEST(Strategy, LinearTakesTheFirstFreeMemberWithinTheBestTier) {
  std::vector<AgentSnapshot> a{snap(1, 5), snap(2, 3), snap(3, 4)};
  EXPECT_EQ(pick(Strategy::kLinear, a), AgentId{2});
  a[1].penalty = 1;
  EXPECT_EQ(pick(Strategy::kLinear, a), AgentId{3});
}

TEST(Strategy, LongestIdleThenMemberOrder) {
  std::vector<AgentSnapshot> a{snap(1, 0), snap(2, 1), snap(3, 2)};
  a[0].idle_for = seconds(10);
  a[1].idle_for = seconds(30);
  a[2].idle_for = seconds(30);
  EXPECT_EQ(pick(Strategy::kLongestIdle, a), AgentId{2});
  a[1].penalty = 1;
  EXPECT_EQ(pick(Strategy::kLongestIdle, a), AgentId{3});
}

TEST(Strategy, FewestCallsThenLongestIdle) {
  std::vector<AgentSnapshot> a{snap(1, 0), snap(2, 1), snap(3, 2)};
  a[0].calls_answered = 3;
  a[1].calls_answered = 1;
  a[2].calls_answered = 1;
  a[1].idle_for = seconds(5);
  a[2].idle_for = seconds(50);
  EXPECT_EQ(pick(Strategy::kFewestCalls, a), AgentId{3});
  a[2].calls_answered = 2;
  EXPECT_EQ(pick(Strategy::kFewestCalls, a), AgentId{2});
}

TEST(Strategy, LeastTalkTimeThenLongestIdle) {
  std::vector<AgentSnapshot> a{snap(1, 0), snap(2, 1)};
  a[0].talk_time = seconds(100);
  a[1].talk_time = seconds(200);
  a[1].idle_for = seconds(500);
  EXPECT_EQ(pick(Strategy::kLeastTalkTime, a), AgentId{1});
  a[1].talk_time = seconds(100);
  EXPECT_EQ(pick(Strategy::kLeastTalkTime, a), AgentId{2});
}

TEST(Strategy, SkillsBestMatchPrefersLevelThenIdle) {
  std::vector<AgentSnapshot> a{snap(1, 0), snap(2, 1), snap(3, 2)};
  a[0].skill_score = 9;
  a[0].idle_for = seconds(1);
  a[1].skill_score = 5;
  a[1].idle_for = seconds(900);
  a[2].skill_score = 9;
  a[2].idle_for = seconds(60);
  EXPECT_EQ(pick(Strategy::kSkillsBestMatch, a), AgentId{3});
}

TEST(Strategy, RandomIsTheSmallestDrawWithinTheBestTier) {
  std::vector<AgentSnapshot> a{snap(1, 0), snap(2, 1), snap(3, 2)};
  a[0].random = 500;
  a[1].random = 100;
  a[2].random = 50;
  a[2].penalty = 1;
  EXPECT_EQ(pick(Strategy::kRandom, a), AgentId{2});
}

// Frequencies over many seeded draws: uniform for random, 1/(1+penalty) weights for
// weighted random. Deterministic for the seed; tolerance ~6 standard deviations.
std::array<int, 3> tally(Strategy s, std::array<int, 3> penalties, int trials) {
  std::mt19937_64 rng(42);
  std::array<int, 3> counts{};
  for (int t = 0; t < trials; ++t) {
    std::vector<AgentSnapshot> a{snap(0, 0), snap(1, 1), snap(2, 2)};
    for (int i = 0; i < 3; ++i) {
      a[i].penalty = penalties[i];
      a[i].random = rng();
    }
    counts[pick(s, a).value]++;
  }
  return counts;
}

TEST(Strategy, RandomIsUniform) {
  const int n = 30'000;
  const auto counts = tally(Strategy::kRandom, {0, 0, 0}, n);
  for (int c : counts) EXPECT_NEAR(c, n / 3.0, 500);
}

TEST(Strategy, WeightedRandomFollowsPenaltyWeights) {
  const int n = 30'000;
  // Weights 1, 1/2, 1/4 -> probabilities 4/7, 2/7, 1/7.
  const auto counts = tally(Strategy::kWeightedRandom, {0, 1, 3}, n);
  EXPECT_NEAR(counts[0], n * 4.0 / 7, 500);
  EXPECT_NEAR(counts[1], n * 2.0 / 7, 500);
  EXPECT_NEAR(counts[2], n * 1.0 / 7, 400);
}

TEST(Strategy, ExtremeDrawsStayFinite) {
  AgentSnapshot a = snap(1, 0);
  a.penalty = 1000;
  a.random = 0;
  const SortKey k = key_weighted_random(a, {});
  EXPECT_GT(k.primary, 0);
  a.random = ~std::uint64_t{0};
  EXPECT_GE(key_weighted_random(a, {}).primary, 0);
}

}  // namespace
}  // namespace hotline::cc
