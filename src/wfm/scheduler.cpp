#include "wfm/scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "wfm/mip_solver.hpp"
#include "wfm/schedule_internal.hpp"

namespace hotline::wfm {
namespace {

using detail::TemplateSlots;

// One way an agent could work one day: a template started at a slot.
struct ShiftVar {
  std::size_t agent = 0;
  int day = 0;
  std::size_t tmpl = 0;
  int start = 0;  // absolute slot
  int end = 0;    // absolute slot, exclusive
  double paid_hours = 0;
  double preference_cost = 0;
  int col = -1;
};

bool has_skill(const Agent& a, const std::string& skill) {
  return skill.empty() || std::find(a.skills.begin(), a.skills.end(), skill) != a.skills.end();
}

bool template_allowed(const Agent& a, const std::string& name) {
  return a.templates.empty() ||
         std::find(a.templates.begin(), a.templates.end(), name) != a.templates.end();
}

bool available(const Agent& a, int day, int from_min, int to_min) {
  if (a.day_off[day]) return false;
  if (a.availability.empty()) return true;
  return std::any_of(a.availability.begin(), a.availability.end(), [&](const auto& w) {
    return w.day == day && w.from_min <= from_min && to_min <= w.to_min;
  });
}

std::vector<ShiftVar> enumerate(const ScheduleProblem& p, const std::vector<TemplateSlots>& ts,
                                double preference_weight) {
  const int spd = p.slots_per_day();
  const int slot_min = p.slot_s / 60;
  std::vector<ShiftVar> vars;
  for (std::size_t a = 0; a < p.agents.size(); ++a) {
    const auto& agent = p.agents[a];
    if (!has_skill(agent, p.skill)) continue;
    for (int day = 0; day < 7; ++day)
      for (std::size_t k = 0; k < ts.size(); ++k) {
        if (!template_allowed(agent, p.templates[k].name)) continue;
        for (int s : ts[k].starts) {
          if (!available(agent, day, s * slot_min, (s + ts[k].length) * slot_min)) continue;
          ShiftVar v{a, day, k, day * spd + s, day * spd + s + ts[k].length, ts[k].paid_hours};
          if (agent.preferred_start_min)
            v.preference_cost =
                preference_weight * std::abs(s * slot_min - *agent.preferred_start_min) / 60.0;
          vars.push_back(v);
        }
      }
  }
  return vars;
}

// Would adding `v` to an agent's chosen shifts break a labour rule or the contract?
bool compatible(const ShiftVar& v, const std::vector<const ShiftVar*>& chosen, double hours,
                double max_hours, const ScheduleProblem& p) {
  if (hours + v.paid_hours > max_hours + 1e-9) return false;
  const int rest = p.rules.min_rest_min * 60 / p.slot_s;
  std::array<bool, 7> works{};
  works[v.day] = true;
  for (const auto* c : chosen) {
    if (c->day == v.day) return false;
    const auto& first = c->start < v.start ? *c : v;
    const auto& second = c->start < v.start ? v : *c;
    if (second.start - first.end < rest) return false;
    works[c->day] = true;
  }
  int run = 0;
  for (bool w : works) {
    run = w ? run + 1 : 0;
    if (run > p.rules.max_consecutive_days) return false;
  }
  return true;
}

// The MIP start, and the answer when the solver finds nothing in time: agents in
// turn take the shift covering the most still-uncovered requirement.
std::vector<char> greedy(const ScheduleProblem& p, const std::vector<TemplateSlots>& ts,
                         const std::vector<ShiftVar>& vars) {
  std::vector<double> residual = p.requirement;
  const int week = static_cast<int>(residual.size());
  std::vector<char> pick(vars.size(), 0);
  std::size_t i = 0;
  while (i < vars.size()) {
    const std::size_t agent = vars[i].agent;
    std::size_t end = i;
    while (end < vars.size() && vars[end].agent == agent) ++end;
    const auto& a = p.agents[agent];
    const double min_hours = a.contract_hours - a.contract_tolerance_hours;
    const double max_hours = a.contract_hours + a.contract_tolerance_hours;
    std::vector<const ShiftVar*> chosen;
    double hours = 0;
    for (;;) {
      std::size_t best = end;
      double best_gain = -1e300;
      for (std::size_t j = i; j < end; ++j) {
        if (!compatible(vars[j], chosen, hours, max_hours, p)) continue;
        double gain = -vars[j].preference_cost;
        const auto& cov = ts[vars[j].tmpl].expected_coverage;
        for (int r = 0; r < static_cast<int>(cov.size()); ++r) {
          const int t = vars[j].start + r;
          if (t < week) gain += std::min(std::max(residual[t], 0.0), cov[r]);
        }
        if (gain > best_gain) {
          best_gain = gain;
          best = j;
        }
      }
      if (best == end || (hours >= min_hours - 1e-9 && best_gain <= 0)) break;
      pick[best] = 1;
      chosen.push_back(&vars[best]);
      hours += vars[best].paid_hours;
      const auto& cov = ts[vars[best].tmpl].expected_coverage;
      for (int r = 0; r < static_cast<int>(cov.size()); ++r)
        if (vars[best].start + r < week) residual[vars[best].start + r] -= cov[r];
    }
    i = end;
  }
  return pick;
}

struct ShiftStage {
  std::vector<char> pick;
  SolveStatus status = SolveStatus::kHeuristicOnly;
};

ShiftStage choose_shifts(const ScheduleProblem& p, const std::vector<TemplateSlots>& ts,
                         std::vector<ShiftVar>& vars, const ScheduleOptions& o,
                         double time_limit_s) {
  const int week = static_cast<int>(p.requirement.size());
  const double slot_h = p.slot_s / 3600.0;
  const int rest = p.rules.min_rest_min * 60 / p.slot_s;
  MipModel mip;
  for (auto& v : vars) v.col = mip.add_binary(v.preference_cost);

  // Coverage: Σ expected on-phone share + under − over = requirement.
  std::vector<std::vector<std::pair<int, double>>> cover(week);
  for (const auto& v : vars) {
    const auto& cov = ts[v.tmpl].expected_coverage;
    for (int r = 0; r < static_cast<int>(cov.size()); ++r)
      if (v.start + r < week) cover[v.start + r].push_back({v.col, cov[r]});
  }
  for (int t = 0; t < week; ++t) {
    std::vector<int> cols;
    std::vector<double> coefs;
    for (auto [c, x] : cover[t]) {
      cols.push_back(c);
      coefs.push_back(x);
    }
    cols.push_back(mip.add_continuous(o.under_weight * slot_h, 0, 1e9));
    coefs.push_back(1.0);
    cols.push_back(mip.add_continuous(o.over_weight * slot_h, 0, 1e9));
    coefs.push_back(-1.0);
    mip.add_row(cols, coefs, 'E', p.requirement[t]);
  }

  // Per agent: one shift a day, contract hours, rest, days in a row.
  std::size_t i = 0;
  while (i < vars.size()) {
    const std::size_t agent = vars[i].agent;
    std::size_t end = i;
    while (end < vars.size() && vars[end].agent == agent) ++end;
    const auto& a = p.agents[agent];
    std::array<std::vector<std::size_t>, 7> by_day;
    for (std::size_t j = i; j < end; ++j) by_day[vars[j].day].push_back(j);
    for (int d = 0; d < 7; ++d) {
      std::vector<int> cols;
      for (auto j : by_day[d]) cols.push_back(vars[j].col);
      mip.add_row(cols, std::vector<double>(cols.size(), 1.0), 'L', 1.0);
    }
    std::vector<int> cols;
    std::vector<double> hours;
    for (std::size_t j = i; j < end; ++j) {
      cols.push_back(vars[j].col);
      hours.push_back(vars[j].paid_hours);
    }
    mip.add_row(cols, hours, 'L', a.contract_hours + a.contract_tolerance_hours);
    if (a.contract_hours - a.contract_tolerance_hours > 0) {
      cols.push_back(mip.add_continuous(o.contract_weight, 0, 1e9));  // hours short
      hours.push_back(1.0);
      mip.add_row(cols, hours, 'G', a.contract_hours - a.contract_tolerance_hours);
    }
    // Rest: for each start s2 on a later day, the shifts ending too close before s2
    // and the shifts starting no later than s2 form a clique (at most one of them).
    for (int d1 = 0; d1 < 7; ++d1)
      for (int d2 = d1 + 1; d2 < 7; ++d2)
        for (auto j2 : by_day[d2]) {
          const int s2 = vars[j2].start;
          std::vector<int> clique;
          for (auto j1 : by_day[d1])
            if (s2 - vars[j1].end < rest) clique.push_back(vars[j1].col);
          if (clique.empty()) continue;
          for (auto k : by_day[d2])
            if (vars[k].start <= s2) clique.push_back(vars[k].col);
          mip.add_row(clique, std::vector<double>(clique.size(), 1.0), 'L', 1.0);
        }
    const int max_run = p.rules.max_consecutive_days;
    for (int first = 0; first + max_run < 7; ++first) {
      std::vector<int> window;
      for (int d = first; d <= first + max_run; ++d)
        for (auto j : by_day[d]) window.push_back(vars[j].col);
      mip.add_row(window, std::vector<double>(window.size(), 1.0), 'L', max_run);
    }
    i = end;
  }

  ShiftStage stage;
  stage.pick = greedy(p, ts, vars);
  std::vector<int> start_cols;
  std::vector<double> start_vals;
  for (std::size_t j = 0; j < vars.size(); ++j)
    if (stage.pick[j]) {
      start_cols.push_back(vars[j].col);
      start_vals.push_back(1.0);
    }
  mip.set_start(start_cols, start_vals);
  const auto solved = mip.solve(time_limit_s);
  if (solved.status == MipStatus::kNoSolution) return stage;
  stage.status =
      solved.status == MipStatus::kOptimal ? SolveStatus::kOptimal : SolveStatus::kFeasible;
  for (std::size_t j = 0; j < vars.size(); ++j) stage.pick[j] = solved.values[vars[j].col] > 0.5;
  return stage;
}

}  // namespace

Status validate(const ScheduleOptions& o) {
  if (!(o.time_limit_s > 0) || !std::isfinite(o.time_limit_s))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("time_limit_s must be > 0, got {}", o.time_limit_s));
  if (!(o.break_time_share > 0 && o.break_time_share < 1))
    return fail(ErrorCode::kInvalidArgument, "break_time_share must be in (0, 1)");
  for (double w : {o.under_weight, o.over_weight, o.contract_weight, o.preference_weight})
    if (!(w >= 0) || !std::isfinite(w))
      return fail(ErrorCode::kInvalidArgument, "schedule weights must be finite and >= 0");
  return {};
}

Result<Schedule> build_schedule(const ScheduleProblem& p, const ScheduleOptions& o) {
  if (auto ok = validate(p); !ok) return std::unexpected(ok.error());
  if (auto ok = validate(o); !ok) return std::unexpected(ok.error());
  const auto ts = detail::template_slots(p);
  auto vars = enumerate(p, ts, o.preference_weight);
  const auto stage = choose_shifts(p, ts, vars, o, o.time_limit_s * (1 - o.break_time_share));

  std::vector<ScheduledShift> shifts;
  for (std::size_t j = 0; j < vars.size(); ++j) {
    if (!stage.pick[j]) continue;
    const auto& v = vars[j];
    shifts.push_back({v.agent, v.tmpl, v.day, v.start, v.end - v.start, {}, v.paid_hours});
  }
  auto placed = detail::place_breaks(p, ts, std::move(shifts), o.under_weight, o.over_weight,
                                     o.time_limit_s * o.break_time_share);
  Schedule s = summarise(p, std::move(placed.shifts));
  s.shift_status = stage.status;
  s.break_status = placed.status;
  return s;
}

}  // namespace hotline::wfm
