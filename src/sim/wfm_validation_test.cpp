// Validation by simulation against theory: where Erlang C/A are exact (one queue,
// Poisson arrivals, exponential handle times and patience, constant staffing) the
// simulated SL must agree within a statistical tolerance; fewer agents must show.
// Seeded runs, so every assertion is deterministic.
#include "sim/wfm_validation.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "wfm/erlang_a.hpp"
#include "wfm/erlang_c.hpp"

namespace hotline::sim {
namespace {

constexpr int kIntervals = 336;  // a week of half hours

wfm::ScheduleProblem problem(int agents) {
  wfm::ScheduleProblem p;
  p.slot_s = 1800;
  for (int i = 0; i < agents; ++i) {
    wfm::Agent a;
    a.id = "a" + std::to_string(i);
    p.agents.push_back(a);
  }
  return p;
}

// Each agent on the phones for the whole week, no breaks.
std::vector<wfm::ScheduledShift> whole_week(int agents) {
  std::vector<wfm::ScheduledShift> out;
  for (int i = 0; i < agents; ++i) {
    wfm::ScheduledShift s;
    s.agent = static_cast<std::size_t>(i);
    s.start_slot = 0;
    s.length_slots = kIntervals;
    out.push_back(s);
  }
  return out;
}

std::vector<wfm::IntervalDemand> flat(double calls, double aht_s) {
  return std::vector<wfm::IntervalDemand>(kIntervals, {calls, aht_s});
}

TEST(WfmValidation, AgreesWithErlangCWhereTheoryIsExact) {
  // 100 calls per half hour at 180 s = 10 Erlangs on 14 agents: SL(20 s) = 0.8884.
  ValidationOptions o;
  o.replications = 3;
  auto r = validate_by_simulation(problem(14), whole_week(14), flat(100, 180), o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->model, "erlang_c");
  ASSERT_EQ(r->intervals.size(), static_cast<std::size_t>(kIntervals));
  EXPECT_NEAR(r->erlang_period_sl, 0.88835, 1e-4);
  // ~100,000 calls; the batch-means standard error of the SL is about 0.003.
  EXPECT_NEAR(r->simulated_period_sl, r->erlang_period_sl, 0.015);
  EXPECT_DOUBLE_EQ(r->intervals[5].agents, 14);
  EXPECT_FALSE(r->intervals[5].unstable);
  EXPECT_GT(r->intervals[5].offered, 0u);
}

TEST(WfmValidation, AgreesWithErlangAWithExponentialPatience) {
  // 10 Erlangs on 11 agents, mean patience 120 s: overloaded enough that abandons matter.
  ValidationOptions o;
  o.replications = 3;
  o.patience_s = 120;
  auto r = validate_by_simulation(problem(11), whole_week(11), flat(100, 180), o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->model, "erlang_a");
  auto theory = wfm::erlang_a({100, 1800, 180}, 11, 120, 20);
  ASSERT_TRUE(theory);
  EXPECT_NEAR(r->erlang_period_sl, theory->sl_offered, 1e-9);
  EXPECT_NEAR(r->simulated_period_sl, theory->sl_offered, 0.02);
  std::uint64_t abandoned = 0;
  std::uint64_t offered = 0;
  for (const auto& iv : r->intervals) {
    abandoned += iv.abandoned;
    offered += iv.offered;
  }
  EXPECT_NEAR(static_cast<double>(abandoned) / static_cast<double>(offered), theory->p_abandon,
              0.01);
}

TEST(WfmValidation, FewerScheduledAgentsGiveALowerSimulatedServiceLevel) {
  ValidationOptions o;
  o.replications = 2;
  auto full = validate_by_simulation(problem(14), whole_week(14), flat(100, 180), o);
  auto short_staffed = validate_by_simulation(problem(12), whole_week(12), flat(100, 180), o);
  ASSERT_TRUE(full && short_staffed);
  EXPECT_LT(short_staffed->simulated_period_sl, full->simulated_period_sl - 0.1);
  EXPECT_LT(short_staffed->erlang_period_sl, full->erlang_period_sl);
}

TEST(WfmValidation, BreaksAndShiftsShapeTheCoveragePerInterval) {
  // 14 agents all day Monday; all take a break in slot 20 and only 10 stay for 30-39.
  auto shifts = whole_week(14);
  for (auto& s : shifts) s.length_slots = 48;
  for (std::size_t i = 0; i < shifts.size(); ++i) {
    shifts[i].breaks = {{"lunch", 20, 1, false}};
    if (i >= 10) shifts[i].length_slots = 30;
  }
  std::vector<wfm::IntervalDemand> demand(48, {100, 180});
  ValidationOptions o;
  o.replications = 4;
  auto r = validate_by_simulation(problem(14), shifts, demand, o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_DOUBLE_EQ(r->intervals[19].agents, 14);
  EXPECT_DOUBLE_EQ(r->intervals[20].agents, 0);
  EXPECT_TRUE(r->intervals[20].unstable);
  EXPECT_DOUBLE_EQ(r->intervals[20].erlang_sl, 0);
  EXPECT_LT(r->intervals[20].simulated_sl, 0.2) << "nobody on the phones for half an hour";
  EXPECT_DOUBLE_EQ(r->intervals[35].agents, 10);
  EXPECT_TRUE(r->intervals[35].unstable) << "10 agents for 10 Erlangs";
  EXPECT_EQ(r->simulated_agents, 14u * 2 + 0u);  // two stretches each (before/after lunch)
  double late = 0;
  double early = 0;
  for (int i = 40; i < 48; ++i) late += r->intervals[i].simulated_sl;
  for (int i = 4; i < 12; ++i) early += r->intervals[i].simulated_sl;
  EXPECT_LT(late, early);
}

TEST(WfmValidation, VaryingAhtScalesHandleTimes) {
  // Half the week at AHT 90 s (5 Erlangs), half at 180 s (10 Erlangs), 12 agents.
  auto demand = flat(100, 180);
  for (int i = 0; i < kIntervals / 2; ++i) demand[i].aht_s = 90;
  ValidationOptions o;
  o.replications = 2;
  auto r = validate_by_simulation(problem(12), whole_week(12), demand, o);
  ASSERT_TRUE(r) << r.error().describe();
  double low = 0;
  double high = 0;
  for (int i = 0; i < kIntervals / 2; ++i) low += r->intervals[i].simulated_sl;
  for (int i = kIntervals / 2; i < kIntervals; ++i) high += r->intervals[i].simulated_sl;
  low /= kIntervals / 2;
  high /= kIntervals / 2;
  auto c5 = wfm::erlang_c({100, 1800, 90}, 12, 20);
  auto c10 = wfm::erlang_c({100, 1800, 180}, 12, 20);
  ASSERT_TRUE(c5 && c10);
  EXPECT_NEAR(low, c5->service_level, 0.03);
  EXPECT_NEAR(high, c10->service_level, 0.05);
}

TEST(WfmValidation, RejectsBadInput) {
  ValidationOptions o;
  o.interval_s = 900;
  auto r = validate_by_simulation(problem(1), whole_week(1), flat(10, 180), o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("multiple"), std::string::npos);
  auto demand = flat(10, 180);
  demand[7].calls = -1;
  r = validate_by_simulation(problem(1), whole_week(1), demand, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("interval 7"), std::string::npos);
  demand[7] = {5, 0};
  EXPECT_FALSE(validate_by_simulation(problem(1), whole_week(1), demand, {}));
  ValidationOptions bad;
  bad.replications = 0;
  EXPECT_FALSE(validate_by_simulation(problem(1), whole_week(1), flat(10, 180), bad));
}

}  // namespace
}  // namespace hotline::sim
