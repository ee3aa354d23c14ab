// Validation of a plan by simulation: runs a week's schedule and the forecast it was
// built for through the simulator (the real cc::Acd routing engine) and reports, per
// interval, the service level the simulation achieved next to the Erlang prediction
// for the same agents on the phones. A planner sees where the model and the routing
// disagree. Pure (virtual time, no I/O); thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "wfm/schedule_types.hpp"
#include "wfm/staffing.hpp"

namespace hotline::sim {

struct ValidationOptions {
  // Length of one demand interval; a whole multiple of the schedule's slot.
  int interval_s = 1800;
  double target_s = 20;  // service-level threshold ("answered within t")
  // Mean exponential patience of callers: set, the prediction is Erlang A and
  // simulated callers hang up; unset, Erlang C and nobody hangs up.
  std::optional<double> patience_s;
  // Independent runs pooled per interval: one week has few calls per interval, so a
  // single run's SL is noisy. Seeds are seed, seed+1, ...
  int replications = 5;
  std::uint64_t seed = 1;
};

Status validate(const ValidationOptions& options);

struct IntervalValidation {
  double calls = 0;   // forecast calls offered in the interval
  double aht_s = 0;   // forecast AHT
  double agents = 0;  // agents on the phones per the schedule, mean over the interval
  // Erlang prediction at the scheduled agents, averaged over the interval's slots.
  // With Erlang C a slot with agents <= traffic has no steady state; it counts as
  // SL 0 and `unstable` is set.
  double erlang_sl = 1;
  bool unstable = false;
  // Pooled over the replications: answered within target / offered (abandoned and
  // unfinished calls count against it); 1 when nothing was offered.
  double simulated_sl = 1;
  std::uint64_t offered = 0;
  std::uint64_t answered = 0;
  std::uint64_t abandoned = 0;
  double simulated_asa_s = 0;  // mean wait of answered calls
};

struct ValidationReport {
  std::vector<IntervalValidation> intervals;
  std::string model;                 // "erlang_c" or "erlang_a"
  double erlang_period_sl = 1;       // call-weighted over the intervals
  double simulated_period_sl = 1;    // answered within target / offered, all intervals
  std::size_t simulated_agents = 0;  // engine agents: one per uninterrupted work stretch
};

// `demand` holds one value per interval from the schedule's Monday 00:00 (a week is
// 7 × 86400 / interval_s values). Each work stretch of a shift (between breaks) logs
// an engine agent in at its start and out at its end, finishing a call in progress
// first as a real agent would. Handle times are exponential with the interval's AHT.
// Errors: bad options, an interval that is not a multiple of the slot, a demand
// value with calls < 0 or calls > 0 with AHT <= 0 (the message names the interval).
Result<ValidationReport> validate_by_simulation(const wfm::ScheduleProblem& problem,
                                                const std::vector<wfm::ScheduledShift>& shifts,
                                                std::span<const wfm::IntervalDemand> demand,
                                                const ValidationOptions& options = {});

}  // namespace hotline::sim
