#include "wfm/staffing.hpp"

#include <fmt/format.h>

#include <cmath>

namespace hotline::wfm {
namespace {

struct Expected {
  double sl = 1, asa_s = 0, occupancy = 0, p_abandon = 0;
  bool unstable = false;
};

Result<Expected> expected_at(const TrafficLoad& load, int agents, const StaffingOptions& o) {
  Expected e;
  if (load.calls == 0) return e;
  if (agents == 0) {  // nobody answers: every call waits forever or abandons
    e.sl = 0;
    e.p_abandon = o.model == QueueModel::kErlangA ? 1 : 0;
    e.unstable = o.model == QueueModel::kErlangC;
    return e;
  }
  if (o.model == QueueModel::kErlangA) {
    auto r = erlang_a(load, agents, o.patience_s, o.target.target_s);
    if (!r) return std::unexpected(r.error());
    e.sl = r->sl_offered;
    e.asa_s = r->asa_answered_s;
    e.occupancy = r->occupancy;
    e.p_abandon = r->p_abandon;
    return e;
  }
  if (agents <= load.traffic_erlangs()) {
    e.sl = 0;
    e.occupancy = 1;
    e.unstable = true;
    return e;
  }
  auto r = erlang_c(load, agents, o.target.target_s);
  if (!r) return std::unexpected(r.error());
  e.sl = r->service_level;
  e.asa_s = r->asa_s;
  e.occupancy = r->occupancy;
  return e;
}

Result<int> required_agents(const TrafficLoad& load, const StaffingOptions& o) {
  if (o.model == QueueModel::kErlangC) return erlang_c_min_agents(load, o.target);
  ErlangATarget t;
  t.sl_offered = o.target.service_level;
  t.target_s = o.target.target_s;
  t.max_asa_answered_s = o.target.max_asa_s;
  t.max_occupancy = o.target.max_occupancy;
  t.max_p_abandon = o.max_p_abandon;
  t.max_agents = o.target.max_agents;
  return erlang_a_min_agents(load, o.patience_s, t);
}

}  // namespace

Status validate(const StaffingOptions& o) {
  if (o.interval_s != 900 && o.interval_s != 1800 && o.interval_s != 3600)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("interval_s must be 900, 1800 or 3600, got {}", o.interval_s));
  if (!(o.shrinkage >= 0 && o.shrinkage < 1))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("shrinkage must be in [0, 1), got {}", o.shrinkage));
  if (o.model == QueueModel::kErlangA && !(o.patience_s > 0))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("patience_s must be > 0, got {}", o.patience_s));
  if (o.min_agents < 0)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("min_agents must be >= 0, got {}", o.min_agents));
  return validate(o.target);
}

Result<StaffingPlan> plan_staffing(std::span<const IntervalDemand> demand, const StaffingOptions& o,
                                   std::span<const int> scheduled) {
  if (auto ok = validate(o); !ok) return std::unexpected(ok.error());
  if (!scheduled.empty() && scheduled.size() != demand.size())
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("scheduled has {} intervals, demand has {}", scheduled.size(), demand.size()));
  StaffingPlan plan;
  plan.intervals.reserve(demand.size());
  const double hours = o.interval_s / 3600.0;
  double calls_total = 0, sl_calls = 0;
  for (std::size_t i = 0; i < demand.size(); ++i) {
    const auto& d = demand[i];
    auto where = [&](const Error& e) {
      return fail(e.code, fmt::format("interval {}: {}", i, e.message));
    };
    if (!(std::isfinite(d.calls) && d.calls >= 0))
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("interval {}: calls must be >= 0, got {}", i, d.calls));
    if (d.calls > 0 && !(std::isfinite(d.aht_s) && d.aht_s > 0))
      return fail(
          ErrorCode::kInvalidArgument,
          fmt::format("interval {}: aht_s must be > 0 when calls are offered, got {}", i, d.aht_s));
    if (!scheduled.empty() && scheduled[i] < 0)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("interval {}: scheduled must be >= 0, got {}", i, scheduled[i]));
    const TrafficLoad load{d.calls, static_cast<double>(o.interval_s), d.calls > 0 ? d.aht_s : 1};
    IntervalStaffing s;
    s.calls = d.calls;
    s.aht_s = d.aht_s;
    s.traffic_erlangs = d.calls > 0 ? load.traffic_erlangs() : 0;
    auto req = required_agents(load, o);
    if (!req) return where(req.error());
    s.required = std::max(*req, o.min_agents);
    s.required_gross = s.required / (1.0 - o.shrinkage);
    // Guard against 12.000000001 turning into 13 heads.
    s.required_gross_ceil = static_cast<int>(std::ceil(s.required_gross - 1e-9));
    int at = s.required;
    if (!scheduled.empty()) {
      s.scheduled = scheduled[i];
      s.scheduled_net = static_cast<int>(std::floor(scheduled[i] * (1.0 - o.shrinkage) + 1e-9));
      s.gap = scheduled[i] - s.required_gross_ceil;
      at = *s.scheduled_net;
      plan.total_scheduled_hours += scheduled[i] * hours;
    }
    auto e = expected_at(load, at, o);
    if (!e) return where(e.error());
    s.expected_sl = e->sl;
    s.expected_asa_s = e->asa_s;
    s.expected_occupancy = e->occupancy;
    s.expected_p_abandon = e->p_abandon;
    s.unstable = e->unstable;
    plan.total_required_hours += s.required_gross * hours;
    calls_total += d.calls;
    sl_calls += d.calls * e->sl;
    plan.intervals.push_back(s);
  }
  plan.period_sl = calls_total > 0 ? sl_calls / calls_total : 1;
  return plan;
}

}  // namespace hotline::wfm
