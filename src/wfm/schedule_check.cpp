#include "wfm/schedule_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace hotline::wfm {

std::vector<Violation> check_schedule(const ScheduleProblem& p,
                                      const std::vector<ScheduledShift>& shifts) {
  std::vector<Violation> out;
  const int spd = p.slots_per_day();
  const int slot_min = p.slot_s / 60;
  auto report = [&](const ScheduledShift& s, std::string rule, std::string detail) {
    out.push_back({s.agent < p.agents.size() ? p.agents[s.agent].id : "", s.day, std::move(rule),
                   std::move(detail)});
  };
  std::vector<std::vector<const ScheduledShift*>> by_agent(p.agents.size());
  for (const auto& s : shifts) {
    if (s.agent >= p.agents.size() || s.shift_template >= p.templates.size()) {
      report(s, "unknown", "shift names an unknown agent or template");
      continue;
    }
    const auto& a = p.agents[s.agent];
    const auto& t = p.templates[s.shift_template];
    by_agent[s.agent].push_back(&s);
    const int start_min = (s.start_slot - s.day * spd) * slot_min;
    if (s.day < 0 || s.day > 6 || start_min < 0 || start_min >= 1440) {
      report(s, "day", fmt::format("start slot {} is not on day {}", s.start_slot, s.day));
      continue;
    }
    if (s.length_slots * slot_min != t.length_min)
      report(
          s, "template_length",
          fmt::format("{} slots, template '{}' is {} min", s.length_slots, t.name, t.length_min));
    const int step = t.start_step_min > 0 ? t.start_step_min : slot_min;
    if (start_min < t.earliest_start_min || start_min > t.latest_start_min ||
        (start_min - t.earliest_start_min) % step != 0)
      report(s, "start_window",
             fmt::format("starts at minute {}, template '{}' allows {}..{} "
                         "every {} min",
                         start_min, t.name, t.earliest_start_min, t.latest_start_min, step));
    if (!a.templates.empty() &&
        std::find(a.templates.begin(), a.templates.end(), t.name) == a.templates.end())
      report(s, "template_not_allowed", t.name);
    if (!p.skill.empty() && std::find(a.skills.begin(), a.skills.end(), p.skill) == a.skills.end())
      report(s, "skill", fmt::format("lacks skill '{}'", p.skill));
    if (a.day_off[s.day]) report(s, "day_off", "scheduled on a day off");
    const int end_min = start_min + t.length_min;
    if (!a.availability.empty() &&
        std::none_of(a.availability.begin(), a.availability.end(), [&](const auto& w) {
          return w.day == s.day && w.from_min <= start_min && end_min <= w.to_min;
        }))
      report(s, "availability",
             fmt::format("{}..{} min is outside every window", start_min, end_min));
    // Breaks: the template's breaks, in order, inside their windows, with the gaps.
    if (s.breaks.size() != t.breaks.size()) {
      report(
          s, "breaks",
          fmt::format("{} breaks, template '{}' has {}", s.breaks.size(), t.name, t.breaks.size()));
      continue;
    }
    for (std::size_t b = 0; b < s.breaks.size(); ++b) {
      const auto& rule = t.breaks[b];
      const auto& got = s.breaks[b];
      const int after = (got.start_slot - s.start_slot) * slot_min;
      if (got.name != rule.name || got.length_slots * slot_min != rule.length_min)
        report(s, "break_shape",
               fmt::format("break {} is '{}' of {} slots, want '{}' of {} min", b, got.name,
                           got.length_slots, rule.name, rule.length_min));
      if (after < rule.earliest_after_min || after > rule.latest_after_min)
        report(s, "break_window",
               fmt::format("'{}' starts {} min into the shift, allowed {}..{}", rule.name, after,
                           rule.earliest_after_min, rule.latest_after_min));
      if (b > 0) {
        const auto& prev = s.breaks[b - 1];
        const int gap = (got.start_slot - prev.start_slot - prev.length_slots) * slot_min;
        if (gap < t.min_gap_between_breaks_min)
          report(s, "break_gap",
                 fmt::format("{} min between '{}' and '{}', need {}", gap, prev.name, got.name,
                             t.min_gap_between_breaks_min));
      }
    }
  }
  for (std::size_t ai = 0; ai < by_agent.size(); ++ai) {
    auto& mine = by_agent[ai];
    std::sort(mine.begin(), mine.end(),
              [](const auto* x, const auto* y) { return x->start_slot < y->start_slot; });
    const auto& a = p.agents[ai];
    std::array<bool, 7> works{};
    double hours = 0;
    for (std::size_t k = 0; k < mine.size(); ++k) {
      const auto& s = *mine[k];
      hours += s.paid_hours;
      if (s.day >= 0 && s.day < 7) {
        if (works[s.day]) report(s, "one_shift_per_day", "second shift on the same day");
        works[s.day] = true;
      }
      if (k > 0) {
        const auto& prev = *mine[k - 1];
        const int rest = (s.start_slot - prev.start_slot - prev.length_slots) * slot_min;
        if (rest < p.rules.min_rest_min)
          report(s, "rest",
                 fmt::format("{} min rest after the shift of day {}, need {}", rest, prev.day,
                             p.rules.min_rest_min));
      }
    }
    int run = 0;
    for (int d = 0; d < 7; ++d) {
      run = works[d] ? run + 1 : 0;
      if (run > p.rules.max_consecutive_days)
        out.push_back({a.id, d, "max_consecutive_days",
                       fmt::format("{} days in a row, max {}", run, p.rules.max_consecutive_days)});
    }
    if (hours > a.contract_hours + a.contract_tolerance_hours + 1e-9)
      out.push_back({a.id, 0, "contract_max",
                     fmt::format("{} paid hours, contract {} + {}", hours, a.contract_hours,
                                 a.contract_tolerance_hours)});
  }
  return out;
}

}  // namespace hotline::wfm
