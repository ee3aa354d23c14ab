#include "wfm/staffing.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace hotline::wfm {
namespace {

StaffingOptions half_hour_80_20(double shrinkage) {
  StaffingOptions o;
  o.interval_s = 1800;
  o.target = sl_target(0.8, 20);
  o.shrinkage = shrinkage;
  return o;
}

TEST(Staffing, RequiredMatchesErlangCPerInterval) {
  const std::vector<IntervalDemand> day{{0, 0}, {10, 200}, {100, 180}, {400, 240}};
  auto plan = plan_staffing(day, half_hour_80_20(0.0));
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  ASSERT_EQ(plan->intervals.size(), 4u);
  EXPECT_EQ(plan->intervals[0].required, 0);
  EXPECT_EQ(plan->intervals[0].expected_sl, 1.0);
  for (std::size_t i = 1; i < day.size(); ++i) {
    const StaffingTarget t = sl_target(0.8, 20);
    const int n = erlang_c_min_agents({day[i].calls, 1800, day[i].aht_s}, t).value();
    EXPECT_EQ(plan->intervals[i].required, n) << i;
    EXPECT_GE(plan->intervals[i].expected_sl, 0.8) << i;
  }
  EXPECT_EQ(plan->intervals[2].required, 14);  // the published 100 calls / 180 s example
}

TEST(Staffing, ShrinkageGrossesUp) {
  const std::vector<IntervalDemand> day{{100, 180}};
  auto plan = plan_staffing(day, half_hour_80_20(0.3)).value();
  EXPECT_EQ(plan.intervals[0].required, 14);
  EXPECT_NEAR(plan.intervals[0].required_gross, 20.0, 1e-12);
  EXPECT_EQ(plan.intervals[0].required_gross_ceil, 20);
  EXPECT_NEAR(plan.total_required_hours, 10.0, 1e-12);  // 20 heads × 0.5 h
}

TEST(Staffing, ScheduledShowsGapAndExpectedServiceLevel) {
  const std::vector<IntervalDemand> day{{100, 180}, {100, 180}, {100, 180}};
  const std::vector<int> scheduled{20, 16, 10};
  auto plan = plan_staffing(day, half_hour_80_20(0.3), scheduled).value();
  EXPECT_EQ(plan.intervals[0].gap, 0);
  EXPECT_EQ(*plan.intervals[0].scheduled_net, 14);
  EXPECT_NEAR(plan.intervals[0].expected_sl, 0.8883500191794669, 1e-12);
  EXPECT_EQ(plan.intervals[1].gap, -4);
  EXPECT_EQ(*plan.intervals[1].scheduled_net, 11);  // floor(16 × 0.7)
  EXPECT_LT(plan.intervals[1].expected_sl, 0.8);
  EXPECT_GT(plan.intervals[1].expected_sl, 0.0);
  // 7 on the phones for 10 Erlangs: Erlang C has no steady state.
  EXPECT_TRUE(plan.intervals[2].unstable);
  EXPECT_EQ(plan.intervals[2].expected_sl, 0.0);
  EXPECT_LT(plan.period_sl, 0.8);
  EXPECT_NEAR(plan.total_scheduled_hours, 23.0, 1e-12);
}

TEST(Staffing, ErlangANeedsNoMoreThanErlangC) {
  std::vector<IntervalDemand> week;
  for (int i = 0; i < 48; ++i) week.push_back({20.0 + 10 * (i % 12), 200});
  auto c = plan_staffing(week, half_hour_80_20(0.2)).value();
  StaffingOptions oa = half_hour_80_20(0.2);
  oa.model = QueueModel::kErlangA;
  oa.patience_s = 60;
  auto a = plan_staffing(week, oa).value();
  for (std::size_t i = 0; i < week.size(); ++i) {
    EXPECT_LE(a.intervals[i].required, c.intervals[i].required) << i;
    EXPECT_GE(a.intervals[i].expected_sl, 0.8) << i;
  }
}

TEST(Staffing, MinimumStaffingFloorsQuietIntervals) {
  StaffingOptions o = half_hour_80_20(0.0);
  o.min_agents = 2;
  const std::vector<IntervalDemand> night{{0, 0}, {1, 300}};
  auto plan = plan_staffing(night, o).value();
  EXPECT_EQ(plan.intervals[0].required, 2);
  EXPECT_EQ(plan.intervals[1].required, 2);
}

TEST(Staffing, BadInputNamesTheInterval) {
  const std::vector<IntervalDemand> bad_calls{{10, 180}, {-5, 180}};
  auto r = plan_staffing(bad_calls, half_hour_80_20(0.3));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("interval 1"), std::string::npos) << r.error().message;
  const std::vector<IntervalDemand> bad_aht{{10, 0}};
  EXPECT_FALSE(plan_staffing(bad_aht, half_hour_80_20(0.3)).has_value());
  const std::vector<IntervalDemand> ok{{10, 180}};
  EXPECT_FALSE(plan_staffing(ok, half_hour_80_20(1.0)).has_value());
  StaffingOptions odd = half_hour_80_20(0.3);
  odd.interval_s = 1000;
  EXPECT_FALSE(plan_staffing(ok, odd).has_value());
  const std::vector<int> wrong_size{1, 2};
  EXPECT_FALSE(plan_staffing(ok, half_hour_80_20(0.3), wrong_size).has_value());
}

}  // namespace
}  // namespace hotline::wfm
