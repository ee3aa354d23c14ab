#include "sim/wfm_validation.hpp"

#include <algorithm>
#include <cmath>

#include "sim/simulator.hpp"
#include "wfm/erlang_a.hpp"
#include "wfm/erlang_c.hpp"

namespace hotline::sim {

Status validate(const ValidationOptions& o) {
  if (o.interval_s <= 0 || 86400 % o.interval_s != 0) {
    return fail(ErrorCode::kInvalidArgument, "interval_s must divide a day");
  }
  if (!(o.target_s >= 0) || !std::isfinite(o.target_s)) {
    return fail(ErrorCode::kInvalidArgument, "target_s must be >= 0");
  }
  if (o.patience_s && (!(*o.patience_s > 0) || !std::isfinite(*o.patience_s))) {
    return fail(ErrorCode::kInvalidArgument, "patience_s must be > 0");
  }
  if (o.replications < 1 || o.replications > 1000) {
    return fail(ErrorCode::kInvalidArgument, "replications must be 1..1000");
  }
  return {};
}

namespace {

Duration seconds_d(double s) {
  return Duration(static_cast<std::int64_t>(std::llround(s * 1e6)));
}

// [from, to) in slots of one uninterrupted work stretch.
struct Stretch {
  int from = 0;
  int to = 0;
};

std::vector<Stretch> work_stretches(const wfm::ScheduledShift& shift) {
  std::vector<Stretch> out;
  int t = shift.start_slot;
  const int end = shift.start_slot + shift.length_slots;
  std::vector<wfm::ScheduledBreak> breaks = shift.breaks;
  std::sort(breaks.begin(), breaks.end(),
            [](const auto& a, const auto& b) { return a.start_slot < b.start_slot; });
  for (const auto& b : breaks) {
    if (b.start_slot > t) out.push_back({t, std::min(b.start_slot, end)});
    t = std::max(t, b.start_slot + b.length_slots);
  }
  if (end > t) out.push_back({t, end});
  std::erase_if(out, [](const Stretch& s) { return s.to <= s.from; });
  return out;
}

// Erlang SL for `agents` on the phones; sets `unstable` when Erlang C has no steady state.
double predicted_sl(const wfm::IntervalDemand& d, int interval_s, int agents,
                    const ValidationOptions& o, bool& unstable) {
  if (d.calls <= 0) return 1;
  if (agents <= 0) {
    unstable = !o.patience_s.has_value();
    return 0;
  }
  const wfm::TrafficLoad load{d.calls, static_cast<double>(interval_s), d.aht_s};
  if (o.patience_s) {
    auto r = wfm::erlang_a(load, agents, *o.patience_s, o.target_s);
    return r ? r->sl_offered : 0;
  }
  auto r = wfm::erlang_c(load, agents, o.target_s);
  if (!r) {
    unstable = true;
    return 0;
  }
  return r->service_level;
}

}  // namespace

Result<ValidationReport> validate_by_simulation(const wfm::ScheduleProblem& problem,
                                                const std::vector<wfm::ScheduledShift>& shifts,
                                                std::span<const wfm::IntervalDemand> demand,
                                                const ValidationOptions& options) {
  if (auto ok = validate(options); !ok) return std::unexpected(ok.error());
  if (problem.slot_s <= 0 || options.interval_s % problem.slot_s != 0) {
    return fail(ErrorCode::kInvalidArgument,
                "the demand interval (" + std::to_string(options.interval_s) +
                    " s) must be a whole multiple of the schedule slot (" +
                    std::to_string(problem.slot_s) + " s)");
  }
  if (demand.empty()) return fail(ErrorCode::kInvalidArgument, "no demand intervals");
  double calls_total = 0;
  double handle_total = 0;
  for (std::size_t i = 0; i < demand.size(); ++i) {
    const auto& d = demand[i];
    if (!(d.calls >= 0) || !std::isfinite(d.calls)) {
      return fail(ErrorCode::kInvalidArgument,
                  "interval " + std::to_string(i) + ": calls must be >= 0");
    }
    if (d.calls > 0 && (!(d.aht_s > 0) || !std::isfinite(d.aht_s))) {
      return fail(ErrorCode::kInvalidArgument,
                  "interval " + std::to_string(i) + ": AHT must be > 0 when calls are offered");
    }
    calls_total += d.calls;
    handle_total += d.calls * d.aht_s;
  }
  const int per_interval = options.interval_s / problem.slot_s;
  const int slots = static_cast<int>(demand.size()) * per_interval;

  // Agents on the phones per slot, and one engine agent per work stretch.
  std::vector<int> coverage(static_cast<std::size_t>(slots), 0);
  Scenario scenario;
  scenario.interval = std::chrono::seconds(options.interval_s);
  scenario.drain_limit = std::chrono::hours(1);
  const Duration slot = std::chrono::seconds(problem.slot_s);
  for (const auto& shift : shifts) {
    if (shift.agent >= problem.agents.size()) {
      return fail(ErrorCode::kInvalidArgument,
                  "shift on day " + std::to_string(shift.day) + " names agent index " +
                      std::to_string(shift.agent) + ", but the problem has " +
                      std::to_string(problem.agents.size()) + " agents");
    }
    for (const Stretch& s : work_stretches(shift)) {
      for (int k = std::max(0, s.from); k < std::min(s.to, slots); ++k) ++coverage[k];
      if (s.from >= slots || s.to <= 0) continue;
      SimAgent a;
      a.config.name = problem.agents[shift.agent].id + "#" + std::to_string(s.from);
      a.config.memberships = {{cc::QueueId{0}, 0}};
      a.shift_start = slot * std::max(0, s.from);
      a.shift_end = slot * s.to;
      scenario.agents.push_back(std::move(a));
    }
  }

  const double mean_aht = calls_total > 0 ? handle_total / calls_total : 180;
  SimQueue q;
  q.config.name = "validate";
  q.config.service_level_threshold = seconds_d(options.target_s);
  q.handle_time = Distribution::exponential(seconds_d(mean_aht));
  q.patience = options.patience_s ? Distribution::exponential(seconds_d(*options.patience_s))
                                  : Distribution::never();
  for (const auto& d : demand) {
    q.arrivals_per_interval.push_back(d.calls);
    q.handle_time_scale_per_interval.push_back(d.calls > 0 ? d.aht_s / mean_aht : 1.0);
  }
  scenario.queues.push_back(std::move(q));

  ValidationReport report;
  report.model = options.patience_s ? "erlang_a" : "erlang_c";
  report.simulated_agents = scenario.agents.size();
  report.intervals.resize(demand.size());
  std::vector<std::uint64_t> within(demand.size(), 0);
  std::vector<double> wait_s(demand.size(), 0);
  for (int r = 0; r < options.replications; ++r) {
    scenario.seed = options.seed + static_cast<std::uint64_t>(r);
    auto run = simulate(scenario);
    if (!run) return std::unexpected(run.error());
    for (std::size_t i = 0; i < demand.size() && i < run->per_interval.size(); ++i) {
      const Stats& st = run->per_interval[i];
      auto& iv = report.intervals[i];
      iv.offered += st.offered;
      iv.answered += st.answered;
      iv.abandoned += st.abandoned;
      within[i] += st.answered_within_threshold;
      wait_s[i] += std::chrono::duration<double>(st.answered_wait_total).count();
    }
  }

  double weighted_sl = 0;
  std::uint64_t offered = 0;
  std::uint64_t met = 0;
  for (std::size_t i = 0; i < demand.size(); ++i) {
    auto& iv = report.intervals[i];
    iv.calls = demand[i].calls;
    iv.aht_s = demand[i].aht_s;
    double sl_sum = 0;
    int agents_sum = 0;
    for (int k = 0; k < per_interval; ++k) {
      const int n = coverage[i * per_interval + k];
      agents_sum += n;
      sl_sum += predicted_sl(demand[i], options.interval_s, n, options, iv.unstable);
    }
    iv.agents = static_cast<double>(agents_sum) / per_interval;
    iv.erlang_sl = sl_sum / per_interval;
    iv.simulated_sl =
        iv.offered > 0 ? static_cast<double>(within[i]) / static_cast<double>(iv.offered) : 1.0;
    iv.simulated_asa_s = iv.answered > 0 ? wait_s[i] / static_cast<double>(iv.answered) : 0;
    weighted_sl += iv.erlang_sl * iv.calls;
    offered += iv.offered;
    met += within[i];
  }
  report.erlang_period_sl = calls_total > 0 ? weighted_sl / calls_total : 1.0;
  report.simulated_period_sl =
      offered > 0 ? static_cast<double>(met) / static_cast<double>(offered) : 1.0;
  return report;
}

}  // namespace hotline::sim
