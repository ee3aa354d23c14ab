#include "wfm/forecast.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace hotline::wfm {
namespace {

using std::chrono::local_days;

Status check_series(const IntervalSeries& s) {
  if (s.interval_s <= 0 || 86400 % s.interval_s != 0)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("interval_s must divide a day, got {}", s.interval_s));
  for (std::size_t i = 0; i < s.values.size(); ++i)
    if (!std::isfinite(s.values[i]) || s.values[i] < 0)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("history slot {} ({}): value must be >= 0, got {}", i,
                              format_local(s.slot_start(i)), s.values[i]));
  return {};
}

Status check_horizon(int horizon) {
  if (horizon < 0)
    return fail(ErrorCode::kInvalidArgument, fmt::format("horizon must be >= 0, got {}", horizon));
  return {};
}

// ---- Holt-Winters ---------------------------------------------------------

struct HwState {
  double level = 0, trend = 0;
  std::vector<double> season;  // indexed by slot-of-week (t mod m)
};

// Classical start: level from the first week, trend from the weekly means, seasonal
// indices averaged over every complete week (each week relative to its own mean).
HwState hw_initial(std::span<const double> y, int m, Seasonality kind) {
  const auto weeks = y.size() / static_cast<std::size_t>(m);
  auto week_mean = [&](std::size_t w) {
    double sum = 0;
    for (int i = 0; i < m; ++i) sum += y[w * m + i];
    return sum / m;
  };
  HwState st;
  st.level = week_mean(0);
  // Trend: least-squares slope of all weekly means, per slot. One noisy week-to-week
  // difference would otherwise be projected across the whole horizon.
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t w = 0; w < weeks; ++w) {
    const double x = static_cast<double>(w), mean = week_mean(w);
    sx += x;
    sy += mean;
    sxx += x * x;
    sxy += x * mean;
  }
  const double nw = static_cast<double>(weeks);
  st.trend = (nw * sxy - sx * sy) / (nw * sxx - sx * sx) / m;
  st.season.assign(m, kind == Seasonality::kMultiplicative ? 1.0 : 0.0);
  std::vector<double> sum(m, 0.0);
  std::size_t used = 0;
  for (std::size_t w = 0; w < weeks; ++w) {
    const double mean = week_mean(w);
    if (kind == Seasonality::kMultiplicative && mean <= 0) continue;
    ++used;
    for (int i = 0; i < m; ++i)
      sum[i] += kind == Seasonality::kMultiplicative ? y[w * m + i] / mean : y[w * m + i] - mean;
  }
  if (used > 0)
    for (int i = 0; i < m; ++i) st.season[i] = sum[i] / static_cast<double>(used);
  return st;
}

constexpr double kTiny = 1e-9;

// Runs the recursions over y; returns the state after the last slot. `one_step_sse`
// (if given) accumulates squared one-step-ahead errors after the first week.
HwState hw_run(std::span<const double> y, int m, Seasonality kind, const HoltWintersFit& p,
               double* one_step_sse = nullptr) {
  HwState st = hw_initial(y, m, kind);
  const bool mult = kind == Seasonality::kMultiplicative;
  for (std::size_t t = 0; t < y.size(); ++t) {
    double& s = st.season[t % m];
    const double base = st.level + st.trend;
    if (one_step_sse && t >= static_cast<std::size_t>(m)) {
      const double e = y[t] - (mult ? base * s : base + s);
      *one_step_sse += e * e;
    }
    const double prev_level = st.level;
    const double deseason = mult ? y[t] / std::max(s, kTiny) : y[t] - s;
    st.level = p.alpha * deseason + (1 - p.alpha) * base;
    st.trend = p.beta * (st.level - prev_level) + (1 - p.beta) * st.trend;
    s = p.gamma * (mult ? y[t] / std::max(st.level, kTiny) : y[t] - st.level) + (1 - p.gamma) * s;
  }
  return st;
}

std::vector<double> hw_forecast(const HwState& st, std::size_t n, int m, Seasonality kind,
                                int horizon) {
  std::vector<double> out(horizon);
  for (int h = 0; h < horizon; ++h) {
    const double base = st.level + (h + 1) * st.trend;
    const double s = st.season[(n + h) % m];
    out[h] = std::max(0.0, kind == Seasonality::kMultiplicative ? base * s : base + s);
  }
  return out;
}

std::vector<double> grid(const std::optional<double>& fixed, std::vector<double> values) {
  if (fixed) return {*fixed};
  return values;
}

