// Benchmarks for the routing engine at scale and for the simulator. They live in
// sim/ because per-decision percentiles need a real clock, which cc/ must never
// read (even in a benchmark).
//
//   ninja -C build/<dir> sim_bench && build/<dir>/src/sim/sim_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
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

void report_percentiles(benchmark::State& state, std::vector<double>& ns) {
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  state.counters["p50_ns"] = ns[ns.size() / 2];
  state.counters["p99_ns"] = ns[ns.size() * 99 / 100];
}

// A call arrives while about half the agents are free: time to the offer.
void BM_ArrivalDecision(benchmark::State& state) {
  BigCenter c(static_cast<cc::Strategy>(state.range(0)));
  // Occupy half the agents so the free ones are a realistic mix.
  while (c.connected.size() < kAgents / 2) {
    (void)c.acd.arrive(c.spec());
    c.drain();
  }
  std::vector<double> ns;
  for (auto _ : state) {
    cc::InteractionSpec s = c.spec();
    const auto t0 = std::chrono::steady_clock::now();
    auto id = c.acd.arrive(std::move(s));
    const auto t1 = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double, std::nano>(t1 - t0).count();
    state.SetIterationTime(elapsed / 1e9);
    ns.push_back(elapsed);
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
  report_percentiles(state, ns);
}
BENCHMARK(BM_ArrivalDecision)
    ->Arg(static_cast<int>(cc::Strategy::kLongestIdle))
    ->Arg(static_cast<int>(cc::Strategy::kSkillsBestMatch))
    ->Arg(static_cast<int>(cc::Strategy::kRoundRobin))
    ->UseManualTime()
    ->Iterations(20'000);

// Every agent busy, ~3 interactions waiting per queue: an agent finishes a call and
// takes the next one from its queues; time from the end of the call to the offer.
void BM_AgentFreeDecision(benchmark::State& state) {
  BigCenter c(cc::Strategy::kLongestIdle);
  for (int k = 0; k < kAgents + 3 * kQueues; ++k) {
    (void)c.acd.arrive(c.spec());
    c.drain();
  }
  std::vector<double> ns;
  for (auto _ : state) {
    if (c.connected.empty()) break;
    const std::size_t k = c.rng() % c.connected.size();
    const cc::InteractionId done = c.connected[k];
    c.connected[k] = c.connected.back();
    c.connected.pop_back();
    const auto t0 = std::chrono::steady_clock::now();
    (void)c.acd.conversation_ended(done);
    const auto t1 = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double, std::nano>(t1 - t0).count();
    state.SetIterationTime(elapsed / 1e9);
    ns.push_back(elapsed);
    c.drain();
    (void)c.acd.arrive(c.spec());  // refill
    c.drain();
  }
  report_percentiles(state, ns);
}
BENCHMARK(BM_AgentFreeDecision)->UseManualTime()->Iterations(20'000);

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
