// The ACD timer agenda (AcdTimers) against the full scan it replaced: the server
// asks for the next deadline after every input, with one ring, max-wait or
// announcement timer per waiting call and a wrap-up timer per agent.
#include <benchmark/benchmark.h>

#include <map>
#include <random>

#include "switch/contact_center.hpp"

namespace hotline::sw {
namespace {

MonoTime at_us(std::uint64_t us) {
  return MonoTime{} + std::chrono::microseconds(us);
}

// What next_deadline() did before: a scan of every pending timer.
std::optional<MonoTime> scan(const std::map<cc::TimerId, MonoTime>& timers) {
  std::optional<MonoTime> next;
  for (const auto& [id, at] : timers) {
    if (!next || at < *next) next = at;
  }
  return next;
}

void BM_NextDeadlineFullScan(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::map<cc::TimerId, MonoTime> timers;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    timers[cc::TimerId{static_cast<std::uint64_t>(i)}] = at_us(rng() % 1'000'000'000);
  }
  for (auto _ : state) benchmark::DoNotOptimize(scan(timers));
}
BENCHMARK(BM_NextDeadlineFullScan)->Arg(100)->Arg(1'000)->Arg(10'000);

void BM_NextDeadlineAgenda(benchmark::State& state) {
  std::mt19937_64 rng(1);
  AcdTimers timers;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    timers.start(cc::TimerId{static_cast<std::uint64_t>(i)}, at_us(rng() % 1'000'000'000));
  }
  for (auto _ : state) benchmark::DoNotOptimize(timers.next());
}
BENCHMARK(BM_NextDeadlineAgenda)->Arg(100)->Arg(1'000)->Arg(10'000);

// One input's worth of timer work: a timer cancelled, one started, and the next
// deadline read (an offer answered: ring timer off, wrap-up timer on).
void BM_AgendaCancelStartNext(benchmark::State& state) {
  std::mt19937_64 rng(1);
  AcdTimers timers;
  const auto n = static_cast<std::uint64_t>(state.range(0));
  for (std::uint64_t i = 0; i < n; ++i) timers.start(cc::TimerId{i}, at_us(rng() % 1'000'000'000));
  std::uint64_t next_id = n;
  std::uint64_t oldest = 0;
  for (auto _ : state) {
    timers.cancel(cc::TimerId{oldest++});
    timers.start(cc::TimerId{next_id++}, at_us(rng() % 1'000'000'000));
    benchmark::DoNotOptimize(timers.next());
  }
}
BENCHMARK(BM_AgendaCancelStartNext)->Arg(100)->Arg(1'000)->Arg(10'000);

}  // namespace
}  // namespace hotline::sw

BENCHMARK_MAIN();
