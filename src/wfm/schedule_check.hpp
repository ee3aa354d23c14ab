// Verifies a schedule against every hard rule of its problem: templates and start
// windows, days off and availability, one shift a day, rest between shifts, days in a
// row, contract maximum, break windows, order and gaps. Used by the tests on every
// solver output and by callers after a planner edits a schedule by hand. Pure.
#pragma once

#include <string>
#include <vector>

#include "wfm/schedule_types.hpp"

namespace hotline::wfm {

struct Violation {
  std::string agent;  // agent id ("" when the shift names no valid agent)
  int day = 0;
  std::string rule;    // "rest", "max_consecutive_days", "break_window", ...
  std::string detail;  // human-readable specifics
};

// Empty when every hard rule holds. Contract shortfalls are soft (see Schedule) and
// not reported here; exceeding contract + tolerance is.
std::vector<Violation> check_schedule(const ScheduleProblem& problem,
                                      const std::vector<ScheduledShift>& shifts);

}  // namespace hotline::wfm
