// Erlang C (M/M/N, callers never abandon): delay probability, service level, ASA,
// occupancy and the smallest staffing that meets a target. Pure functions; thread-safe.
#pragma once

#include <optional>

#include "common/error.hpp"

namespace hotline::wfm {

// Offered load of one interval. Traffic A = calls × aht_s / interval_s (Erlangs).
struct TrafficLoad {
  double calls = 0;       // calls offered in the interval
  double interval_s = 0;  // interval length in seconds
  double aht_s = 0;       // average handle time (talk + hold + wrap-up), seconds
  double traffic_erlangs() const { return calls * aht_s / interval_s; }
};

// Checks that calls ≥ 0, interval_s > 0 and aht_s > 0 (finite), naming the bad field.
Status validate(const TrafficLoad& load);

struct ErlangCResult {
  double p_wait = 0;         // C(N, A) = P(W > 0)
  double service_level = 0;  // P(W ≤ target_s)
  double asa_s = 0;          // E[W] over all calls
  double occupancy = 0;      // A / N
};

// Erlang B blocking probability B(N, A) by the stable recursion
// B(k) = A·B(k−1) / (k + A·B(k−1)); no factorials, so N in the thousands is fine.
// REQUIRES: traffic ≥ 0, agents ≥ 0 (else kInvalidArgument).
Result<double> erlang_b(double traffic_erlangs, int agents);

// Erlang C probability of delay. Unstable systems (N ≤ A) are an error: the queue
// grows without bound, so no steady-state figures exist.
Result<double> erlang_c_p_wait(double traffic_erlangs, int agents);

// All figures for N agents and service-level threshold target_s (seconds, ≥ 0).
Result<ErlangCResult> erlang_c(const TrafficLoad& load, int agents, double target_s);

// What a staffing must meet. Every set field must hold at once.
struct StaffingTarget {
  std::optional<double> service_level;  // fraction in (0, 1): P(W ≤ target_s) ≥ this
  double target_s = 20;                 // answer-time threshold for service_level
  std::optional<double> max_asa_s;      // E[W] ≤ this (> 0)
  std::optional<double> max_occupancy;  // A / N ≤ this, in (0, 1]
  int max_agents = 100000;              // give up (and say so) beyond this
};

// The usual "X% answered within T seconds" target.
inline StaffingTarget sl_target(double service_level, double target_s) {
  StaffingTarget t;
  t.service_level = service_level;
  t.target_s = target_s;
  return t;
}

Status validate(const StaffingTarget& target);

// The smallest N > A meeting every set target; 0 when no calls are offered. A target
// no finite staffing up to max_agents can meet is kFailedPrecondition.
Result<int> erlang_c_min_agents(const TrafficLoad& load, const StaffingTarget& target);

}  // namespace hotline::wfm
