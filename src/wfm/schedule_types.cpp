#include "wfm/schedule_types.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace hotline::wfm {
namespace {

Status bad(std::string message) {
  return fail(ErrorCode::kInvalidArgument, std::move(message));
}

Status check_template(const ShiftTemplate& t, int slot_min) {
  const auto where = fmt::format("shift template '{}'", t.name);
  auto whole = [&](int minutes, std::string_view field) -> Status {
    if (minutes % slot_min != 0)
      return bad(fmt::format("{}: {} = {} min is not a whole number of {}-min slots", where, field,
                             minutes, slot_min));
    return {};
  };
  if (t.length_min <= 0 || t.length_min > 24 * 60)
    return bad(fmt::format("{}: length_min must be in (0, 1440], got {}", where, t.length_min));
  if (t.earliest_start_min < 0 || t.latest_start_min >= 1440 ||
      t.earliest_start_min > t.latest_start_min)
    return bad(fmt::format("{}: start window {}..{} min is empty or outside the day", where,
                           t.earliest_start_min, t.latest_start_min));
  if (t.start_step_min < 0) return bad(fmt::format("{}: start_step_min must be >= 0", where));
  for (auto [v, f] : {std::pair{t.length_min, "length_min"},
                      {t.earliest_start_min, "earliest_start_min"},
                      {t.latest_start_min, "latest_start_min"},
                      {t.start_step_min, "start_step_min"},
                      {t.min_gap_between_breaks_min, "min_gap_between_breaks_min"}})
    if (auto ok = whole(v, f); !ok) return ok;
  if (t.min_gap_between_breaks_min < 0)
    return bad(fmt::format("{}: min_gap_between_breaks_min must be >= 0", where));
  int earliest_free = 0;  // the earliest a break can start, given those before it
  for (std::size_t i = 0; i < t.breaks.size(); ++i) {
    const auto& b = t.breaks[i];
    const auto bw = fmt::format("{}, break '{}'", where, b.name);
    if (b.length_min <= 0) return bad(fmt::format("{}: length_min must be > 0", bw));
    for (auto [v, f] : {std::pair{b.length_min, "length_min"},
                        {b.earliest_after_min, "earliest_after_min"},
                        {b.latest_after_min, "latest_after_min"}})
      if (auto ok = whole(v, fmt::format("break '{}' {}", b.name, f)); !ok) return ok;
    if (b.earliest_after_min < 0 || b.earliest_after_min > b.latest_after_min)
      return bad(fmt::format("{}: window {}..{} min after the start is empty", bw,
                             b.earliest_after_min, b.latest_after_min));
    if (b.latest_after_min + b.length_min > t.length_min)
      return bad(fmt::format("{}: may start {} min in and last {} min, past the {}-min shift", bw,
                             b.latest_after_min, b.length_min, t.length_min));
    const int from = std::max(b.earliest_after_min, earliest_free);
    if (from > b.latest_after_min)
      return bad(
          fmt::format("{}: must start by {} min, but the breaks before it and the "
                      "{}-min gap push it to {} min at the earliest",
                      bw, b.latest_after_min, t.min_gap_between_breaks_min, from));
    earliest_free = from + b.length_min + t.min_gap_between_breaks_min;
  }
  if (t.paid_hours() <= 0) return bad(fmt::format("{}: no paid time left after breaks", where));
  return {};
}

Status check_agent(const Agent& a, const std::set<std::string>& templates) {
  const auto where = fmt::format("agent '{}'", a.id);
  if (a.id.empty()) return bad("agent with an empty id");
  if (!std::isfinite(a.contract_hours) || a.contract_hours < 0 || a.contract_hours > 168)
    return bad(
        fmt::format("{}: contract_hours must be in [0, 168], got {}", where, a.contract_hours));
  if (!std::isfinite(a.contract_tolerance_hours) || a.contract_tolerance_hours < 0)
    return bad(fmt::format("{}: contract_tolerance_hours must be >= 0", where));
  for (const auto& w : a.availability)
    if (w.day < 0 || w.day > 6 || w.from_min < 0 || w.from_min >= w.to_min || w.to_min > 2 * 1440)
      return bad(fmt::format("{}: availability window day {} {}..{} min is invalid", where, w.day,
                             w.from_min, w.to_min));
  for (const auto& name : a.templates)
    if (!templates.contains(name))
      return bad(fmt::format("{}: unknown shift template '{}'", where, name));
  if (a.preferred_start_min && (*a.preferred_start_min < 0 || *a.preferred_start_min >= 1440))
    return bad(fmt::format("{}: preferred_start_min must be in [0, 1440)", where));
  return {};
}

}  // namespace