HoltWintersFit hw_choose(std::span<const double> y, int m, const HoltWintersOptions& o) {
  const auto alphas = grid(o.alpha, {0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4});
  // Per-slot trend updates (beta > 0) chase noise at half-hour resolution and project it
  // across the week; by default the trend stays at the history's weekly growth.
  const auto betas = grid(o.beta, {0.0});
  const auto gammas = grid(o.gamma, {0.05, 0.1, 0.2, 0.35, 0.5});
  // Multiplicative suits growth, additive is robust where night counts are tiny and
  // noisy (dividing by them biases the level); unset means let the data decide.
  const std::vector<Seasonality> kinds =
      o.seasonality
          ? std::vector<Seasonality>{*o.seasonality}
          : std::vector<Seasonality>{Seasonality::kAdditive, Seasonality::kMultiplicative};
  HoltWintersFit best{alphas[0], betas[0], gammas[0], kinds[0]};
  if (alphas.size() * betas.size() * gammas.size() * kinds.size() == 1) return best;
  // With three weeks or more, judge by what the forecast is for: a week ahead.
  const bool holdout = y.size() >= 3 * static_cast<std::size_t>(m);
  const auto train = holdout ? y.first(y.size() - m) : y;
  double best_err = std::numeric_limits<double>::infinity();
  for (auto kind : kinds)
    for (double a : alphas)
      for (double b : betas)
        for (double g : gammas) {
          const HoltWintersFit p{a, b, g, kind};
          double err = 0;
          if (holdout) {
            const auto st = hw_run(train, m, kind, p);
            const auto f = hw_forecast(st, train.size(), m, kind, m);
            for (int i = 0; i < m; ++i) err += std::abs(f[i] - y[train.size() + i]);
          } else {
            hw_run(y, m, kind, p, &err);
          }
          if (err < best_err) {
            best_err = err;
            best = p;
          }
        }
  return best;
}

Status check_fraction(const std::optional<double>& v, const char* name) {
  if (v && !(*v >= 0 && *v <= 1))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("Holt-Winters {} must be in [0, 1], got {}", name, *v));
  return {};
}

Result<std::vector<double>> run_method(ForecastMethod method, const IntervalSeries& h, int horizon,
                                       const ForecastOptions& o, HoltWintersFit* fit) {
  if (method == ForecastMethod::kSeasonalAverage)
    return forecast_seasonal_average(h, horizon, o.seasonal);
  return forecast_holt_winters(h, horizon, o.holt_winters, fit);
}

std::size_t min_weeks(ForecastMethod m) {
  return m == ForecastMethod::kHoltWinters ? 2 : 1;
}

Status check_special_days(const SpecialDays& d) {
  for (const auto& h : d.holidays) {
    if (!h.date.ok()) return fail(ErrorCode::kInvalidArgument, "holiday with an invalid date");
    if (!std::isfinite(h.factor) || h.factor < 0)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("holiday '{}': factor must be >= 0, got {}", h.name, h.factor));
  }
  for (const auto& a : d.adjustments) {
    if (!std::isfinite(a.factor) || a.factor < 0)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("adjustment '{}': factor must be >= 0, got {}", a.reason, a.factor));
    if (a.to <= a.from)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("adjustment '{}': ends ({}) before it starts ({})", a.reason,
                              format_local(a.to), format_local(a.from)));
  }
  return {};
}

}  // namespace

std::string_view to_string(ForecastMethod m) {
  switch (m) {
    case ForecastMethod::kSeasonalAverage: return "seasonal_average";
    case ForecastMethod::kHoltWinters: return "holt_winters";
  }
  return "unknown";
}

Result<std::vector<double>> forecast_seasonal_average(const IntervalSeries& history, int horizon,
                                                      const SeasonalAverageOptions& o) {
  if (auto ok = check_series(history); !ok) return std::unexpected(ok.error());
  if (auto ok = check_horizon(horizon); !ok) return std::unexpected(ok.error());
  if (o.weeks < 1)
    return fail(ErrorCode::kInvalidArgument, fmt::format("weeks must be >= 1, got {}", o.weeks));
  const std::size_t m = history.slots_per_week();
  const std::size_t n = history.values.size();
  if (n < m)
    return fail(
        ErrorCode::kFailedPrecondition,
        fmt::format("seasonal average needs a full week of history ({} slots), got {}", m, n));
  const auto& y = history.values;
  const std::size_t k = std::min<std::size_t>(o.weeks, n / m);
  // Relative growth per week: least-squares slope of the last k weekly totals.
  double growth = 0;
  if (o.trend && k >= 2) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::size_t w = 1; w <= k; ++w) {
      double total = 0;
      for (std::size_t i = n - w * m; i < n - (w - 1) * m; ++i) total += y[i];
      const double x = -static_cast<double>(w);
      sx += x;
      sy += total;
      sxx += x * x;
      sxy += x * total;
    }
    const double kk = static_cast<double>(k);
    const double slope = (kk * sxy - sx * sy) / (kk * sxx - sx * sx);
    if (sy > 0) growth = slope / (sy / kk);
  }
  std::vector<double> out(horizon);
  for (int h = 0; h < horizon; ++h) {
    const std::size_t first = static_cast<std::size_t>(h) / m + 1;  // weeks back to history
    double sum = 0;
    for (std::size_t j = first; j < first + k; ++j) sum += y[n + h - j * m];
    // The average sits at the mean lag of the weeks used; the trend carries it forward.
    const double lag = static_cast<double>(first) + (static_cast<double>(k) - 1) / 2;
    out[h] = std::max(0.0, sum / static_cast<double>(k) * (1 + growth * lag));
  }
  return out;
}

