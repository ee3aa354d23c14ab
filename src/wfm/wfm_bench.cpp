// Figures for docs/benchmarks.md (workforce management):
//   Erlang staffing, one week of 30-min intervals for 100 queues   (aim <= 50 ms)
//   forecast for 50 queues from one year of half-hourly history    (aim <= 1 s)
//   a week's schedule for 500 agents, 3 templates, breaks + lunch  (aim feasible <= 60 s)
// Run: build/<dir>/src/wfm/wfm_bench (see docs/benchmarks.md for the exact command).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "wfm/forecast.hpp"
#include "wfm/scheduler.hpp"
#include "wfm/staffing.hpp"

namespace hotline::wfm {
namespace {

// Calls per half hour for slot `s` of a week: two weekday peaks, weekend hump.
double shape(int s) {
  const int day = s / 48;
  const double h = (s % 48) / 2.0;
  const double weekday =
      std::exp(-(h - 10.5) * (h - 10.5) / 4) + 0.8 * std::exp(-(h - 15) * (h - 15) / 5) + 0.05;
  const double weekend = 0.4 * std::exp(-(h - 13) * (h - 13) / 10) + 0.03;
  return day < 5 ? weekday : weekend;
}

void BM_ErlangStaffingWeek100Queues(benchmark::State& state) {
  std::vector<std::vector<IntervalDemand>> queues(100);
  for (int q = 0; q < 100; ++q)
    for (int s = 0; s < 336; ++s)
      queues[q].push_back({std::round(shape(s) * (20 + 8 * q)), 150.0 + q});
  StaffingOptions o;
  o.target = sl_target(0.8, 20);
  o.shrinkage = 0.3;
  for (auto _ : state) {
    int total = 0;
    for (const auto& demand : queues) total += plan_staffing(demand, o)->intervals[200].required;
    benchmark::DoNotOptimize(total);
  }
}
BENCHMARK(BM_ErlangStaffingWeek100Queues)->Unit(benchmark::kMillisecond);

void BM_Forecast50QueuesOneYear(benchmark::State& state) {
  std::mt19937 rng(42);
  std::vector<IntervalSeries> queues;
  for (int q = 0; q < 50; ++q) {
    IntervalSeries s{std::chrono::local_days{std::chrono::year{2024} / 1 / 1}, 1800, {}};
    for (int i = 0; i < 52 * 336; ++i) {
      const double mean = shape(i % 336) * (30 + q) * (1 + 0.002 * (i / 336));
      s.values.push_back(std::poisson_distribution<int>(mean)(rng));
    }
    queues.push_back(std::move(s));
  }
  double wape = 0;
  for (auto _ : state) {
    wape = 0;
    for (const auto& h : queues) wape += forecast_volume(h, 336)->backtest->wape;
  }
  state.counters["mean_backtest_wape"] = wape / 50;
}
BENCHMARK(BM_Forecast50QueuesOneYear)->Unit(benchmark::kMillisecond)->Iterations(3);

ShiftTemplate bench_template(std::string name, int earliest_h, int latest_h, int length_min) {
  ShiftTemplate t;
  t.name = std::move(name);
  t.length_min = length_min;
  t.earliest_start_min = earliest_h * 60;
  t.latest_start_min = latest_h * 60;
  t.start_step_min = 30;
  t.min_gap_between_breaks_min = 60;
  t.breaks = {{"break", 15, true, 60, 150},
              {"lunch", 30, false, 180, 300},
              {"break", 15, true, 300, length_min - 75}};
  return t;
}

// 500 agents (mostly 40 h, some 32 h and 24 h part-timers with days off) against a
// requirement that needs roughly all of them.
ScheduleProblem bench_problem(int agents) {
  ScheduleProblem p;
  p.slot_s = 900;
  p.requirement.assign(7 * 96, 0.0);
  double shape_sum = 0;
  for (int s = 0; s < 7 * 96; ++s) {
    const int day = s / 96;
    const double h = (s % 96) / 4.0;
    if (h >= 7 && h < 22) shape_sum += shape(day * 48 + (s % 96) / 2);
  }
  const double agent_slots = agents * 36.0 * 4 * 0.92;  // paid slots on the phones
  for (int s = 0; s < 7 * 96; ++s) {
    const int day = s / 96;
    const double h = (s % 96) / 4.0;
    if (h >= 7 && h < 22)
      p.requirement[s] = std::round(shape(day * 48 + (s % 96) / 2) / shape_sum * agent_slots);
  }
  p.templates = {bench_template("early", 7, 9, 510), bench_template("day", 9, 12, 510),
                 bench_template("late", 13, 14, 420)};
  for (int i = 0; i < agents; ++i) {
    Agent a;
    a.id = "agent" + std::to_string(i);
    a.contract_hours = i % 10 == 0 ? 24 : (i % 4 == 0 ? 32 : 40);
    a.contract_tolerance_hours = 2;
    if (i % 7 == 0) a.day_off[(i / 7) % 7] = true;
    p.agents.push_back(a);
  }
  return p;
}

void BM_ScheduleWeek(benchmark::State& state) {
  const auto p = bench_problem(static_cast<int>(state.range(0)));
  ScheduleOptions o;
  o.time_limit_s = static_cast<double>(state.range(1));
  Schedule s;
  for (auto _ : state) s = *build_schedule(p, o);
  state.counters["coverage_gap"] = s.coverage_gap;
  state.counters["under_agent_h"] = s.under_staffed / 4;
  state.counters["over_agent_h"] = s.over_staffed / 4;
  state.counters["shifts"] = static_cast<double>(s.shifts.size());
  state.counters["shift_status"] = static_cast<double>(s.shift_status);
  state.counters["break_status"] = static_cast<double>(s.break_status);
  state.counters["contract_short"] = static_cast<double>(s.contract_shortfalls.size());
}
BENCHMARK(BM_ScheduleWeek)
    ->Args({100, 20})
    ->Args({500, 60})
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

}  // namespace
}  // namespace hotline::wfm

BENCHMARK_MAIN();
