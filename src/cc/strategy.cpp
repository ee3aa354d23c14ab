#include "cc/strategy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace hotline::cc {
namespace {

struct Named {
  Strategy strategy;
  std::string_view name;
};

constexpr Named kNames[] = {
    {Strategy::kRingAll, "ring-all"},
    {Strategy::kRoundRobin, "round-robin"},
    {Strategy::kLinear, "linear"},
    {Strategy::kLongestIdle, "longest-idle"},
    {Strategy::kFewestCalls, "fewest-calls"},
    {Strategy::kLeastTalkTime, "least-talk-time"},
    {Strategy::kRandom, "random"},
    {Strategy::kWeightedRandom, "weighted-random"},
    {Strategy::kSkillsBestMatch, "skills-best-match"},
};

// Longer idle must sort first, so the key is the negated idle time.
std::int64_t idle_rank(const AgentSnapshot& a) {
  return -a.idle_for.count();
}

}  // namespace

std::string_view to_string(Strategy strategy) {
  for (const auto& n : kNames) {
    if (n.strategy == strategy) return n.name;
  }
  return "unknown";
}

Result<Strategy> parse_strategy(std::string_view name) {
  for (const auto& n : kNames) {
    if (n.name == name) return n.strategy;
  }
  std::string accepted;
  for (const auto& n : kNames) {
    if (!accepted.empty()) accepted += ", ";
    accepted += n.name;
  }
  return fail(ErrorCode::kInvalidArgument,
              "unknown strategy '" + std::string(name) + "' (accepted: " + accepted + ")");
}

SortKey key_ring_all(const AgentSnapshot& a, const StrategyContext&) {
  return {a.penalty, 0, 0, a.member_index};
}

SortKey key_round_robin(const AgentSnapshot& a, const StrategyContext& ctx) {
  // Distance from the cursor going forward, wrapping: the member right after the
  // last one offered comes first, whatever happened in between.
  const std::uint32_t n = std::max<std::uint32_t>(ctx.member_count, 1);
  const std::uint32_t start = ctx.round_robin_next % n;
  const std::uint32_t distance = (a.member_index % n + n - start) % n;
  return {a.penalty, distance, 0, a.member_index};
}

SortKey key_linear(const AgentSnapshot& a, const StrategyContext&) {
  return {a.penalty, a.member_index, 0, a.member_index};
}

SortKey key_longest_idle(const AgentSnapshot& a, const StrategyContext&) {
  return {a.penalty, idle_rank(a), 0, a.member_index};
}

SortKey key_fewest_calls(const AgentSnapshot& a, const StrategyContext&) {
  return {a.penalty, a.calls_answered, idle_rank(a), a.member_index};
}

SortKey key_least_talk_time(const AgentSnapshot& a, const StrategyContext&) {
  return {a.penalty, a.talk_time.count(), idle_rank(a), a.member_index};
}

SortKey key_random(const AgentSnapshot& a, const StrategyContext&) {
  // The draw is unsigned 64-bit; keep its top 63 bits so it fits the signed field.
  return {a.penalty, static_cast<std::int64_t>(a.random >> 1), 0, a.member_index};
}

SortKey key_weighted_random(const AgentSnapshot& a, const StrategyContext&) {
  // Efraimidis–Spirakis: the smallest -ln(u) / w wins with probability w / sum(w),
  // so one draw per agent picks exactly proportionally to the weights.
  const double w = 1.0 / (1.0 + static_cast<double>(std::max(a.penalty, 0)));
  // u in (0, 1]: never 0, so the logarithm is finite.
  const double u = (static_cast<double>(a.random >> 11) + 1.0) * 0x1.0p-53;
  const double key = -std::log(u) / w;  // at most ~37 * (1 + penalty)
  constexpr double kScale = 1e12;
  const double scaled = std::min(key * kScale, 9e18);
  return {0, static_cast<std::int64_t>(scaled), 0, a.member_index};
}

SortKey key_skills_best_match(const AgentSnapshot& a, const StrategyContext&) {
  return {a.penalty, -static_cast<std::int64_t>(a.skill_score), idle_rank(a), a.member_index};
}

SortKey sort_key(Strategy strategy, const AgentSnapshot& a, const StrategyContext& ctx) {
  switch (strategy) {
    case Strategy::kRingAll: return key_ring_all(a, ctx);
    case Strategy::kRoundRobin: return key_round_robin(a, ctx);
    case Strategy::kLinear: return key_linear(a, ctx);
    case Strategy::kLongestIdle: return key_longest_idle(a, ctx);
    case Strategy::kFewestCalls: return key_fewest_calls(a, ctx);
    case Strategy::kLeastTalkTime: return key_least_talk_time(a, ctx);
    case Strategy::kRandom: return key_random(a, ctx);
    case Strategy::kWeightedRandom: return key_weighted_random(a, ctx);
    case Strategy::kSkillsBestMatch: return key_skills_best_match(a, ctx);
  }
  return key_linear(a, ctx);  // unreachable: every enumerator is handled above
}

std::vector<AgentId> choose_agents(Strategy strategy, std::span<const AgentSnapshot> agents,
                                   const StrategyContext& ctx) {
  std::vector<AgentId> chosen;
  if (agents.empty()) return chosen;
  if (strategy == Strategy::kRingAll) {
    int best_tier = std::numeric_limits<int>::max();
    for (const auto& a : agents) best_tier = std::min(best_tier, a.penalty);
    std::vector<const AgentSnapshot*> tier;
    for (const auto& a : agents) {
      if (a.penalty == best_tier) tier.push_back(&a);
    }
    std::sort(tier.begin(), tier.end(), [&](const AgentSnapshot* x, const AgentSnapshot* y) {
      return key_ring_all(*x, ctx) < key_ring_all(*y, ctx);
    });
    for (const auto* a : tier) chosen.push_back(a->agent);
    return chosen;
  }
  const AgentSnapshot* best = &agents[0];
  SortKey best_key = sort_key(strategy, *best, ctx);
  for (const auto& a : agents.subspan(1)) {
    const SortKey k = sort_key(strategy, a, ctx);
    if (k < best_key) {
      best = &a;
      best_key = k;
    }
  }
  chosen.push_back(best->agent);
  return chosen;
}

}  // namespace hotline::cc
