// ACD distribution strategies. Each strategy is a pure function from one eligible
// agent's snapshot (plus a small per-queue context) to a sort key; the agent with the
// smallest key gets the offer. No clock, no random generator, no hidden state: the
// engine fills the snapshot (idle time from its injected clock, a random draw from
// its seeded generator) so that the same inputs always give the same choice.
//
// Thread-safety: pure functions over values.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "cc/ids.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"

namespace hotline::cc {

enum class Strategy : std::uint8_t {
  kRingAll,          // offer to every free agent of the best penalty tier at once
  kRoundRobin,       // next member after the last one offered (memory per queue)
  kLinear,           // fixed member order, first free
  kLongestIdle,      // the agent idle the longest
  kFewestCalls,      // the agent who answered the fewest calls
  kLeastTalkTime,    // the agent with the least accumulated talk time
  kRandom,           // uniformly random within the best penalty tier
  kWeightedRandom,   // random, weight 1 / (1 + penalty) across all tiers
  kSkillsBestMatch,  // highest skill level for the interaction, then longest idle
};

inline constexpr Strategy kAllStrategies[] = {
    Strategy::kRingAll,     Strategy::kRoundRobin,     Strategy::kLinear,
    Strategy::kLongestIdle, Strategy::kFewestCalls,    Strategy::kLeastTalkTime,
    Strategy::kRandom,      Strategy::kWeightedRandom, Strategy::kSkillsBestMatch};

// Config names: "ring-all", "round-robin", "linear", "longest-idle", "fewest-calls",
// "least-talk-time", "random", "weighted-random", "skills-best-match".
std::string_view to_string(Strategy strategy);
// An unknown name is an error naming the accepted ones, never a silent fallback.
Result<Strategy> parse_strategy(std::string_view name);

// What a strategy may know about one eligible agent at decision time.
struct AgentSnapshot {
  AgentId agent;
  std::uint32_t member_index = 0;  // position in the queue's member list (join order)
  int penalty = 0;                 // membership penalty/tier: lower is preferred
  Duration idle_for{0};            // since the agent last became free
  std::uint32_t calls_answered = 0;
  Duration talk_time{0};
  int skill_score = 0;       // sum of the agent's levels over required skills
  std::uint64_t random = 0;  // one uniform draw from the engine's seeded generator
};

// Per-queue state a strategy may read.
struct StrategyContext {
  std::uint32_t member_count = 0;
  std::uint32_t round_robin_next = 0;  // member index that is next in turn
};

// Lexicographic: tier first, then the strategy's measure, then a stable tie-break
// (the member index). Equal keys happen only between agents of different queues
// (overflow); choose_agents then keeps the earlier snapshot.
struct SortKey {
  std::int64_t tier = 0;
  std::int64_t primary = 0;
  std::int64_t secondary = 0;
  std::uint32_t tie_break = 0;
  friend constexpr auto operator<=>(const SortKey&, const SortKey&) = default;
};

SortKey key_ring_all(const AgentSnapshot& a, const StrategyContext& ctx);
SortKey key_round_robin(const AgentSnapshot& a, const StrategyContext& ctx);
SortKey key_linear(const AgentSnapshot& a, const StrategyContext& ctx);
SortKey key_longest_idle(const AgentSnapshot& a, const StrategyContext& ctx);
SortKey key_fewest_calls(const AgentSnapshot& a, const StrategyContext& ctx);
SortKey key_least_talk_time(const AgentSnapshot& a, const StrategyContext& ctx);
SortKey key_random(const AgentSnapshot& a, const StrategyContext& ctx);
SortKey key_weighted_random(const AgentSnapshot& a, const StrategyContext& ctx);
SortKey key_skills_best_match(const AgentSnapshot& a, const StrategyContext& ctx);

// Dispatches to the key function of `strategy`.
SortKey sort_key(Strategy strategy, const AgentSnapshot& a, const StrategyContext& ctx);

// The agents to offer to, best first: one agent for every strategy except ring-all,
// which returns the whole best tier. Empty only when `agents` is empty.
std::vector<AgentId> choose_agents(Strategy strategy, std::span<const AgentSnapshot> agents,
                                   const StrategyContext& ctx);

}  // namespace hotline::cc
