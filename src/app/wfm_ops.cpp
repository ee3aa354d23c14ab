#include "app/wfm_ops.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include "sim/wfm_validation.hpp"
#include "wfm/adherence.hpp"
#include "wfm/erlang_a.hpp"
#include "wfm/erlang_c.hpp"
#include "wfm/forecast.hpp"
#include "wfm/interval_series.hpp"
#include "wfm/schedule_check.hpp"
#include "wfm/schedule_types.hpp"
#include "wfm/scheduler.hpp"
#include "wfm/staffing.hpp"

namespace hotline::app::wfm_ops {

using nlohmann::json;
using std::chrono::local_seconds;

namespace {

// Thrown by the readers below and turned into an error value at the operation's
// boundary; it never leaves this file.
struct BadInput {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;
};

[[noreturn]] void bad(std::string path, std::string_view why) {
  throw BadInput{ErrorCode::kInvalidArgument,
                 path.empty() ? std::string(why) : path + ": " + std::string(why)};
}

[[noreturn]] void bad(const Error& e) {
  throw BadInput{e.code, e.message};
}

template <typename T>
T unwrap(Result<T> r) {
  if (!r) bad(r.error());
  return std::move(*r);
}

std::string at(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}
std::string at(std::string_view parent, std::size_t i) {
  return fmt::format("{}[{}]", parent, i);
}

const json& object(const json& j, const std::string& path) {
  if (!j.is_object()) bad(path, "must be an object");
  return j;
}

const json* field(const json& j, std::string_view key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

double number(const json& j, const std::string& path) {
  if (!j.is_number()) bad(path, "must be a number");
  const double v = j.get<double>();
  if (!std::isfinite(v)) bad(path, "must be finite");
  return v;
}

std::optional<double> opt_number(const json& j, std::string_view key, std::string_view parent) {
  const json* f = field(j, key);
  if (!f) return std::nullopt;
  return number(*f, at(parent, key));
}

double number_or(const json& j, std::string_view key, std::string_view parent, double dflt) {
  return opt_number(j, key, parent).value_or(dflt);
}

int integer(const json& j, const std::string& path) {
  if (!j.is_number_integer()) bad(path, "must be an integer");
  const auto v = j.get<long long>();
  if (v < -1'000'000'000 || v > 1'000'000'000) bad(path, "out of range");
  return static_cast<int>(v);
}

int int_or(const json& j, std::string_view key, std::string_view parent, int dflt) {
  const json* f = field(j, key);
  return f ? integer(*f, at(parent, key)) : dflt;
}

std::string string_or(const json& j, std::string_view key, std::string_view parent,
                      std::string dflt) {
  const json* f = field(j, key);
  if (!f) return dflt;
  if (!f->is_string()) bad(at(parent, key), "must be a string");
  return f->get<std::string>();
}

bool bool_or(const json& j, std::string_view key, std::string_view parent, bool dflt) {
  const json* f = field(j, key);
  if (!f) return dflt;
  if (!f->is_boolean()) bad(at(parent, key), "must be true or false");
  return f->get<bool>();
}

const json& array(const json& j, const std::string& path) {
  if (!j.is_array()) bad(path, "must be an array");
  return j;
}

constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

int weekday(const json& j, const std::string& path) {
  if (j.is_number_integer()) {
    const int d = integer(j, path);
    if (d < 0 || d > 6) bad(path, "must be 0..6 (0 = Monday)");
    return d;
  }
  if (j.is_string()) {
    const auto s = j.get<std::string>();
    for (std::size_t d = 0; d < kDays.size(); ++d)
      if (s.size() >= 3 &&
          std::equal(s.begin(), s.begin() + 3, kDays[d].begin(),
                     [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        return static_cast<int>(d);
  }
  bad(path, "must be a weekday (Mon..Sun or 0..6)");
}

// "YYYY-MM-DDTHH:MM[:SS][.fff][Z|±hh:mm]" → local seconds; the zone suffix is
// ignored: WFM works in the center's local time.
std::optional<local_seconds> parse_time(std::string_view s) {
  auto num = [](std::string_view t, int& out) {
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return ec == std::errc{} && p == t.data() + t.size();
  };
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!num(s.substr(0, 4), y) || !num(s.substr(5, 2), mo) || !num(s.substr(8, 2), d))
    return std::nullopt;
  if (s.size() > 10) {
    if ((s[10] != 'T' && s[10] != ' ') || s.size() < 16 || s[13] != ':') return std::nullopt;
    if (!num(s.substr(11, 2), h) || !num(s.substr(14, 2), mi)) return std::nullopt;
    std::size_t rest = 16;
    if (s.size() >= 19 && s[16] == ':') {
      if (!num(s.substr(17, 2), sec)) return std::nullopt;
      rest = 19;
      if (rest < s.size() && s[rest] == '.') {
        ++rest;
        while (rest < s.size() && std::isdigit(static_cast<unsigned char>(s[rest]))) ++rest;
      }
    }
    const auto zone = s.substr(rest);
    if (!zone.empty() && zone != "Z" && !(zone.size() == 6 && (zone[0] == '+' || zone[0] == '-')))
      return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  return local_seconds{std::chrono::local_days{ymd}} + std::chrono::hours(h) +
         std::chrono::minutes(mi) + std::chrono::seconds(sec);
}

local_seconds time_field(const json& j, const std::string& path) {
  if (!j.is_string()) bad(path, "must be a date-time string (YYYY-MM-DDTHH:MM)");
  auto t = parse_time(j.get<std::string>());
  if (!t) bad(path, "'" + j.get<std::string>() + "' is not a date-time (YYYY-MM-DDTHH:MM)");
  return *t;
}

// "Mon 08:30" for a slot of the schedule week.
std::string slot_label(int slot, int slot_s) {
  const long long s = static_cast<long long>(slot) * slot_s;
  const long long day = s / 86400;
  const long long rem = s % 86400;
  return fmt::format("{} {:02}:{:02}", kDays[static_cast<std::size_t>(day % 7)], rem / 3600,
                     rem % 3600 / 60);
}

double round_to(double v, double unit) {
  return std::round(v / unit) * unit;
}

// ---- staffing target ----------------------------------------------------------

struct Target {
  wfm::StaffingTarget erlang_c;
  std::optional<double> patience_s;
  std::optional<double> max_p_abandon;
};

Target read_target(const json& r, std::string_view parent, bool default_sl) {
  Target t;
  t.erlang_c.target_s = number_or(r, "target_s", parent, 20);
  t.erlang_c.service_level = opt_number(r, "service_level", parent);
  if (!t.erlang_c.service_level && default_sl) t.erlang_c.service_level = 0.8;
  t.erlang_c.max_asa_s = opt_number(r, "max_asa_s", parent);
  t.erlang_c.max_occupancy = opt_number(r, "max_occupancy", parent);
  t.erlang_c.max_agents = int_or(r, "max_agents", parent, 100000);
  t.patience_s = opt_number(r, "patience_s", parent);
  t.max_p_abandon = opt_number(r, "max_p_abandon", parent);
  if (t.patience_s && !(*t.patience_s > 0)) bad(at(parent, "patience_s"), "must be > 0");
  if (t.max_p_abandon && !(*t.max_p_abandon > 0 && *t.max_p_abandon < 1))
    bad(at(parent, "max_p_abandon"), "must be in (0, 1)");
  if (t.erlang_c.service_level || t.erlang_c.max_asa_s || t.erlang_c.max_occupancy) {
    if (auto ok = wfm::validate(t.erlang_c); !ok) bad(ok.error());
  }
  return t;
}

wfm::StaffingOptions staffing_options(const Target& t, int interval_s, double shrinkage) {
  wfm::StaffingOptions o;
  o.interval_s = interval_s;
  o.target = t.erlang_c;
  o.shrinkage = shrinkage;
  if (t.patience_s) {
    o.model = wfm::QueueModel::kErlangA;
    o.patience_s = *t.patience_s;
    o.max_p_abandon = t.max_p_abandon;
  }
  return o;
}

// ---- demand ---------------------------------------------------------------------

struct Demand {
  std::optional<local_seconds> start;
  int interval_s = 1800;
  std::vector<wfm::IntervalDemand> intervals;
};

void check_demand(const wfm::IntervalDemand& d, const std::string& path) {
  if (d.calls < 0) bad(path, "calls must be >= 0");
  if (d.calls > 0 && !(d.aht_s > 0)) bad(path, "aht_s must be > 0 when calls are offered");
}

// {"start"?, "interval_s", "intervals": [{"calls", "aht_s"}]} or
// {"csv": text, "name"?, "aht_s"? (default AHT when the CSV has none)}.
Demand read_demand(const json& j, const std::string& path) {
  object(j, path);
  Demand d;
  if (const json* csv = field(j, "csv")) {
    if (!csv->is_string()) bad(at(path, "csv"), "must be CSV text");
    const auto name = string_or(j, "name", path, path);
    auto h = unwrap(
        wfm::parse_interval_csv(csv->get<std::string>(), name, int_or(j, "interval_s", path, 0)));
    const auto dflt = opt_number(j, "aht_s", path);
    d.start = h.calls.start;
    d.interval_s = h.calls.interval_s;
    for (std::size_t i = 0; i < h.calls.values.size(); ++i) {
      wfm::IntervalDemand v{h.calls.values[i], h.aht_s.empty() ? dflt.value_or(0) : h.aht_s[i]};
      if (v.calls > 0 && !(v.aht_s > 0)) {
        if (h.aht_s.empty())
          bad(name, "the CSV has no aht_s column: give a default AHT (--aht / \"aht_s\")");
        v.aht_s = dflt.value_or(0);
      }
      check_demand(
          v, fmt::format("{} interval {} ({})", name, i, wfm::format_local(h.calls.slot_start(i))));
      d.intervals.push_back(v);
    }
    return d;
  }
  if (const json* s = field(j, "start")) d.start = time_field(*s, at(path, "start"));
  d.interval_s = int_or(j, "interval_s", path, 1800);
  if (d.interval_s <= 0 || 86400 % d.interval_s != 0)
    bad(at(path, "interval_s"), "must divide a day (900, 1800, 3600)");
  const json* iv = field(j, "intervals");
  if (!iv) bad(path, "needs \"intervals\" (or \"csv\")");
  const auto ipath = at(path, "intervals");
  array(*iv, ipath);
  const double dflt_aht = number_or(j, "aht_s", path, 0);
  for (std::size_t i = 0; i < iv->size(); ++i) {
    const auto p = at(ipath, i);
    object((*iv)[i], p);
    wfm::IntervalDemand v;
    const json* c = field((*iv)[i], "calls");
    if (!c) bad(p, "needs \"calls\"");
    v.calls = number(*c, at(p, "calls"));
    v.aht_s = number_or((*iv)[i], "aht_s", p, dflt_aht);
    check_demand(v, p);
    d.intervals.push_back(v);
  }
  if (d.intervals.empty()) bad(ipath, "is empty");
  return d;
}

// ---- schedule problem -------------------------------------------------------------

wfm::ScheduleProblem read_problem(const json& j, bool need_requirement) {
  wfm::ScheduleProblem p;
  const std::string root = "problem";
  object(j, root);
  p.slot_s = int_or(j, "slot_s", root, 1800);
  if (p.slot_s <= 0 || 86400 % p.slot_s != 0) bad("problem.slot_s", "must divide a day");
  p.skill = string_or(j, "skill", root, "");
  if (const json* req = field(j, "requirement")) {
    array(*req, "problem.requirement");
    for (std::size_t i = 0; i < req->size(); ++i) {
      const double v = number((*req)[i], at("problem.requirement", i));
      if (v < 0) bad(at("problem.requirement", i), "must be >= 0");
      p.requirement.push_back(v);
    }
  } else if (need_requirement) {
    bad(root, "needs \"requirement\" (agents per slot) or a demand to derive it from");
  }
  if (const json* ts = field(j, "templates")) {
    array(*ts, "problem.templates");
    for (std::size_t i = 0; i < ts->size(); ++i) {
      const auto tp = at("problem.templates", i);
      const json& t = object((*ts)[i], tp);
      wfm::ShiftTemplate st;
      st.name = string_or(t, "name", tp, fmt::format("template{}", i));
      st.length_min = int_or(t, "length_min", tp, st.length_min);
      st.earliest_start_min = int_or(t, "earliest_start_min", tp, 0);
      st.latest_start_min = int_or(t, "latest_start_min", tp, st.earliest_start_min);
      st.start_step_min = int_or(t, "start_step_min", tp, 0);
      st.min_gap_between_breaks_min =
          int_or(t, "min_gap_between_breaks_min", tp, st.min_gap_between_breaks_min);
      if (const json* bs = field(t, "breaks")) {
        array(*bs, at(tp, "breaks"));
        for (std::size_t k = 0; k < bs->size(); ++k) {
          const auto bp = at(at(tp, "breaks"), k);
          const json& b = object((*bs)[k], bp);
          wfm::BreakRule br;
          br.name = string_or(b, "name", bp, "break");
          br.length_min = int_or(b, "length_min", bp, br.length_min);
          br.paid = bool_or(b, "paid", bp, true);
          br.earliest_after_min = int_or(b, "earliest_after_min", bp, 0);
          br.latest_after_min = int_or(b, "latest_after_min", bp, 0);
          st.breaks.push_back(br);
        }
      }
      p.templates.push_back(st);
    }
  }
  if (const json* as = field(j, "agents")) {
    array(*as, "problem.agents");
    for (std::size_t i = 0; i < as->size(); ++i) {
      const auto ap = at("problem.agents", i);
      const json& a = object((*as)[i], ap);
      wfm::Agent ag;
      ag.id = string_or(a, "id", ap, "");
      if (ag.id.empty()) bad(ap, "needs an \"id\"");
      if (const json* sk = field(a, "skills")) {
        array(*sk, at(ap, "skills"));
        for (const auto& s : *sk) {
          if (!s.is_string()) bad(at(ap, "skills"), "must be strings");
          ag.skills.push_back(s.get<std::string>());
        }
      }
      ag.contract_hours = number_or(a, "contract_hours", ap, ag.contract_hours);
      ag.contract_tolerance_hours = number_or(a, "contract_tolerance_hours", ap, 0);
      if (const json* off = field(a, "days_off")) {
        array(*off, at(ap, "days_off"));
        for (std::size_t k = 0; k < off->size(); ++k)
          ag.day_off[static_cast<std::size_t>(weekday((*off)[k], at(at(ap, "days_off"), k)))] =
              true;
      }
      if (const json* av = field(a, "availability")) {
        array(*av, at(ap, "availability"));
        for (std::size_t k = 0; k < av->size(); ++k) {
          const auto wp = at(at(ap, "availability"), k);
          const json& w = object((*av)[k], wp);
          const json* day = field(w, "day");
          if (!day) bad(wp, "needs a \"day\"");
          ag.availability.push_back({weekday(*day, at(wp, "day")), int_or(w, "from_min", wp, 0),
                                     int_or(w, "to_min", wp, 1440)});
        }
      }
      if (const json* tl = field(a, "templates")) {
        array(*tl, at(ap, "templates"));
        for (const auto& s : *tl) {
          if (!s.is_string()) bad(at(ap, "templates"), "must be template names");
          ag.templates.push_back(s.get<std::string>());
        }
      }
      if (const json* ps = field(a, "preferred_start_min"))
        ag.preferred_start_min = integer(*ps, at(ap, "preferred_start_min"));
      p.agents.push_back(ag);
    }
  }
  if (const json* r = field(j, "rules")) {
    object(*r, "problem.rules");
    p.rules.min_rest_min = int_or(*r, "min_rest_min", "problem.rules", p.rules.min_rest_min);
    p.rules.max_consecutive_days =
        int_or(*r, "max_consecutive_days", "problem.rules", p.rules.max_consecutive_days);
  }
  return p;
}

// Requirement per slot (net agents) from a week of demand via the staffing model.
std::vector<double> requirement_from(const Demand& d, int slot_s, const Target& target,
                                     double shrinkage, json& staffing_out) {
  if (d.interval_s < slot_s || d.interval_s % slot_s != 0)
    bad("demand.interval_s",
        fmt::format("must be a whole multiple of the schedule slot ({} s)", slot_s));
  const std::size_t week = static_cast<std::size_t>(7 * 86400 / d.interval_s);
  if (d.intervals.size() != week)
    bad("demand", fmt::format("must hold one week: {} intervals of {} s, got {}", week,
                              d.interval_s, d.intervals.size()));
  if (d.start) {
    const auto day = std::chrono::floor<std::chrono::days>(*d.start);
    if (*d.start != day || std::chrono::weekday{day} != std::chrono::Monday)
      bad("demand", "must start on a Monday at 00:00 (the schedule week), starts " +
                        wfm::format_local(*d.start));
  }
  auto plan =
      unwrap(wfm::plan_staffing(d.intervals, staffing_options(target, d.interval_s, shrinkage)));
  std::vector<double> req;
  const int per = d.interval_s / slot_s;
  for (const auto& iv : plan.intervals)
    for (int k = 0; k < per; ++k)
      req.push_back(shrinkage > 0 ? iv.required_gross : static_cast<double>(iv.required));
  staffing_out = {{"total_required_hours", plan.total_required_hours},
                  {"period_sl", plan.period_sl}};
  return req;
}

json shift_json(const wfm::ScheduleProblem& p, const wfm::ScheduledShift& s) {
  json breaks = json::array();
  for (const auto& b : s.breaks)
    breaks.push_back({{"name", b.name},
                      {"start_slot", b.start_slot},
                      {"length_slots", b.length_slots},
                      {"paid", b.paid},
                      {"start", slot_label(b.start_slot, p.slot_s)},
                      {"end", slot_label(b.start_slot + b.length_slots, p.slot_s)}});
  return {{"agent", p.agents.at(s.agent).id},
          {"day", s.day},
          {"template", s.shift_template < p.templates.size() ? p.templates[s.shift_template].name
                                                             : std::string()},
          {"start_slot", s.start_slot},
          {"length_slots", s.length_slots},
          {"start", slot_label(s.start_slot, p.slot_s)},
          {"end", slot_label(s.start_slot + s.length_slots, p.slot_s)},
          {"paid_hours", round_to(s.paid_hours, 1e-6)},
          {"breaks", breaks}};
}

std::vector<wfm::ScheduledShift> read_shifts(const json& j, const wfm::ScheduleProblem& p) {
  const std::string root = "schedule.shifts";
  const json* sh = j.is_array() ? &j : (j.is_object() ? field(j, "shifts") : nullptr);
  if (!sh) bad("schedule", "needs \"shifts\"");
  array(*sh, root);
  std::map<std::string, std::size_t, std::less<>> agents;
  for (std::size_t i = 0; i < p.agents.size(); ++i) agents.emplace(p.agents[i].id, i);
  std::vector<wfm::ScheduledShift> out;
  for (std::size_t i = 0; i < sh->size(); ++i) {
    const auto sp = at(root, i);
    const json& s = object((*sh)[i], sp);
    wfm::ScheduledShift x;
    const auto id = string_or(s, "agent", sp, "");
    auto it = agents.find(id);
    if (it == agents.end()) bad(at(sp, "agent"), "'" + id + "' is not an agent of the problem");
    x.agent = it->second;
    const auto tname = string_or(s, "template", sp, "");
    if (!tname.empty()) {
      auto t = std::find_if(p.templates.begin(), p.templates.end(),
                            [&](const auto& tpl) { return tpl.name == tname; });
      if (t == p.templates.end()) bad(at(sp, "template"), "'" + tname + "' is not a template");
      x.shift_template = static_cast<std::size_t>(t - p.templates.begin());
    }
    x.start_slot = int_or(s, "start_slot", sp, -1);
    x.length_slots = int_or(s, "length_slots", sp, 0);
    if (x.start_slot < 0) bad(at(sp, "start_slot"), "must be >= 0");
    if (x.length_slots <= 0) bad(at(sp, "length_slots"), "must be > 0");
    x.day = int_or(s, "day", sp, x.start_slot / p.slots_per_day());
    if (const json* bs = field(s, "breaks")) {
      array(*bs, at(sp, "breaks"));
      for (std::size_t k = 0; k < bs->size(); ++k) {
        const auto bp = at(at(sp, "breaks"), k);
        const json& b = object((*bs)[k], bp);
        wfm::ScheduledBreak br;
        br.name = string_or(b, "name", bp, "break");
        br.start_slot = int_or(b, "start_slot", bp, -1);
        br.length_slots = int_or(b, "length_slots", bp, 0);
        br.paid = bool_or(b, "paid", bp, true);
        if (br.start_slot < x.start_slot || br.length_slots <= 0 ||
            br.start_slot + br.length_slots > x.start_slot + x.length_slots)
          bad(bp, "must lie inside its shift with length_slots > 0");
        x.breaks.push_back(br);
      }
    }
    double paid = x.length_slots;
    for (const auto& b : x.breaks)
      if (!b.paid) paid -= b.length_slots;
    x.paid_hours = number_or(s, "paid_hours", sp, paid * p.slot_s / 3600.0);
    out.push_back(x);
  }
  return out;
}

json schedule_json(const wfm::ScheduleProblem& p, const wfm::Schedule& s) {
  json shifts = json::array();
  for (const auto& x : s.shifts) shifts.push_back(shift_json(p, x));
  json uncovered = json::array();
  for (int slot : s.uncovered_slots) {
    const auto k = static_cast<std::size_t>(slot);
    uncovered.push_back({{"slot", slot},
                         {"start", slot_label(slot, p.slot_s)},
                         {"required", p.requirement.at(k)},
                         {"covered", s.coverage.at(k)}});
  }
  json shortfalls = json::array();
  for (const auto& c : s.contract_shortfalls)
    shortfalls.push_back({{"agent", p.agents.at(c.agent).id},
                          {"scheduled_hours", round_to(c.scheduled_hours, 1e-6)},
                          {"contract_hours", c.contract_hours}});
  json violations = json::array();
  for (const auto& v : wfm::check_schedule(p, s.shifts))
    violations.push_back(
        {{"agent", v.agent}, {"day", v.day}, {"rule", v.rule}, {"detail", v.detail}});
  const double per_hour = 3600.0 / p.slot_s;
  return {{"slot_s", p.slot_s},
          {"shift_status", std::string(wfm::to_string(s.shift_status))},
          {"break_status", std::string(wfm::to_string(s.break_status))},
          {"coverage_gap", s.coverage_gap},
          {"required_agent_hours", s.required / per_hour},
          {"under_staffed_agent_hours", s.under_staffed / per_hour},
          {"over_staffed_agent_hours", s.over_staffed / per_hour},
          {"uncovered", uncovered},
          {"contract_shortfalls", shortfalls},
          {"violations", violations},
          {"requirement", p.requirement},
          {"coverage", s.coverage},
          {"shifts", shifts}};
}

// A problem from the request, its requirement filled from "demand" when given.
struct Planned {
  wfm::ScheduleProblem problem;
  std::optional<Demand> demand;
  json staffing;
};

Planned plan_problem(const json& r) {
  Planned out;
  const json* pj = field(r, "problem");
  if (!pj) bad("", "needs \"problem\" (templates, agents, rules)");
  const json* dj = field(r, "demand");
  out.problem = read_problem(*pj, dj == nullptr);
  if (dj) {
    out.demand = read_demand(*dj, "demand");
    const json* sj = field(r, "staffing");
    const json empty = json::object();
    const json& st = sj ? object(*sj, "staffing") : empty;
    const Target t = read_target(st, "staffing", true);
    const double shrinkage = number_or(st, "shrinkage", "staffing", 0);
    if (!(shrinkage >= 0 && shrinkage < 1)) bad("staffing.shrinkage", "must be in [0, 1)");
    if (!field(*pj, "requirement"))
      out.problem.requirement =
          requirement_from(*out.demand, out.problem.slot_s, t, shrinkage, out.staffing);
  }
  return out;
}

wfm::ScheduleOptions schedule_options(const json& r) {
  wfm::ScheduleOptions o;
  const json* oj = field(r, "options");
  if (!oj) return o;
  object(*oj, "options");
  o.time_limit_s = number_or(*oj, "time_limit_s", "options", o.time_limit_s);
  o.break_time_share = number_or(*oj, "break_time_share", "options", o.break_time_share);
  o.under_weight = number_or(*oj, "under_weight", "options", o.under_weight);
  o.over_weight = number_or(*oj, "over_weight", "options", o.over_weight);
  o.contract_weight = number_or(*oj, "contract_weight", "options", o.contract_weight);
  o.preference_weight = number_or(*oj, "preference_weight", "options", o.preference_weight);
  if (auto ok = wfm::validate(o); !ok) bad(ok.error());
  return o;
}

// ---- operations ----------------------------------------------------------------

json erlang_impl(const json& r) {
  object(r, "request");
  const Target t = read_target(r, "", false);
  if (field(r, "intervals") || field(r, "csv")) {
    const Demand d = read_demand(r, "");
    const double shrinkage = number_or(r, "shrinkage", "", 0.3);
    Target tt = t;
    if (!tt.erlang_c.service_level && !tt.erlang_c.max_asa_s && !tt.erlang_c.max_occupancy)
      tt.erlang_c.service_level = 0.8;
    auto plan =
        unwrap(wfm::plan_staffing(d.intervals, staffing_options(tt, d.interval_s, shrinkage)));
    json rows = json::array();
    for (std::size_t i = 0; i < plan.intervals.size(); ++i) {
      const auto& iv = plan.intervals[i];
      json row = {{"calls", iv.calls},
                  {"aht_s", iv.aht_s},
                  {"traffic_erlangs", iv.traffic_erlangs},
                  {"required", iv.required},
                  {"required_gross", iv.required_gross},
                  {"required_gross_ceil", iv.required_gross_ceil},
                  {"expected_sl", iv.expected_sl},
                  {"expected_asa_s", iv.expected_asa_s},
                  {"expected_occupancy", iv.expected_occupancy}};
      if (tt.patience_s) row["expected_p_abandon"] = iv.expected_p_abandon;
      if (d.start)
        row["interval_start"] = wfm::format_local(
            *d.start + std::chrono::seconds(static_cast<long long>(i) * d.interval_s));
      rows.push_back(row);
    }
    return {{"model", tt.patience_s ? "erlang_a" : "erlang_c"},
            {"interval_s", d.interval_s},
            {"shrinkage", shrinkage},
            {"total_required_hours", plan.total_required_hours},
            {"period_sl", plan.period_sl},
            {"intervals", rows}};
  }
  const json* calls = field(r, "calls");
  if (!calls) bad("", "needs \"calls\" (one interval) or \"intervals\" (a staffing plan)");
  wfm::TrafficLoad load{number(*calls, "calls"), number_or(r, "interval_s", "", 1800),
                        number_or(r, "aht_s", "", 0)};
  if (load.calls <= 0) bad("calls", "must be > 0");
  if (!(load.aht_s > 0)) bad("aht_s", "must be > 0");
  if (auto ok = wfm::validate(load); !ok) bad(ok.error());
  json out = {{"model", t.patience_s ? "erlang_a" : "erlang_c"},
              {"calls", load.calls},
              {"interval_s", load.interval_s},
              {"aht_s", load.aht_s},
              {"target_s", t.erlang_c.target_s},
              {"traffic_erlangs", load.traffic_erlangs()}};
  std::optional<int> agents;
  if (const json* a = field(r, "agents")) {
    agents = integer(*a, "agents");
    if (*agents < 1) bad("agents", "must be >= 1");
  }
  const bool has_target = t.erlang_c.service_level || t.erlang_c.max_asa_s ||
                          t.erlang_c.max_occupancy || t.max_p_abandon;
  if (!agents || has_target) {
    Target tt = t;
    if (!has_target) tt.erlang_c.service_level = 0.8;
    int n = 0;
    if (tt.patience_s) {
      wfm::ErlangATarget at;
      at.sl_offered = tt.erlang_c.service_level;
      at.target_s = tt.erlang_c.target_s;
      at.max_p_abandon = tt.max_p_abandon;
      at.max_asa_answered_s = tt.erlang_c.max_asa_s;
      at.max_occupancy = tt.erlang_c.max_occupancy;
      at.max_agents = tt.erlang_c.max_agents;
      n = unwrap(wfm::erlang_a_min_agents(load, *tt.patience_s, at));
    } else {
      n = unwrap(wfm::erlang_c_min_agents(load, tt.erlang_c));
    }
    out["min_agents"] = n;
    if (tt.erlang_c.service_level) out["service_level_target"] = *tt.erlang_c.service_level;
    if (!agents) agents = n;
  }
  out["agents"] = *agents;
  if (t.patience_s) {
    const auto a = unwrap(wfm::erlang_a(load, *agents, *t.patience_s, t.erlang_c.target_s));
    out["patience_s"] = *t.patience_s;
    out["p_wait"] = a.p_wait;
    out["service_level"] = a.sl_offered;
    out["sl_answered"] = a.sl_answered;
    out["p_abandon"] = a.p_abandon;
    out["asa_s"] = a.asa_answered_s;
    out["asa_all_s"] = a.asa_all_s;
    out["occupancy"] = a.occupancy;
    out["avg_queue_len"] = a.avg_queue_len;
  } else {
    auto c = wfm::erlang_c(load, *agents, t.erlang_c.target_s);
    if (!c)
      bad("agents", fmt::format("{} agents cannot carry {:.3f} Erlangs: the queue grows without "
                                "bound (Erlang C needs agents > traffic)",
                                *agents, load.traffic_erlangs()));
    out["p_wait"] = c->p_wait;
    out["service_level"] = c->service_level;
    out["asa_s"] = c->asa_s;
    out["occupancy"] = c->occupancy;
  }
  return out;
}

json forecast_impl(const json& r) {
  object(r, "request");
  wfm::IntervalSeries history;
  std::vector<double> aht;
  if (const json* csv = field(r, "history_csv")) {
    if (!csv->is_string()) bad("history_csv", "must be CSV text");
    auto h = unwrap(wfm::parse_interval_csv(csv->get<std::string>(),
                                            string_or(r, "history_name", "", "history_csv"),
                                            int_or(r, "interval_s", "", 0)));
    history = std::move(h.calls);
    aht = std::move(h.aht_s);
  } else if (const json* h = field(r, "history")) {
    object(*h, "history");
    const json* s = field(*h, "start");
    if (!s) bad("history", "needs \"start\"");
    history.start = time_field(*s, "history.start");
    history.interval_s = int_or(*h, "interval_s", "history", 1800);
    if (history.interval_s <= 0 || 86400 % history.interval_s != 0)
      bad("history.interval_s", "must divide a day");
    const json* c = field(*h, "calls");
    if (!c) bad("history", "needs \"calls\"");
    array(*c, "history.calls");
    for (std::size_t i = 0; i < c->size(); ++i) {
      const double v = number((*c)[i], at("history.calls", i));
      if (v < 0) bad(at("history.calls", i), "must be >= 0");
      history.values.push_back(v);
    }
    if (const json* a = field(*h, "aht_s")) {
      array(*a, "history.aht_s");
      if (a->size() != c->size()) bad("history.aht_s", "must have one value per interval");
      for (std::size_t i = 0; i < a->size(); ++i)
        aht.push_back(number((*a)[i], at("history.aht_s", i)));
    }
  } else {
    bad("", "needs \"history\" or \"history_csv\"");
  }
  const int horizon = int_or(r, "horizon", "", history.slots_per_week());
  if (horizon < 1 || horizon > 53 * history.slots_per_week())
    bad("horizon", "must be 1 .. 53 weeks of intervals");
  wfm::ForecastOptions opt;
  opt.backtest_weeks = int_or(r, "backtest_weeks", "", 1);
  opt.seasonal.weeks = int_or(r, "seasonal_weeks", "", opt.seasonal.weeks);
  if (opt.backtest_weeks < 1) bad("backtest_weeks", "must be >= 1");
  if (opt.seasonal.weeks < 1) bad("seasonal_weeks", "must be >= 1");
  if (const json* m = field(r, "methods")) {
    array(*m, "methods");
    opt.candidates.clear();
    for (std::size_t i = 0; i < m->size(); ++i) {
      const auto name = (*m)[i].is_string() ? (*m)[i].get<std::string>() : "";
      if (name == "seasonal_average")
        opt.candidates.push_back(wfm::ForecastMethod::kSeasonalAverage);
      else if (name == "holt_winters")
        opt.candidates.push_back(wfm::ForecastMethod::kHoltWinters);
      else
        bad(at("methods", i), "must be \"seasonal_average\" or \"holt_winters\"");
    }
    if (opt.candidates.empty()) bad("methods", "is empty");
  }
  if (const json* hs = field(r, "holidays")) {
    array(*hs, "holidays");
    for (std::size_t i = 0; i < hs->size(); ++i) {
      const auto hp = at("holidays", i);
      const json& h = object((*hs)[i], hp);
      const json* d = field(h, "date");
      if (!d) bad(hp, "needs a \"date\"");
      const auto t = time_field(*d, at(hp, "date"));
      wfm::SpecialDay sd;
      sd.date = std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(t)};
      sd.factor = number_or(h, "factor", hp, 0);
      sd.name = string_or(h, "name", hp, "");
      opt.special_days.holidays.push_back(sd);
    }
  }
  if (const json* as = field(r, "adjustments")) {
    array(*as, "adjustments");
    for (std::size_t i = 0; i < as->size(); ++i) {
      const auto ap = at("adjustments", i);
      const json& a = object((*as)[i], ap);
      const json* f = field(a, "from");
      const json* t = field(a, "to");
      if (!f || !t) bad(ap, "needs \"from\" and \"to\"");
      wfm::Adjustment adj;
      adj.from = time_field(*f, at(ap, "from"));
      adj.to = time_field(*t, at(ap, "to"));
      if (adj.to <= adj.from) bad(ap, "\"to\" must be after \"from\"");
      const json* fac = field(a, "factor");
      if (!fac) bad(ap, "needs a \"factor\" (1.3 = +30 %)");
      adj.factor = number(*fac, at(ap, "factor"));
      adj.reason = string_or(a, "reason", ap, "");
      opt.special_days.adjustments.push_back(adj);
    }
  }
  auto fc = unwrap(wfm::forecast_volume(history, horizon, opt));
  std::vector<double> aht_fc;
  if (!aht.empty()) {
    aht_fc = unwrap(wfm::forecast_aht(history, aht, horizon, int_or(r, "aht_weeks", "", 4)));
  } else if (const auto d = opt_number(r, "aht_s", "")) {
    if (!(*d > 0)) bad("aht_s", "must be > 0");
    aht_fc.assign(static_cast<std::size_t>(horizon), *d);
  }
  json rows = json::array();
  double total = 0;
  for (std::size_t i = 0; i < fc.forecast.values.size(); ++i) {
    json row = {{"interval_start", wfm::format_local(fc.forecast.slot_start(i))},
                {"calls", round_to(fc.forecast.values[i], 1e-3)}};
    if (!aht_fc.empty()) row["aht_s"] = round_to(aht_fc[i], 1e-3);
    total += fc.forecast.values[i];
    rows.push_back(row);
  }
  json scores = json::array();
  for (const auto& s : fc.scores)
    scores.push_back({{"method", std::string(wfm::to_string(s.method))},
                      {"wape", s.backtest.wape},
                      {"mape", s.backtest.mape}});
  json out = {{"method", std::string(wfm::to_string(fc.method))},
              {"interval_s", fc.forecast.interval_s},
              {"start", wfm::format_local(fc.forecast.start)},
              {"history_intervals", history.values.size()},
              {"total_calls", total},
              {"scores", scores},
              {"intervals", rows}};
  out["backtest"] =
      fc.backtest ? json{{"wape", fc.backtest->wape}, {"mape", fc.backtest->mape}} : json(nullptr);
  if (fc.holt_winters_fit)
    out["holt_winters"] = {
        {"alpha", fc.holt_winters_fit->alpha},
        {"beta", fc.holt_winters_fit->beta},
        {"gamma", fc.holt_winters_fit->gamma},
        {"seasonality", fc.holt_winters_fit->seasonality == wfm::Seasonality::kAdditive
                            ? "additive"
                            : "multiplicative"}};
  return out;
}

json schedule_impl(const json& r) {
  object(r, "request");
  Planned pl = plan_problem(r);
  const auto opt = schedule_options(r);
  if (auto ok = wfm::validate(pl.problem); !ok) bad(ok.error());
  auto s = unwrap(wfm::build_schedule(pl.problem, opt));
  json out = schedule_json(pl.problem, s);
  if (!pl.staffing.is_null()) out["staffing"] = pl.staffing;
  return out;
}

json check_impl(const json& r) {
  object(r, "request");
  Planned pl = plan_problem(r);
  if (auto ok = wfm::validate(pl.problem); !ok) bad(ok.error());
  const json* sj = field(r, "schedule");
  if (!sj) bad("", "needs \"schedule\" (the shifts to check)");
  auto s = wfm::summarise(pl.problem, read_shifts(*sj, pl.problem));
  json out = schedule_json(pl.problem, s);
  out.erase("shift_status");
  out.erase("break_status");
  return out;
}

json validate_impl(const json& r) {
  object(r, "request");
  Planned pl = plan_problem(r);
  if (!pl.demand) bad("", "needs \"demand\" (the forecast the schedule was built for)");
  std::vector<wfm::ScheduledShift> shifts;
  json built;
  if (const json* sj = field(r, "schedule")) {
    shifts = read_shifts(*sj, pl.problem);
  } else {
    if (auto ok = wfm::validate(pl.problem); !ok) bad(ok.error());
    auto s = unwrap(wfm::build_schedule(pl.problem, schedule_options(r)));
    shifts = s.shifts;
    built = {{"shift_status", std::string(wfm::to_string(s.shift_status))},
             {"coverage_gap", s.coverage_gap}};
  }
  sim::ValidationOptions o;
  o.interval_s = pl.demand->interval_s;
  const json* sj = field(r, "staffing");
  const json empty = json::object();
  const json& st = sj ? *sj : empty;
  o.target_s = number_or(st, "target_s", "staffing", 20);
  o.patience_s = opt_number(st, "patience_s", "staffing");
  o.replications = int_or(r, "replications", "", o.replications);
  o.seed = static_cast<std::uint64_t>(int_or(r, "seed", "", 1));
  auto rep = unwrap(sim::validate_by_simulation(pl.problem, shifts, pl.demand->intervals, o));
  json rows = json::array();
  for (std::size_t i = 0; i < rep.intervals.size(); ++i) {
    const auto& iv = rep.intervals[i];
    json row = {{"interval", i},
                {"calls", iv.calls},
                {"aht_s", iv.aht_s},
                {"agents", iv.agents},
                {"erlang_sl", iv.erlang_sl},
                {"unstable", iv.unstable},
                {"simulated_sl", iv.simulated_sl},
                {"offered", iv.offered},
                {"answered", iv.answered},
                {"abandoned", iv.abandoned},
                {"simulated_asa_s", iv.simulated_asa_s}};
    row["interval_start"] =
        pl.demand->start
            ? wfm::format_local(*pl.demand->start +
                                std::chrono::seconds(static_cast<long long>(i) * o.interval_s))
            : slot_label(static_cast<int>(i) * (o.interval_s / pl.problem.slot_s),
                         pl.problem.slot_s);
    rows.push_back(row);
  }
  json out = {{"model", rep.model},
              {"target_s", o.target_s},
              {"replications", o.replications},
              {"erlang_period_sl", rep.erlang_period_sl},
              {"simulated_period_sl", rep.simulated_period_sl},
              {"simulated_agents", rep.simulated_agents},
              {"intervals", rows}};
  if (o.patience_s) out["patience_s"] = *o.patience_s;
  if (!built.is_null()) out["schedule"] = built;
  return out;
}

json adherence_impl(const json& r) {
  object(r, "request");
  const json* pj = field(r, "problem");
  if (!pj) bad("", "needs \"problem\" (at least its agents and slot_s)");
  const auto problem = read_problem(*pj, false);
  const json* sj = field(r, "schedule");
  if (!sj) bad("", "needs \"schedule\" (the shifts to compare with)");
  const auto shifts = read_shifts(*sj, problem);
  const json* ws = field(r, "week_start");
  if (!ws) bad("", "needs \"week_start\" (the Monday the schedule starts, YYYY-MM-DD)");
  const auto week = time_field(*ws, "week_start");
  if (std::chrono::weekday{std::chrono::floor<std::chrono::days>(week)} != std::chrono::Monday)
    bad("week_start", "must be a Monday");
  const json* ev = field(r, "events");
  if (!ev) bad("", "needs \"events\" (agent state changes)");
  array(*ev, "events");
  std::vector<wfm::StateEvent> events;
  for (std::size_t i = 0; i < ev->size(); ++i) {
    const auto ep = at("events", i);
    const json& e = object((*ev)[i], ep);
    const json* t = field(e, "time");
    if (!t) bad(ep, "needs a \"time\"");
    wfm::StateEvent se;
    se.at_s = (time_field(*t, at(ep, "time")) - week).count();
    se.agent = string_or(e, "agent", ep, "");
    if (se.agent.empty()) bad(ep, "needs an \"agent\"");
    const auto state = string_or(e, "state", ep, "");
    auto a = wfm::parse_activity(state);
    if (!a)
      bad(at(ep, "state"), "'" + state +
                               "' is not an agent state (logged_out, ready, reserved, busy, "
                               "wrap_up, not_ready, break, lunch)");
    se.activity = *a;
    events.push_back(std::move(se));
  }
  wfm::AdherenceOptions o;
  o.grace_s = int_or(r, "grace_s", "", 0);
  auto rep = unwrap(wfm::compute_adherence(problem, shifts, std::move(events), o));
  json days = json::array();
  for (const auto& d : rep.days) {
    json ex = json::array();
    for (const auto& x : d.exceptions)
      ex.push_back({{"from", wfm::format_local(week + std::chrono::seconds(x.from_s))},
                    {"to", wfm::format_local(week + std::chrono::seconds(x.to_s))},
                    {"minutes", static_cast<double>(x.to_s - x.from_s) / 60.0},
                    {"scheduled", x.scheduled},
                    {"actual", std::string(wfm::to_string(x.actual))}});
    days.push_back({{"agent", d.agent},
                    {"day", d.day},
                    {"date", wfm::format_local(week + std::chrono::days(d.day)).substr(0, 10)},
                    {"scheduled_min", static_cast<double>(d.scheduled_s) / 60.0},
                    {"in_adherence_min", static_cast<double>(d.in_adherence_s) / 60.0},
                    {"adherence", d.adherence},
                    {"exceptions", ex}});
  }
  return {{"adherence", rep.adherence},
          {"scheduled_min", static_cast<double>(rep.scheduled_s) / 60.0},
          {"in_adherence_min", static_cast<double>(rep.in_adherence_s) / 60.0},
          {"grace_s", o.grace_s},
          {"unknown_agents", rep.unknown_agents},
          {"days", days}};
}

template <typename F>
Result<json> guarded(F&& f, const json& r) {
  try {
    return f(r);
  } catch (const BadInput& e) {
    return fail(e.code, e.message);
  } catch (const json::exception& e) {
    return fail(ErrorCode::kInvalidArgument, e.what());
  }
}

}  // namespace

Result<json> erlang(const json& r) {
  return guarded(erlang_impl, r);
}
Result<json> forecast(const json& r) {
  return guarded(forecast_impl, r);
}
Result<json> schedule(const json& r) {
  return guarded(schedule_impl, r);
}
Result<json> validate(const json& r) {
  return guarded(validate_impl, r);
}
Result<json> check(const json& r) {
  return guarded(check_impl, r);
}
Result<json> adherence(const json& r) {
  return guarded(adherence_impl, r);
}

Result<json> run(std::string_view op, const json& r) {
  if (op == "erlang") return erlang(r);
  if (op == "forecast") return forecast(r);
  if (op == "schedule") return schedule(r);
  if (op == "validate") return validate(r);
  if (op == "check") return check(r);
  if (op == "adherence") return adherence(r);
  return fail(ErrorCode::kNotFound, "no WFM operation '" + std::string(op) + "'");
}

}  // namespace hotline::app::wfm_ops
