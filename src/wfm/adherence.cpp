#include "wfm/adherence.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

namespace hotline::wfm {

std::string_view to_string(Activity a) {
  switch (a) {
    case Activity::kOffline: return "offline";
    case Activity::kWorking: return "working";
    case Activity::kAway: return "away";
  }
  return "?";
}

std::optional<Activity> parse_activity(std::string_view state) {
  std::string s;
  for (char c : state) {
    if (c == '-' || c == ' ') c = '_';
    s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  static const std::map<std::string, Activity, std::less<>> kNames = {
      {"logged_out", Activity::kOffline}, {"offline", Activity::kOffline},
      {"ready", Activity::kWorking},      {"reserved", Activity::kWorking},
      {"busy", Activity::kWorking},       {"wrap_up", Activity::kWorking},
      {"wrapup", Activity::kWorking},     {"talking", Activity::kWorking},
      {"on_call", Activity::kWorking},    {"available", Activity::kWorking},
      {"working", Activity::kWorking},    {"not_ready", Activity::kAway},
      {"break", Activity::kAway},         {"lunch", Activity::kAway},
      {"away", Activity::kAway},          {"paused", Activity::kAway},
  };
  auto it = kNames.find(s);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

namespace {

// A piece of a shift with one expected activity.
struct Segment {
  long long from_s = 0;
  long long to_s = 0;
  std::string scheduled;  // "work" or the break's name
  bool is_break = false;
};

std::vector<Segment> segments_of(const ScheduledShift& shift, int slot_s) {
  std::vector<Segment> out;
  long long t = static_cast<long long>(shift.start_slot) * slot_s;
  const long long end = t + static_cast<long long>(shift.length_slots) * slot_s;
  std::vector<ScheduledBreak> breaks = shift.breaks;
  std::sort(breaks.begin(), breaks.end(),
            [](const auto& a, const auto& b) { return a.start_slot < b.start_slot; });
  for (const auto& b : breaks) {
    const long long bs = static_cast<long long>(b.start_slot) * slot_s;
    const long long be = bs + static_cast<long long>(b.length_slots) * slot_s;
    if (bs > t) out.push_back({t, std::min(bs, end), "work", false});
    if (be > bs) out.push_back({std::max(bs, t), std::min(be, end), b.name, true});
    t = std::max(t, be);
  }
  if (end > t) out.push_back({t, end, "work", false});
  std::erase_if(out, [](const Segment& s) { return s.to_s <= s.from_s; });
  return out;
}

bool adheres(const Segment& seg, Activity actual) {
  return seg.is_break ? actual != Activity::kWorking : actual == Activity::kWorking;
}

}  // namespace

Result<AdherenceReport> compute_adherence(const ScheduleProblem& problem,
                                          const std::vector<ScheduledShift>& shifts,
                                          std::vector<StateEvent> events,
                                          const AdherenceOptions& options) {
  if (options.grace_s < 0) return fail(ErrorCode::kInvalidArgument, "grace_s must be >= 0");
  if (problem.slot_s <= 0) return fail(ErrorCode::kInvalidArgument, "slot_s must be > 0");
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < problem.agents.size(); ++i) index.emplace(problem.agents[i].id, i);

  AdherenceReport report;
  std::vector<std::vector<StateEvent>> per_agent(problem.agents.size());
  std::set<std::string> unknown;
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.at_s < b.at_s; });
  for (auto& e : events) {
    auto it = index.find(e.agent);
    if (it == index.end()) {
      unknown.insert(e.agent);
      continue;
    }
    per_agent[it->second].push_back(std::move(e));
  }
  report.unknown_agents.assign(unknown.begin(), unknown.end());

  std::vector<const ScheduledShift*> order;
  for (const auto& s : shifts) {
    if (s.agent >= problem.agents.size()) {
      return fail(ErrorCode::kInvalidArgument,
                  "shift on day " + std::to_string(s.day) + " names agent index " +
                      std::to_string(s.agent) + ", but the problem has " +
                      std::to_string(problem.agents.size()) + " agents");
    }
    order.push_back(&s);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return std::tie(a->agent, a->day, a->start_slot) < std::tie(b->agent, b->day, b->start_slot);
  });

  for (const ScheduledShift* shift : order) {
    const auto& ev = per_agent[shift->agent];
    DayAdherence* day = nullptr;
    if (!report.days.empty() && report.days.back().agent == problem.agents[shift->agent].id &&
        report.days.back().day == shift->day) {
      day = &report.days.back();
    } else {
      report.days.push_back({problem.agents[shift->agent].id, shift->day, 0, 0, 1, {}});
      day = &report.days.back();
    }
    for (const Segment& seg : segments_of(*shift, problem.slot_s)) {
      day->scheduled_s += seg.to_s - seg.from_s;
      // The activity in force at seg.from_s: the last event at or before it.
      auto it = std::upper_bound(ev.begin(), ev.end(), seg.from_s,
                                 [](long long t, const StateEvent& e) { return t < e.at_s; });
      Activity current = it == ev.begin() ? Activity::kOffline : std::prev(it)->activity;
      long long t = seg.from_s;
      while (t < seg.to_s) {
        const long long next = it == ev.end() ? seg.to_s : std::min(seg.to_s, it->at_s);
        if (next > t) {
          if (adheres(seg, current)) {
            day->in_adherence_s += next - t;
          } else if (!day->exceptions.empty() && day->exceptions.back().to_s == t &&
                     day->exceptions.back().scheduled == seg.scheduled &&
                     day->exceptions.back().actual == current) {
            day->exceptions.back().to_s = next;
          } else {
            day->exceptions.push_back({t, next, seg.scheduled, current});
          }
        }
        t = next;
        if (it != ev.end() && it->at_s <= t) {
          current = it->activity;
          ++it;
        }
      }
    }
  }

  for (auto& d : report.days) {
    std::erase_if(d.exceptions, [&](const AdherenceException& x) {
      if (x.to_s - x.from_s > options.grace_s) return false;
      d.in_adherence_s += x.to_s - x.from_s;
      return true;
    });
    d.adherence = d.scheduled_s > 0
                      ? static_cast<double>(d.in_adherence_s) / static_cast<double>(d.scheduled_s)
                      : 1.0;
    report.scheduled_s += d.scheduled_s;
    report.in_adherence_s += d.in_adherence_s;
  }
  report.adherence = report.scheduled_s > 0 ? static_cast<double>(report.in_adherence_s) /
                                                  static_cast<double>(report.scheduled_s)
                                            : 1.0;
  return report;
}

}  // namespace hotline::wfm
