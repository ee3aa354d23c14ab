// Benchmarks for the routing engine at scale and for the simulator.
//
//   ninja -C build/<dir> sim_bench && build/<dir>/src/sim/sim_bench
//
// Decision latency: each benchmark repetition times exactly one routing decision
// with Google Benchmark's own timer (this file reads no clock: scripts/lint), and
// the p50/p99 statistics are taken over the repetitions. The large center is built
// once and kept between repetitions; keeping it steady happens outside the timed
// loop.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <random>

#include "cc/acd.hpp"
#include "sim/simulator.hpp"

namespace hotline {
namespace {

using std::chrono::seconds;

constexpr int kAgents = 10'000;
constexpr int kQueues = 1'000;
constexpr int kSkills = 50;

struct BigCenter {
  ManualClock clock;
  cc::Acd acd{clock, cc::AcdOptions{}};
  std::mt19937_64 rng{7};
  std::vector<cc::InteractionId> connected;

  explicit BigCenter(cc::Strategy strategy) {
    for (int q = 0; q < kQueues; ++q) {
      cc::QueueConfig c;
      c.name = "q" + std::to_string(q);
      c.strategy = strategy;
      (void)acd.add_queue(c);
    }
    for (int a = 0; a < kAgents; ++a) {
      cc::AgentConfig c;
      c.name = "a" + std::to_string(a);
      while (c.memberships.size() < 3) {
        const cc::QueueId q{static_cast<std::uint32_t>(rng() % kQueues)};
        if (std::none_of(c.memberships.begin(), c.memberships.end(),
                         [&](const cc::Membership& m) { return m.queue == q; })) {
          c.memberships.push_back({q, static_cast<int>(rng() % 3)});
        }
      }
      for (int s = 0; s < 3; ++s) {
        c.skills.push_back(
            {static_cast<cc::SkillId>(rng() % kSkills), 1 + static_cast<int>(rng() % 10)});
      }
      const auto id = acd.add_agent(c);
      (void)acd.set_presence(*id, cc::Presence::kReady);
    }
    drain();
  }

  cc::InteractionSpec spec() {
    cc::InteractionSpec s;
    s.queue = cc::QueueId{static_cast<std::uint32_t>(rng() % kQueues)};
    if (rng() % 2 == 0) {
      s.skills.push_back(
          {static_cast<cc::SkillId>(rng() % kSkills), 1 + static_cast<int>(rng() % 3)});
    }
    return s;
  }

