// Staffing for a day or a week: per-interval volume and AHT in, agents required
// (Erlang C or Erlang A), shrinkage gross-up, required vs scheduled and the expected
// service level per interval out. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "common/error.hpp"
#include "wfm/erlang_a.hpp"
#include "wfm/erlang_c.hpp"

namespace hotline::wfm {

struct IntervalDemand {
  double calls = 0;  // offered calls in the interval (>= 0)
  double aht_s = 0;  // average handle time (> 0 whenever calls > 0)
};

enum class QueueModel { kErlangC, kErlangA };

struct StaffingOptions {
  int interval_s = 1800;  // 900, 1800 or 3600
  QueueModel model = QueueModel::kErlangC;
  double patience_s = 120;  // mean patience, Erlang A only
  // Erlang C uses every field; Erlang A maps service_level → sl_offered and
  // max_asa_s → max_asa_answered_s (abandons then also capped by max_p_abandon).
  StaffingTarget target = sl_target(0.8, 20);
  std::optional<double> max_p_abandon;  // Erlang A only
  // Fraction of paid time not on the phones (breaks, training, absence): in [0, 1).
  double shrinkage = 0.3;
  int min_agents = 0;  // floor per interval, e.g. 1 to keep a 24/7 line open
};

Status validate(const StaffingOptions& options);

struct IntervalStaffing {
  double calls = 0;
  double aht_s = 0;
  double traffic_erlangs = 0;
  int required = 0;           // agents on the phones (net) meeting the target
  double required_gross = 0;  // required / (1 − shrinkage): paid heads to schedule
  int required_gross_ceil = 0;
  // Only when a schedule is given: heads scheduled (gross, as required_gross) and the
  // net agents they leave on the phones, floor(scheduled × (1 − shrinkage)).
  std::optional<int> scheduled;
  std::optional<int> scheduled_net;
  int gap = 0;  // scheduled − required_gross_ceil (negative: under-staffed); 0 if none
  // Expected figures at the scheduled net agents if given, else at `required`.
  double expected_sl = 1;
  double expected_asa_s = 0;
  double expected_occupancy = 0;
  double expected_p_abandon = 0;  // Erlang A only
  bool unstable = false;          // Erlang C with scheduled_net <= traffic: SL undefined
};

struct StaffingPlan {
  std::vector<IntervalStaffing> intervals;
  double total_required_hours = 0;  // Σ required_gross × interval length
  double total_scheduled_hours = 0;
  // Call-weighted expected SL over the day/week (what the period's report will show).
  double period_sl = 1;
};

// `scheduled` is empty or one value per demand interval. Errors name the interval.
Result<StaffingPlan> plan_staffing(std::span<const IntervalDemand> demand,
                                   const StaffingOptions& options,
                                   std::span<const int> scheduled = {});

}  // namespace hotline::wfm
