// The weekly scheduling problem (requirement curve, agents, shift templates with breaks,
// labour rules) and its answer (shifts with breaks per agent, coverage, gaps). Plain
// data plus validation that names the contradictory rule. Thread-safe (no state).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace hotline::wfm {

// A break or lunch inside a shift. Offsets count from the shift's start.
struct BreakRule {
  std::string name;  // "break", "lunch"
  int length_min = 15;
  bool paid = true;            // unpaid time does not count toward contract hours
  int earliest_after_min = 0;  // not before N minutes of work
  int latest_after_min = 0;    // must start by N minutes after the shift starts
};

struct ShiftTemplate {
  std::string name;
  int length_min = 480;                 // start to end, breaks included
  int earliest_start_min = 0;           // minute of the day
  int latest_start_min = 0;             // minute of the day (inclusive)
  int start_step_min = 0;               // 0: every slot
  std::vector<BreakRule> breaks;        // in the order they are taken
  int min_gap_between_breaks_min = 60;  // work between one break's end and the next start
  double paid_hours() const;
};

// The agent can work on `day` (0 = Monday) only inside [from_min, to_min) of that day;
// to_min may pass 1440 for a shift running past midnight.
struct AvailabilityWindow {
  int day = 0;
  int from_min = 0;
  int to_min = 1440;
};

struct Agent {
  std::string id;
  std::vector<std::string> skills;
  double contract_hours = 40;                    // paid hours per week
  double contract_tolerance_hours = 0;           // hours may run this far either side
  std::array<bool, 7> day_off{};                 // true: never scheduled that day
  std::vector<AvailabilityWindow> availability;  // empty: any time on days not off
  std::vector<std::string> templates;            // allowed shift templates; empty: all
  std::optional<int> preferred_start_min;        // soft preference, minute of the day
};

struct LabourRules {
  int min_rest_min = 11 * 60;    // between the end of one shift and the next start
  int max_consecutive_days = 5;  // working days in a row, within the week
};

// Invariants (checked by validate): requirement has 7 × 1440 / (slot_s / 60) values,
// every duration is a whole number of slots.
struct ScheduleProblem {
  int slot_s = 1800;                // one requirement value per slot, Monday 00:00 first
  std::vector<double> requirement;  // agents needed on the phones (net), per slot
  std::string skill;                // if set, only agents with this skill are scheduled
  std::vector<ShiftTemplate> templates;
  std::vector<Agent> agents;
  LabourRules rules;
  int slots_per_day() const { return 86400 / slot_s; }
};

// Names the rule (template, break, agent, field) that makes the problem contradictory.
Status validate(const ScheduleProblem& problem);

struct ScheduledBreak {
  std::string name;
  int start_slot = 0;  // absolute slot from Monday 00:00
  int length_slots = 0;
  bool paid = true;
};

struct ScheduledShift {
  std::size_t agent = 0;           // index into problem.agents
  std::size_t shift_template = 0;  // index into problem.templates
  int day = 0;                     // 0 = Monday
  int start_slot = 0;              // absolute slot from Monday 00:00
  int length_slots = 0;
  std::vector<ScheduledBreak> breaks;
  double paid_hours = 0;
};

enum class SolveStatus {
  kOptimal,        // the solver proved the schedule optimal
  kFeasible,       // the time limit stopped the search: best found, not proved
  kHeuristicOnly,  // the solver found nothing in time: the greedy start is returned
};
std::string_view to_string(SolveStatus s);

struct ContractShortfall {
  std::size_t agent = 0;
  double scheduled_hours = 0;
  double contract_hours = 0;
};

struct Schedule {
  std::vector<ScheduledShift> shifts;  // sorted by agent, then day
  std::vector<double> coverage;        // agents on the phones per slot (breaks excluded)
  double required = 0;                 // Σ requirement (agent-slots)
  double under_staffed = 0;            // Σ max(0, requirement − coverage)
  double over_staffed = 0;             // Σ max(0, coverage − requirement)
  double coverage_gap = 0;             // under_staffed / required (0 when nothing required)
  std::vector<int> uncovered_slots;    // slots with coverage < requirement
  std::vector<ContractShortfall> contract_shortfalls;
  SolveStatus shift_status = SolveStatus::kHeuristicOnly;
  SolveStatus break_status = SolveStatus::kHeuristicOnly;
};

// Coverage and gap figures of `shifts` against the requirement (fills every field
// of Schedule except the statuses).
Schedule summarise(const ScheduleProblem& problem, std::vector<ScheduledShift> shifts);

}  // namespace hotline::wfm