  // Answers every offer at once; returns how many were answered.
  int drain() {
    int answered = 0;
    for (const auto& c : acd.take_commands()) {
      if (const auto* o = std::get_if<cc::OfferToAgent>(&c)) {
        if (acd.offer_answered(o->interaction, o->agent)) {
          connected.push_back(o->interaction);
          ++answered;
        }
      }
    }
    (void)acd.take_events();
    return answered;
  }
};

double percentile(const std::vector<double>& v, double p) {
  std::vector<double> s(v);
  std::sort(s.begin(), s.end());
  return s.empty() ? 0.0 : s[static_cast<std::size_t>(p * static_cast<double>(s.size() - 1))];
}

constexpr int kDecisions = 20'000;

// One center per strategy, built on first use and reused by every repetition.
BigCenter& center(cc::Strategy strategy, bool saturated) {
  static std::map<std::pair<int, bool>, std::unique_ptr<BigCenter>> centers;
  auto& c = centers[{static_cast<int>(strategy), saturated}];
  if (!c) {
    c = std::make_unique<BigCenter>(strategy);
    if (saturated) {
      // Every agent busy and ~3 interactions waiting per queue.
      for (int k = 0; k < kAgents + 3 * kQueues; ++k) {
        (void)c->acd.arrive(c->spec());
        c->drain();
      }
    } else {
      // Half the agents busy, so the free ones are a realistic mix.
      while (c->connected.size() < kAgents / 2) {
        (void)c->acd.arrive(c->spec());
        c->drain();
      }
    }
  }
  return *c;
}

// A call arrives while about half the agents are free: arrival to offer.
void BM_ArrivalDecision(benchmark::State& state) {
  BigCenter& c = center(static_cast<cc::Strategy>(state.range(0)), false);
  cc::InteractionSpec s = c.spec();
  Result<cc::InteractionId> id = fail(ErrorCode::kInternal, "not run");
  for (auto _ : state) id = c.acd.arrive(std::move(s));
  // Keep the load steady: answer it and end another call; drop an unrouted one.
  if (c.drain() == 0 && id) (void)c.acd.caller_hung_up(*id);
  if (!c.connected.empty()) {
    const std::size_t k = c.rng() % c.connected.size();
    (void)c.acd.conversation_ended(c.connected[k]);
    c.connected[k] = c.connected.back();
    c.connected.pop_back();
    c.drain();
  }
}
BENCHMARK(BM_ArrivalDecision)
    ->Arg(static_cast<int>(cc::Strategy::kLongestIdle))
    ->Arg(static_cast<int>(cc::Strategy::kSkillsBestMatch))
    ->Arg(static_cast<int>(cc::Strategy::kRoundRobin))
    ->Iterations(1)
    ->Repetitions(kDecisions)
    ->ReportAggregatesOnly(true)
    ->ComputeStatistics("p50", [](const std::vector<double>& v) { return percentile(v, 0.50); })
    ->ComputeStatistics("p99", [](const std::vector<double>& v) { return percentile(v, 0.99); });

// Every agent busy, ~3 interactions waiting per queue: an agent ends a call and takes
// the next one from its queues by the selection rule; end of call to offer.
void BM_AgentFreeDecision(benchmark::State& state) {
  BigCenter& c = center(cc::Strategy::kLongestIdle, true);
  const std::size_t k = c.rng() % c.connected.size();
  const cc::InteractionId done = c.connected[k];
  c.connected[k] = c.connected.back();
  c.connected.pop_back();
  for (auto _ : state) (void)c.acd.conversation_ended(done);
  c.drain();
  (void)c.acd.arrive(c.spec());  // refill
  c.drain();
}
BENCHMARK(BM_AgentFreeDecision)
    ->Iterations(1)
    ->Repetitions(kDecisions)
    ->ReportAggregatesOnly(true)
    ->ComputeStatistics("p50", [](const std::vector<double>& v) { return percentile(v, 0.50); })
    ->ComputeStatistics("p99", [](const std::vector<double>& v) { return percentile(v, 0.99); });

// One simulated day: 100,000 calls over 500 agents in 10 queues.
void BM_SimulateDay(benchmark::State& state) {
  sim::Scenario s;
  s.seed = 1;
  for (int q = 0; q < 10; ++q) {
    sim::SimQueue sq;
    sq.config.name = "q" + std::to_string(q);
    sq.arrivals_per_interval.assign(48, 100'000.0 / 48 / 10);
    sq.handle_time = sim::Distribution::exponential(seconds(180));
    sq.patience = sim::Distribution::exponential(seconds(300));
    s.queues.push_back(sq);
  }
  for (int a = 0; a < 500; ++a) {
    sim::SimAgent sa;
    sa.config.name = "a" + std::to_string(a);
    sa.config.memberships = {{cc::QueueId{static_cast<std::uint32_t>(a % 10)}, 0},
                             {cc::QueueId{static_cast<std::uint32_t>((a + 1) % 10)}, 1}};
    s.agents.push_back(sa);
  }
  std::uint64_t calls = 0;
  for (auto _ : state) {
    auto r = sim::simulate(s);
    calls = r ? r->total.offered : 0;
    benchmark::DoNotOptimize(calls);
  }
  state.counters["calls"] = static_cast<double>(calls);
}
BENCHMARK(BM_SimulateDay)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace hotline

BENCHMARK_MAIN();