double ShiftTemplate::paid_hours() const {
  int unpaid = 0;
  for (const auto& b : breaks)
    if (!b.paid) unpaid += b.length_min;
  return (length_min - unpaid) / 60.0;
}

std::string_view to_string(SolveStatus s) {
  switch (s) {
    case SolveStatus::kOptimal: return "optimal";
    case SolveStatus::kFeasible: return "feasible (time limit)";
    case SolveStatus::kHeuristicOnly: return "heuristic only (solver found nothing in time)";
  }
  return "unknown";
}

Status validate(const ScheduleProblem& p) {
  if (p.slot_s < 300 || p.slot_s % 60 != 0 || 86400 % p.slot_s != 0)
    return bad(fmt::format("slot_s must be whole minutes (>= 5) dividing a day, got {}", p.slot_s));
  const std::size_t slots = 7 * static_cast<std::size_t>(p.slots_per_day());
  if (p.requirement.size() != slots)
    return bad(fmt::format("requirement has {} values, a week of {}-s slots needs {}",
                           p.requirement.size(), p.slot_s, slots));
  for (std::size_t i = 0; i < slots; ++i)
    if (!std::isfinite(p.requirement[i]) || p.requirement[i] < 0)
      return bad(fmt::format("requirement slot {}: must be >= 0, got {}", i, p.requirement[i]));
  if (p.templates.empty()) return bad("no shift templates");
  std::set<std::string> names;
  for (const auto& t : p.templates) {
    if (!names.insert(t.name).second)
      return bad(fmt::format("shift template '{}' is defined twice", t.name));
    if (auto ok = check_template(t, p.slot_s / 60); !ok) return ok;
  }
  if (p.rules.min_rest_min < 0 || p.rules.min_rest_min % (p.slot_s / 60) != 0)
    return bad(fmt::format("labour rule min_rest_min = {} must be >= 0 and whole slots",
                           p.rules.min_rest_min));
  if (p.rules.max_consecutive_days < 1 || p.rules.max_consecutive_days > 7)
    return bad(fmt::format("labour rule max_consecutive_days must be in 1..7, got {}",
                           p.rules.max_consecutive_days));
  std::set<std::string> ids;
  for (const auto& a : p.agents) {
    if (!ids.insert(a.id).second) return bad(fmt::format("agent '{}' is listed twice", a.id));
    if (auto ok = check_agent(a, names); !ok) return ok;
  }
  return {};
}

Schedule summarise(const ScheduleProblem& p, std::vector<ScheduledShift> shifts) {
  Schedule s;
  const std::size_t slots = p.requirement.size();
  s.coverage.assign(slots, 0.0);
  auto add = [&](int from, int len, double v) {
    for (int t = std::max(0, from); t < from + len && t < static_cast<int>(slots); ++t)
      s.coverage[t] += v;
  };
  std::vector<double> hours(p.agents.size(), 0.0);
  for (const auto& sh : shifts) {
    add(sh.start_slot, sh.length_slots, 1.0);
    for (const auto& b : sh.breaks) add(b.start_slot, b.length_slots, -1.0);
    if (sh.agent < hours.size()) hours[sh.agent] += sh.paid_hours;
  }
  std::sort(shifts.begin(), shifts.end(), [](const auto& a, const auto& b) {
    return a.agent != b.agent ? a.agent < b.agent : a.start_slot < b.start_slot;
  });
  s.shifts = std::move(shifts);
  for (std::size_t t = 0; t < slots; ++t) {
    const double diff = p.requirement[t] - s.coverage[t];
    s.required += p.requirement[t];
    if (diff > 1e-9) {
      s.under_staffed += diff;
      s.uncovered_slots.push_back(static_cast<int>(t));
    } else if (diff < -1e-9) {
      s.over_staffed -= diff;
    }
  }
  s.coverage_gap = s.required > 0 ? s.under_staffed / s.required : 0;
  for (std::size_t a = 0; a < p.agents.size(); ++a)
    if (hours[a] + p.agents[a].contract_tolerance_hours < p.agents[a].contract_hours - 1e-9)
      s.contract_shortfalls.push_back({a, hours[a], p.agents[a].contract_hours});
  return s;
}

}  // namespace hotline::wfm