Result<std::vector<double>> forecast_holt_winters(const IntervalSeries& history, int horizon,
                                                  const HoltWintersOptions& o,
                                                  HoltWintersFit* fit) {
  if (auto ok = check_series(history); !ok) return std::unexpected(ok.error());
  if (auto ok = check_horizon(horizon); !ok) return std::unexpected(ok.error());
  for (auto [v, name] : {std::pair{&o.alpha, "alpha"}, {&o.beta, "beta"}, {&o.gamma, "gamma"}})
    if (auto ok = check_fraction(*v, name); !ok) return std::unexpected(ok.error());
  const int m = history.slots_per_week();
  if (history.values.size() < 2 * static_cast<std::size_t>(m))
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("Holt-Winters needs two full weeks of history ({} slots), got {}",
                            2 * m, history.values.size()));
  if (o.max_history_weeks < 0)
    return fail(ErrorCode::kInvalidArgument, "max_history_weeks must be >= 0");
  std::span<const double> y = history.values;
  // Keep whole weeks so slot t of the span stays slot-of-week t mod m.
  const std::size_t keep = static_cast<std::size_t>(o.max_history_weeks) * m;
  if (o.max_history_weeks > 0 && y.size() > keep) y = y.last(keep + y.size() % m);
  const HoltWintersFit p = hw_choose(y, m, o);
  if (fit) *fit = p;
  const auto st = hw_run(y, m, p.seasonality, p);
  return hw_forecast(st, history.values.size(), m, p.seasonality, horizon);
}

Result<Accuracy> accuracy(std::span<const double> forecast, std::span<const double> actual) {
  if (forecast.size() != actual.size() || actual.empty())
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("accuracy: {} forecast slots vs {} actual slots", forecast.size(),
                            actual.size()));
  double abs_err = 0, total = 0, ape = 0;
  std::size_t positive = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double e = std::abs(forecast[i] - actual[i]);
    abs_err += e;
    total += actual[i];
    if (actual[i] > 0) {
      ape += e / actual[i];
      ++positive;
    }
  }
  if (!(total > 0))
    return fail(ErrorCode::kInvalidArgument,
                "accuracy: actual volume sums to zero (WAPE undefined)");
  return Accuracy{abs_err / total, positive ? ape / static_cast<double>(positive) : 0};
}

