// Interval forecasting of call volume and AHT: seasonal averages (same interval and
// weekday over the last K weeks, with trend) and Holt-Winters with weekly seasonality,
// chosen per queue by back-testing; holidays and one-off adjustments. Pure; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "wfm/interval_series.hpp"

namespace hotline::wfm {

enum class ForecastMethod { kSeasonalAverage, kHoltWinters };
std::string_view to_string(ForecastMethod m);

struct SeasonalAverageOptions {
  int weeks = 4;      // K: average the same slot over the last K weeks (fewer if absent)
  bool trend = true;  // scale by the week-over-week growth of the last K weekly totals
};

enum class Seasonality { kMultiplicative, kAdditive };

struct HoltWintersOptions {
  std::optional<Seasonality> seasonality;  // unset: both tried, the better one kept
  // Unset alpha/gamma: chosen on a grid by the week-ahead error on the last week of the
  // history. Unset beta: 0, so the trend stays at the history's average weekly growth.
  std::optional<double> alpha, beta, gamma;
  // Fit on at most the last N weeks (0: all). With the smoothing constants on the grid
  // older weeks carry almost no weight, and a year of history would cost 3× the time.
  int max_history_weeks = 16;
};

// The parameters a Holt-Winters fit used (reported so the choice can be read back).
struct HoltWintersFit {
  double alpha = 0, beta = 0, gamma = 0;
  Seasonality seasonality = Seasonality::kAdditive;
};

// Forecasts `horizon` slots following history.end(). REQUIRES at least one full week
// (seasonal average) or two full weeks (Holt-Winters) of history; else an error.
Result<std::vector<double>> forecast_seasonal_average(const IntervalSeries& history, int horizon,
                                                      const SeasonalAverageOptions& options);
Result<std::vector<double>> forecast_holt_winters(const IntervalSeries& history, int horizon,
                                                  const HoltWintersOptions& options,
                                                  HoltWintersFit* fit = nullptr);

struct Accuracy {
  double wape = 0;  // Σ|F−A| / ΣA
  double mape = 0;  // mean |F−A| / A over slots with A > 0
};
// REQUIRES equal sizes and Σ actual > 0.
Result<Accuracy> accuracy(std::span<const double> forecast, std::span<const double> actual);

// A whole day with a different volume: factor 0 = closed, 0.5 = half the usual calls.
struct SpecialDay {
  std::chrono::year_month_day date;
  double factor = 0;
  std::string name;
};
// A one-off change over [from, to): a campaign on Tuesday afternoon is factor 1.3.
struct Adjustment {
  std::chrono::local_seconds from{}, to{};
  double factor = 1;
  std::string reason;
};
struct SpecialDays {
  std::vector<SpecialDay> holidays;
  std::vector<Adjustment> adjustments;
};

// History made comparable: a holiday's slots are replaced by the same slots one week
// earlier (later when there is no earlier week), an adjusted window is divided by its
// factor (zero factors are replaced like holidays). Validates factors (>= 0, finite).
Result<IntervalSeries> normalise_history(const IntervalSeries& history, const SpecialDays& days);
// Multiplies each forecast slot by the factors of the holidays and adjustments covering it.
Result<IntervalSeries> apply_special_days(IntervalSeries forecast, const SpecialDays& days);

struct ForecastOptions {
  std::vector<ForecastMethod> candidates{ForecastMethod::kSeasonalAverage,
                                         ForecastMethod::kHoltWinters};
  SeasonalAverageOptions seasonal;
  HoltWintersOptions holt_winters;
  int backtest_weeks = 1;  // hold out the last N weeks to choose the method
  SpecialDays special_days;
};

struct MethodScore {
  ForecastMethod method;
  Accuracy backtest;
};

struct VolumeForecast {
  IntervalSeries forecast;  // starts at history.end()
  ForecastMethod method;    // the candidate with the lowest back-test WAPE
  // That method's error on the held-out weeks; empty when the history was too short
  // to hold any out (then the first candidate that can run is used).
  std::optional<Accuracy> backtest;
  std::vector<MethodScore> scores;                 // every candidate that could run
  std::optional<HoltWintersFit> holt_winters_fit;  // when Holt-Winters was chosen
};

// The per-queue procedure: normalise history for special days, back-test every
// candidate on the last backtest_weeks (fit on the weeks before), refit the winner on
// the whole history, forecast horizon slots and apply special days to the result.
Result<VolumeForecast> forecast_volume(const IntervalSeries& history, int horizon,
                                       const ForecastOptions& options = {});

// AHT per slot: the call-weighted mean of the same slot over the last `weeks` weeks,
// falling back to the call-weighted mean of the whole history where that slot had
// no calls. `calls` and `aht_s` are aligned, one value per slot.
Result<std::vector<double>> forecast_aht(const IntervalSeries& calls, std::span<const double> aht_s,
                                         int horizon, int weeks = 4);

}  // namespace hotline::wfm
