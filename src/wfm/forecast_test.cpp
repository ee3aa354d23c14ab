#include "wfm/forecast.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

namespace hotline::wfm {
namespace {

constexpr int kSlotsPerWeek = 336;  // half-hourly

std::chrono::local_seconds monday() {
  return std::chrono::local_days{std::chrono::year{2025} / 1 / 6};
}

double pattern(std::size_t slot) {  // a weekly shape with a daily peak, never zero
  const double day = static_cast<double>(slot % 48);
  const double weekday = static_cast<double>((slot / 48) % 7);
  return 5 + 40 * std::exp(-(day - 22) * (day - 22) / 30) * (weekday < 5 ? 1.0 : 0.4);
}

IntervalSeries weekly(int weeks, double growth_per_week = 0) {
  IntervalSeries s{monday(), 1800, {}};
  for (int i = 0; i < weeks * kSlotsPerWeek; ++i)
    s.values.push_back(pattern(i) * (1 + growth_per_week * (i / kSlotsPerWeek)));
  return s;
}

TEST(Forecast, SeasonalAverageRepeatsAStablePattern) {
  const auto f = forecast_seasonal_average(weekly(5), 2 * kSlotsPerWeek, {});
  ASSERT_TRUE(f.has_value()) << f.error().describe();
  for (int i = 0; i < 2 * kSlotsPerWeek; ++i) EXPECT_NEAR((*f)[i], pattern(i), 1e-9) << i;
}

TEST(Forecast, SeasonalAverageCarriesALinearTrend) {
  // Week w is pattern × (1 + 0.1 w): the next week (w = 8) is pattern × 1.8.
  const auto f = forecast_seasonal_average(weekly(8, 0.1), kSlotsPerWeek, {.weeks = 4});
  ASSERT_TRUE(f.has_value());
  for (int i = 0; i < kSlotsPerWeek; ++i) EXPECT_NEAR((*f)[i], pattern(i) * 1.8, 1e-9) << i;
  const auto flat =
      forecast_seasonal_average(weekly(8, 0.1), kSlotsPerWeek, {.weeks = 4, .trend = false});
  EXPECT_NEAR((*flat)[22], pattern(22) * 1.55, 1e-9);
}

TEST(Forecast, HoltWintersRepeatsAStablePattern) {
  for (auto kind : {Seasonality::kMultiplicative, Seasonality::kAdditive}) {
    HoltWintersFit fit;
    HoltWintersOptions o;
    o.seasonality = kind;
    const auto f = forecast_holt_winters(weekly(3), kSlotsPerWeek, o, &fit);
    ASSERT_TRUE(f.has_value()) << f.error().describe();
    for (int i = 0; i < kSlotsPerWeek; ++i) EXPECT_NEAR((*f)[i], pattern(i), 1e-6) << i;
  }
}

TEST(Forecast, HoltWintersFollowsGrowth) {
  const auto f = forecast_holt_winters(weekly(8, 0.05), kSlotsPerWeek, {});
  ASSERT_TRUE(f.has_value());
  const auto expected = weekly(9, 0.05);
  std::span<const double> last(expected.values.data() + 8 * kSlotsPerWeek, kSlotsPerWeek);
  const auto acc = accuracy(*f, last).value();
  EXPECT_LT(acc.wape, 0.03);
}

TEST(Forecast, AccuracyDefinitions) {
  const std::vector<double> f{12, 8, 5, 1};
  const std::vector<double> a{10, 10, 0, 2};
  const auto acc = accuracy(f, a).value();
  EXPECT_DOUBLE_EQ(acc.wape, (2.0 + 2 + 5 + 1) / 22);
  EXPECT_DOUBLE_EQ(acc.mape, (0.2 + 0.2 + 0.5) / 3);  // the zero-actual slot is left out
  EXPECT_FALSE(accuracy(f, std::vector<double>{0, 0, 0, 0}).has_value());
  EXPECT_FALSE(accuracy(f, std::vector<double>{1}).has_value());
}

TEST(Forecast, ChoosesTheMethodWithTheLowerBacktestError) {
  const auto r = forecast_volume(weekly(6, 0.03), kSlotsPerWeek);
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  ASSERT_EQ(r->scores.size(), 2u);
  ASSERT_TRUE(r->backtest.has_value());
  for (const auto& s : r->scores) EXPECT_LE(r->backtest->wape, s.backtest.wape);
  EXPECT_EQ(r->forecast.start, monday() + std::chrono::weeks(6));
  EXPECT_EQ(r->forecast.values.size(), static_cast<std::size_t>(kSlotsPerWeek));
}

TEST(Forecast, ShortHistoryFallsBackWithoutBacktest) {
  const auto r = forecast_volume(weekly(1), 48);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->method, ForecastMethod::kSeasonalAverage);
  EXPECT_FALSE(r->backtest.has_value());
  IntervalSeries tiny{monday(), 1800, {1, 2, 3}};
  EXPECT_EQ(forecast_volume(tiny, 48).error().code, ErrorCode::kFailedPrecondition);
}

TEST(Forecast, HolidaysInHistoryAreReplacedAndForecastHolidaysApplied) {
  auto h = weekly(4);
  // Week 3's Wednesday was a holiday with almost no calls.
  const std::size_t wed = 2 * kSlotsPerWeek + 2 * 48;
  for (std::size_t i = wed; i < wed + 48; ++i) h.values[i] = 0.5;
  SpecialDays days;
  days.holidays.push_back({std::chrono::year{2025} / 1 / 22, 0.0, "closed"});
  days.holidays.push_back({std::chrono::year{2025} / 2 / 3, 0.5, "half day"});  // next Monday
  ForecastOptions o;
  o.candidates = {ForecastMethod::kSeasonalAverage};
  o.seasonal = {.weeks = 4, .trend = false};
  o.special_days = days;
  const auto r = forecast_volume(h, kSlotsPerWeek, o);
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  for (int i = 0; i < 48; ++i) EXPECT_NEAR(r->forecast.values[i], 0.5 * pattern(i), 1e-9) << i;
  for (int i = 2 * 48; i < 3 * 48; ++i) EXPECT_NEAR(r->forecast.values[i], pattern(i), 1e-9) << i;
}

TEST(Forecast, OneOffAdjustmentScalesItsWindowOnly) {
  SpecialDays days;
  const auto tuesday = monday() + std::chrono::weeks(3) + std::chrono::days(1);
  days.adjustments.push_back(
      {tuesday + std::chrono::hours(13), tuesday + std::chrono::hours(18), 1.3, "campaign"});
  ForecastOptions o;
  o.candidates = {ForecastMethod::kSeasonalAverage};
  o.special_days = days;
  const auto r = forecast_volume(weekly(3), kSlotsPerWeek, o);
  ASSERT_TRUE(r.has_value());
  for (int i = 0; i < kSlotsPerWeek; ++i) {
    const bool in = i >= 48 + 26 && i < 48 + 36;
    EXPECT_NEAR(r->forecast.values[i], pattern(i) * (in ? 1.3 : 1.0), 1e-9) << i;
  }
}

TEST(Forecast, AhtIsCallWeightedPerSlot) {
  IntervalSeries calls{monday(), 1800, std::vector<double>(2 * kSlotsPerWeek, 0)};
  std::vector<double> aht(calls.values.size(), 0);
  calls.values[5] = 10;
  aht[5] = 100;
  calls.values[5 + kSlotsPerWeek] = 30;
  aht[5 + kSlotsPerWeek] = 200;
  const auto f = forecast_aht(calls, aht, kSlotsPerWeek, 2).value();
  EXPECT_DOUBLE_EQ(f[5], (10 * 100.0 + 30 * 200.0) / 40);
  EXPECT_DOUBLE_EQ(f[6], (10 * 100.0 + 30 * 200.0) / 40);  // no calls: the overall mean
}

TEST(Forecast, BadInputIsAnErrorValue) {
  IntervalSeries neg = weekly(2);
  neg.values[3] = -1;
  EXPECT_FALSE(forecast_volume(neg, 10).has_value());
  EXPECT_FALSE(forecast_volume(weekly(2), -1).has_value());
  EXPECT_FALSE(forecast_holt_winters(weekly(1), 10, {}).has_value());
  HoltWintersOptions bad_alpha;
  bad_alpha.alpha = 1.5;
  EXPECT_FALSE(forecast_holt_winters(weekly(2), 10, bad_alpha).has_value());
  SpecialDays bad;
  bad.adjustments.push_back({monday() + std::chrono::hours(2), monday(), 1.1, "backwards"});
  ForecastOptions o;
  o.special_days = bad;
  EXPECT_FALSE(forecast_volume(weekly(2), 10, o).has_value());
}

}  // namespace
}  // namespace hotline::wfm