Result<IntervalSeries> normalise_history(const IntervalSeries& history, const SpecialDays& days) {
  if (auto ok = check_series(history); !ok) return std::unexpected(ok.error());
  if (auto ok = check_special_days(days); !ok) return std::unexpected(ok.error());
  std::set<local_days> holidays;
  for (const auto& h : days.holidays) holidays.insert(local_days{h.date});
  IntervalSeries out = history;
  const std::size_t n = out.values.size();
  const std::size_t m = out.slots_per_week();
  std::vector<bool> replace(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    const auto t = out.slot_start(i);
    if (holidays.contains(std::chrono::floor<std::chrono::days>(t))) replace[i] = true;
    for (const auto& a : days.adjustments) {
      if (t < a.from || t >= a.to) continue;
      if (a.factor == 0) {
        replace[i] = true;
      } else {
        out.values[i] /= a.factor;
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!replace[i]) continue;
    if (i >= m) {
      out.values[i] = out.values[i - m];
    } else if (i + m < n && !replace[i + m]) {
      out.values[i] = out.values[i + m];
    }
  }
  return out;
}

Result<IntervalSeries> apply_special_days(IntervalSeries forecast, const SpecialDays& days) {
  if (auto ok = check_special_days(days); !ok) return std::unexpected(ok.error());
  for (std::size_t i = 0; i < forecast.values.size(); ++i) {
    const auto t = forecast.slot_start(i);
    const local_days day = std::chrono::floor<std::chrono::days>(t);
    for (const auto& h : days.holidays)
      if (local_days{h.date} == day) forecast.values[i] *= h.factor;
    for (const auto& a : days.adjustments)
      if (t >= a.from && t < a.to) forecast.values[i] *= a.factor;
  }
  return forecast;
}

Result<VolumeForecast> forecast_volume(const IntervalSeries& history, int horizon,
                                       const ForecastOptions& o) {
  if (o.candidates.empty())
    return fail(ErrorCode::kInvalidArgument, "forecast: no candidate methods");
  if (o.backtest_weeks < 1)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("backtest_weeks must be >= 1, got {}", o.backtest_weeks));
  if (auto ok = check_horizon(horizon); !ok) return std::unexpected(ok.error());
  auto clean = normalise_history(history, o.special_days);
  if (!clean) return std::unexpected(clean.error());
  const std::size_t m = clean->slots_per_week();
  const std::size_t weeks = clean->values.size() / m;
  const std::size_t hold = static_cast<std::size_t>(o.backtest_weeks) * m;

  VolumeForecast result;
  std::optional<ForecastMethod> chosen;
  for (auto method : o.candidates) {
    if (weeks < min_weeks(method) + o.backtest_weeks) continue;
    IntervalSeries train = *clean;
    train.values.resize(clean->values.size() - hold);
    auto f = run_method(method, train, static_cast<int>(hold), o, nullptr);
    if (!f) return std::unexpected(f.error());
    const std::span<const double> actual(clean->values.data() + train.values.size(), hold);
    auto acc = accuracy(*f, actual);
    if (!acc) continue;  // a silent held-out period cannot rank methods
    result.scores.push_back({method, *acc});
    if (!result.backtest || acc->wape < result.backtest->wape) {
      result.backtest = *acc;
      chosen = method;
    }
  }
  if (!chosen)
    for (auto method : o.candidates)
      if (weeks >= min_weeks(method)) {
        chosen = method;
        break;
      }
  if (!chosen)
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("forecast needs at least one full week of history ({} slots), got {}",
                            m, clean->values.size()));
  result.method = *chosen;
  HoltWintersFit fit;
  auto values = run_method(*chosen, *clean, horizon, o, &fit);
  if (!values) return std::unexpected(values.error());
  if (*chosen == ForecastMethod::kHoltWinters) result.holt_winters_fit = fit;
  IntervalSeries f{clean->end(), clean->interval_s, std::move(*values)};
  auto adjusted = apply_special_days(std::move(f), o.special_days);
  if (!adjusted) return std::unexpected(adjusted.error());
  result.forecast = std::move(*adjusted);
  return result;
}

Result<std::vector<double>> forecast_aht(const IntervalSeries& calls, std::span<const double> aht_s,
                                         int horizon, int weeks) {
  if (auto ok = check_series(calls); !ok) return std::unexpected(ok.error());
  if (auto ok = check_horizon(horizon); !ok) return std::unexpected(ok.error());
  if (aht_s.size() != calls.values.size())
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("forecast_aht: {} AHT values for {} call slots", aht_s.size(),
                            calls.values.size()));
  if (weeks < 1)
    return fail(ErrorCode::kInvalidArgument, fmt::format("weeks must be >= 1, got {}", weeks));
  const auto& c = calls.values;
  double handled = 0, total = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!std::isfinite(aht_s[i]) || aht_s[i] < 0 || (c[i] > 0 && aht_s[i] == 0))
      return fail(
          ErrorCode::kInvalidArgument,
          fmt::format("slot {}: aht_s must be > 0 where calls were handled, got {}", i, aht_s[i]));
    handled += c[i] * aht_s[i];
    total += c[i];
  }
  if (!(total > 0))
    return fail(ErrorCode::kFailedPrecondition, "forecast_aht: the history has no calls");
  const double overall = handled / total;
  const std::size_t m = calls.slots_per_week();
  const std::size_t n = c.size();
  const std::size_t k = std::min<std::size_t>(weeks, n / m);
  std::vector<double> out(horizon, overall);
  for (int h = 0; h < horizon && k > 0; ++h) {
    const std::size_t first = static_cast<std::size_t>(h) / m + 1;
    double num = 0, den = 0;
    for (std::size_t j = first; j < first + k; ++j) {
      num += c[n + h - j * m] * aht_s[n + h - j * m];
      den += c[n + h - j * m];
    }
    if (den > 0) out[h] = num / den;
  }
  return out;
}

}  // namespace hotline::wfm
