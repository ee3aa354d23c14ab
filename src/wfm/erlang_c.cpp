#include "wfm/erlang_c.hpp"

#include <fmt/format.h>

#include <cmath>

namespace hotline::wfm {
namespace {

bool finite_non_negative(double v) {
  return std::isfinite(v) && v >= 0;
}

// C from B without cancellation: C = N·B / (N − A·(1 − B)); the denominator is
// >= N − A > 0 for a stable system.
double c_from_b(double b, double traffic, int agents) {
  const double n = agents;
  return n * b / (n - traffic * (1.0 - b));
}

ErlangCResult figures(double p_wait, double traffic, int agents, double aht_s, double target_s) {
  const double spare = agents - traffic;
  ErlangCResult r;
  r.p_wait = p_wait;
  r.service_level = 1.0 - p_wait * std::exp(-spare * target_s / aht_s);
  r.asa_s = p_wait * aht_s / spare;
  r.occupancy = traffic / agents;
  return r;
}

bool meets(const ErlangCResult& r, const StaffingTarget& t) {
  if (t.service_level && r.service_level < *t.service_level) return false;
  if (t.max_asa_s && r.asa_s > *t.max_asa_s) return false;
  if (t.max_occupancy && r.occupancy > *t.max_occupancy) return false;
  return true;
}

}  // namespace

Status validate(const TrafficLoad& load) {
  if (!finite_non_negative(load.calls))
    return fail(ErrorCode::kInvalidArgument, fmt::format("calls must be >= 0, got {}", load.calls));
  if (!std::isfinite(load.interval_s) || load.interval_s <= 0)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("interval_s must be > 0, got {}", load.interval_s));
  if (!std::isfinite(load.aht_s) || load.aht_s <= 0)
    return fail(ErrorCode::kInvalidArgument, fmt::format("aht_s must be > 0, got {}", load.aht_s));
  return {};
}

Status validate(const StaffingTarget& t) {
  if (!t.service_level && !t.max_asa_s && !t.max_occupancy)
    return fail(ErrorCode::kInvalidArgument,
                "staffing target: set at least one of service_level, max_asa_s, max_occupancy");
  if (t.service_level && !(*t.service_level > 0 && *t.service_level < 1))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("service_level target must be in (0, 1), got {} (a target of 1 "
                            "cannot be met by any finite staffing)",
                            *t.service_level));
  if (!finite_non_negative(t.target_s))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("target_s must be >= 0, got {}", t.target_s));
  if (t.max_asa_s && !(std::isfinite(*t.max_asa_s) && *t.max_asa_s > 0))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("max_asa_s must be > 0 (an ASA of 0 needs infinite staff), got {}",
                            *t.max_asa_s));
  if (t.max_occupancy && !(*t.max_occupancy > 0 && *t.max_occupancy <= 1))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("max_occupancy must be in (0, 1], got {}", *t.max_occupancy));
  if (t.max_agents < 1)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("max_agents must be >= 1, got {}", t.max_agents));
  return {};
}

Result<double> erlang_b(double traffic, int agents) {
  if (!finite_non_negative(traffic))
    return fail(ErrorCode::kInvalidArgument, fmt::format("traffic must be >= 0, got {}", traffic));
  if (agents < 0)
    return fail(ErrorCode::kInvalidArgument, fmt::format("agents must be >= 0, got {}", agents));
  double b = 1.0;
  for (int k = 1; k <= agents; ++k) b = traffic * b / (k + traffic * b);
  return b;
}

Result<double> erlang_c_p_wait(double traffic, int agents) {
  auto b = erlang_b(traffic, agents);
  if (!b) return std::unexpected(b.error());
  if (agents <= traffic)
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("unstable: {} agents cannot carry {} Erlangs (need N > A)", agents, traffic));
  return c_from_b(*b, traffic, agents);
}

Result<ErlangCResult> erlang_c(const TrafficLoad& load, int agents, double target_s) {
  if (auto ok = validate(load); !ok) return std::unexpected(ok.error());
  if (!finite_non_negative(target_s))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("target_s must be >= 0, got {}", target_s));
  const double traffic = load.traffic_erlangs();
  auto c = erlang_c_p_wait(traffic, agents);
  if (!c) return std::unexpected(c.error());
  return figures(*c, traffic, agents, load.aht_s, target_s);
}

Result<int> erlang_c_min_agents(const TrafficLoad& load, const StaffingTarget& target) {
  if (auto ok = validate(load); !ok) return std::unexpected(ok.error());
  if (auto ok = validate(target); !ok) return std::unexpected(ok.error());
  const double traffic = load.traffic_erlangs();
  if (traffic == 0) return 0;
  // One pass of the B recursion: each N costs O(1) on top of N−1.
  double b = 1.0;
  for (int n = 1; n <= target.max_agents; ++n) {
    b = traffic * b / (n + traffic * b);
    if (n <= traffic) continue;
    const auto r = figures(c_from_b(b, traffic, n), traffic, n, load.aht_s, target.target_s);
    if (meets(r, target)) return n;
  }
  return fail(ErrorCode::kFailedPrecondition,
              fmt::format("no staffing up to {} agents meets the target for {} Erlangs",
                          target.max_agents, traffic));
}

}  // namespace hotline::wfm
