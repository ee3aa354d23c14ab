// Internal to the scheduler: shift options per template and the slot windows each
// break may start in. Not part of the public API. Thread-safe (plain data).
#pragma once

#include <vector>

#include "wfm/schedule_types.hpp"

namespace hotline::wfm::detail {

// Break b of a template may start lo..hi slots after the shift start, where lo follows
// from the breaks before it (earliest placement plus gaps) and hi leaves room for the
// breaks after it.
struct BreakWindow {
  int lo = 0, hi = 0, length = 0;
};

struct TemplateSlots {
  int length = 0;           // slots
  std::vector<int> starts;  // allowed start slots within the day
  std::vector<BreakWindow> breaks;
  int gap = 0;  // slots between one break's end and the next start
  double paid_hours = 0;
  // Expected on-phone share of each slot of the shift when breaks spread evenly over
  // their windows: what the shift stage assumes before breaks are placed.
  std::vector<double> expected_coverage;
};

// REQUIRES validate(problem) succeeded.
std::vector<TemplateSlots> template_slots(const ScheduleProblem& problem);

struct BreakStageResult {
  std::vector<ScheduledShift> shifts;  // with breaks
  SolveStatus status = SolveStatus::kOptimal;
};

// Places every break of `shifts` (which carry no breaks yet), one CBC model per day.
BreakStageResult place_breaks(const ScheduleProblem& problem,
                              const std::vector<TemplateSlots>& templates,
                              std::vector<ScheduledShift> shifts, double under_weight,
                              double over_weight, double time_limit_s);

}  // namespace hotline::wfm::detail
