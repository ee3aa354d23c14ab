// Builds a week's schedule (shifts, breaks, lunch per agent) minimising under- and
// over-staffing against a requirement curve, with COIN-OR CBC: first the shifts
// (who works which day, which template, when), then the break placement per day.
// Pure function of its inputs; thread-safe (each call owns its solver models).
#pragma once

#include "common/error.hpp"
#include "wfm/schedule_types.hpp"

namespace hotline::wfm {

struct ScheduleOptions {
  // Total solver time. A schedule is always returned: the best the solver found, or
  // the greedy start when it found nothing better in time.
  double time_limit_s = 30;
  double break_time_share = 0.25;  // of the limit, spent on break placement
  // Costs per agent-hour (shortfall against contract: per hour short).
  double under_weight = 10;
  double over_weight = 1;
  double contract_weight = 4;
  double preference_weight = 0.2;  // per hour between a shift's start and the preferred one
};

Status validate(const ScheduleOptions& options);

Result<Schedule> build_schedule(const ScheduleProblem& problem,
                                const ScheduleOptions& options = {});

}  // namespace hotline::wfm
