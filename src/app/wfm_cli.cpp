#include "app/wfm_cli.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "app/call_config.hpp"
#include "app/wfm_io.hpp"
#include "app/wfm_ops.hpp"

namespace hotline::app {

using nlohmann::json;

struct WfmCli::Options {
  CLI::App* erlang = nullptr;
  CLI::App* forecast = nullptr;
  CLI::App* schedule = nullptr;
  CLI::App* validate = nullptr;
  CLI::App* adherence = nullptr;
  CLI::App* check = nullptr;

  std::string format = "table";
  std::string request_file;  // a JSON request as the API takes; flags add to it
  // erlang
  std::optional<double> calls, interval_s, aht_s, target_s, sl, max_asa, max_occupancy, patience,
      max_p_abandon, shrinkage;
  std::optional<int> agents, max_agents;
  // files
  std::string demand, history, problem, schedule_file, states;
  // forecast
  std::optional<int> horizon, backtest_weeks;
  std::vector<std::string> methods, holidays, adjustments, calendars;
  // schedule / validate
  std::optional<double> time_limit;
  std::optional<int> replications, seed;
  // adherence
  std::string week_start;
  std::optional<int> grace;
};

namespace {

// "FILE:NAME": the dates of calendar NAME in FILE's `calendars:` section — the same
// calendars IVR business-hours nodes use.
Result<std::vector<std::string>> calendar_dates(const std::string& spec) {
  const auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
    return fail(ErrorCode::kInvalidArgument, "--calendar " + spec + ": expected FILE:NAME");
  }
  const std::string file = spec.substr(0, colon), name = spec.substr(colon + 1);
  auto text = read_text_file(file);
  if (!text) return std::unexpected(text.error());
  ConfigErrors errors;
  std::map<std::string, std::vector<std::string>, std::less<>> calendars;
  if (auto doc = parse_yaml(*text, file, errors)) {
    read_calendars(ConfigNode::root(*doc, file, errors).child("calendars"), calendars);
  }
  if (!errors.empty()) return fail(ErrorCode::kInvalidArgument, errors.to_string());
  auto it = calendars.find(name);
  if (it == calendars.end()) {
    return fail(ErrorCode::kInvalidArgument,
                "--calendar " + spec + ": no calendar '" + name + "' in " + file);
  }
  return it->second;
}

void add_common(CLI::App* app, WfmCli::Options& o) {
  app->add_option("--format", o.format, "Output: table (default), csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  app->add_option("--request", o.request_file,
                  "JSON request as POSTed to /api/v1/wfm/...; the flags below add to it");
}

void add_target(CLI::App* app, WfmCli::Options& o) {
  app->add_option("--sl", o.sl, "Service-level target, fraction (0.8 = 80 %)");
  app->add_option("--target-s", o.target_s, "Service-level threshold in seconds (default 20)");
  app->add_option("--patience", o.patience,
                  "Mean caller patience in seconds: Erlang A (callers abandon)");
}

}  // namespace

WfmCli::WfmCli(CLI::App& parent) : o_(std::make_unique<Options>()) {
  Options& o = *o_;
  wfm_ = parent.add_subcommand("wfm", "Workforce management: staffing, forecast, schedules");
  wfm_->require_subcommand(1);

  o.erlang = wfm_->add_subcommand(
      "erlang", "Erlang C/A figures for one interval, or a staffing plan for a demand CSV");
  add_common(o.erlang, o);
  add_target(o.erlang, o);
  o.erlang->add_option("--calls", o.calls, "Calls offered in the interval");
  o.erlang->add_option("--aht", o.aht_s, "Average handle time, seconds");
  o.erlang->add_option("--interval", o.interval_s, "Interval length, seconds (default 1800)");
  o.erlang->add_option("--agents", o.agents, "Agents on the phones (default: the minimum)");
  o.erlang->add_option("--max-agents", o.max_agents, "Give up beyond this many (default 100000)");
  o.erlang->add_option("--max-asa", o.max_asa, "Average speed of answer target, seconds");
  o.erlang->add_option("--max-occupancy", o.max_occupancy, "Maximum occupancy, fraction");
  o.erlang->add_option("--max-abandon", o.max_p_abandon, "Maximum P(abandon), Erlang A");
  o.erlang->add_option("--demand", o.demand,
                       "CSV of intervals (interval_start, calls[, aht_s]): a staffing plan");
  o.erlang->add_option("--shrinkage", o.shrinkage, "Shrinkage for the plan (default 0.3)");

  o.forecast = wfm_->add_subcommand("forecast", "Forecast volume (and AHT) per interval");
  add_common(o.forecast, o);
  o.forecast->add_option("--history", o.history,
                         "CSV of past intervals: interval_start, calls[, weekday, aht_s]");
  o.forecast->add_option("--horizon", o.horizon, "Intervals to forecast (default one week)");
  o.forecast->add_option("--aht", o.aht_s, "AHT to put on every interval when the CSV has none");
  o.forecast->add_option("--backtest-weeks", o.backtest_weeks, "Weeks held out (default 1)");
  o.forecast->add_option("--method", o.methods, "seasonal_average and/or holt_winters");
  o.forecast->add_option("--holiday", o.holidays, "DATE[:FACTOR], e.g. 2025-03-05:0 (closed)");
  o.forecast->add_option("--calendar", o.calendars,
                         "FILE:NAME — every date of the holiday calendar NAME in FILE's "
                         "`calendars:` (e.g. hotline.yaml:france), closed");
  o.forecast->add_option("--adjust", o.adjustments,
                         "FROM,TO,FACTOR, e.g. 2025-03-04T12:00,2025-03-04T18:00,1.3");

  o.schedule = wfm_->add_subcommand("schedule", "Build a week's schedule (CBC)");
  add_common(o.schedule, o);
  add_target(o.schedule, o);
  o.schedule->add_option("--problem", o.problem, "JSON: slot_s, templates, agents, rules");
  o.schedule->add_option("--demand", o.demand, "Forecast CSV: the requirement is staffed from it");
  o.schedule->add_option("--aht", o.aht_s, "AHT when the demand CSV has none");
  o.schedule->add_option("--shrinkage", o.shrinkage, "Absence shrinkage on top (default 0)");
  o.schedule->add_option("--time-limit", o.time_limit, "Solver time limit, seconds (default 30)");

  o.validate = wfm_->add_subcommand(
      "validate", "Simulate the schedule and forecast through the ACD; SL vs Erlang");
  add_common(o.validate, o);
  add_target(o.validate, o);
  o.validate->add_option("--problem", o.problem, "JSON problem (agents, templates)");
  o.validate->add_option("--demand", o.demand, "Forecast CSV (interval_start, calls[, aht_s])");
  o.validate->add_option("--aht", o.aht_s, "AHT when the demand CSV has none");
  o.validate->add_option("--schedule", o.schedule_file,
                         "Schedule JSON (from `wfm schedule --format json`); built if absent");
  o.validate->add_option("--replications", o.replications, "Simulation runs (default 5)");
  o.validate->add_option("--seed", o.seed, "Random seed (default 1)");
  o.validate->add_option("--time-limit", o.time_limit, "Solver limit when building, seconds");

  o.check = wfm_->add_subcommand(
      "check", "Check a (hand-edited) schedule: labour rules, coverage, uncovered intervals");
  add_common(o.check, o);
  add_target(o.check, o);
  o.check->add_option("--problem", o.problem, "JSON problem");
  o.check->add_option("--schedule", o.schedule_file, "Schedule JSON");
  o.check->add_option("--demand", o.demand, "Forecast CSV, when the problem has no requirement");
  o.check->add_option("--aht", o.aht_s, "AHT when the demand CSV has none");
  o.check->add_option("--shrinkage", o.shrinkage, "Absence shrinkage on top (default 0)");

  o.adherence =
      wfm_->add_subcommand("adherence", "Schedule adherence per agent per day from agent states");
  add_common(o.adherence, o);
  o.adherence->add_option("--problem", o.problem, "JSON problem (agents, slot_s)");
  o.adherence->add_option("--schedule", o.schedule_file, "Schedule JSON");
  o.adherence->add_option("--states", o.states, "CSV of agent state changes: time, agent, state");
  o.adherence->add_option("--week-start", o.week_start, "The schedule's Monday, YYYY-MM-DD");
  o.adherence->add_option("--grace", o.grace, "Ignore exceptions up to this many seconds");
}

WfmCli::~WfmCli() = default;

bool WfmCli::parsed() const {
  return wfm_->parsed();
}

namespace {

// Builds the request for `op` from the flags; nullopt after printing an error.
Result<json> build_request(std::string_view op, const WfmCli::Options& o) {
  json r = json::object();
  if (!o.request_file.empty()) {
    auto j = wfm_io::read_json_file(o.request_file);
    if (!j) return std::unexpected(j.error());
    if (!j->is_object())
      return fail(ErrorCode::kInvalidArgument, o.request_file + ": must hold a JSON object");
    r = std::move(*j);
  }
  auto set = [](json& where, const char* key, const auto& v) {
    if (v) where[key] = *v;
  };
  auto csv_demand = [&](const std::string& path) -> Result<json> {
    auto text = wfm_io::read_text_file(path);
    if (!text) return std::unexpected(text.error());
    json d = {{"csv", *text}, {"name", path}};
    if (o.aht_s) d["aht_s"] = *o.aht_s;
    return d;
  };
  auto load_json = [&](const std::string& path, const char* key) -> Status {
    if (path.empty()) return {};
    auto j = wfm_io::read_json_file(path);
    if (!j) return std::unexpected(j.error());
    r[key] = std::move(*j);
    return {};
  };
  auto target_into = [&](json& where) {
    set(where, "service_level", o.sl);
    set(where, "target_s", o.target_s);
    set(where, "patience_s", o.patience);
    set(where, "shrinkage", o.shrinkage);
  };

  if (op == "erlang") {
    set(r, "calls", o.calls);
    set(r, "aht_s", o.aht_s);
    set(r, "interval_s", o.interval_s);
    set(r, "agents", o.agents);
    set(r, "max_asa_s", o.max_asa);
    set(r, "max_agents", o.max_agents);
    set(r, "max_occupancy", o.max_occupancy);
    set(r, "max_p_abandon", o.max_p_abandon);
    target_into(r);
    if (!o.demand.empty()) {
      auto d = csv_demand(o.demand);
      if (!d) return std::unexpected(d.error());
      r.update(*d);
    }
    return r;
  }
  if (op == "forecast") {
    if (!o.history.empty()) {
      auto text = wfm_io::read_text_file(o.history);
      if (!text) return std::unexpected(text.error());
      r["history_csv"] = *text;
      r["history_name"] = o.history;
    }
    set(r, "horizon", o.horizon);
    set(r, "aht_s", o.aht_s);
    set(r, "backtest_weeks", o.backtest_weeks);
    if (!o.methods.empty()) r["methods"] = o.methods;
    for (const auto& h : o.holidays) {
      const auto colon = h.find(':');
      json day = {{"date", h.substr(0, colon)}};
      if (colon != std::string::npos) {
        try {
          std::size_t used = 0;
          day["factor"] = std::stod(h.substr(colon + 1), &used);
          if (used != h.size() - colon - 1) throw std::invalid_argument("trailing");
        } catch (const std::exception&) {
          return fail(ErrorCode::kInvalidArgument, "--holiday " + h + ": factor is not a number");
        }
      }
      r["holidays"].push_back(day);
    }
    for (const auto& c : o.calendars) {
      auto dates = calendar_dates(c);
      if (!dates) return std::unexpected(dates.error());
      for (const std::string& d : *dates) r["holidays"].push_back({{"date", d}, {"factor", 0.0}});
    }
    for (const auto& a : o.adjustments) {
      const auto c1 = a.find(',');
      const auto c2 = c1 == std::string::npos ? c1 : a.find(',', c1 + 1);
      if (c2 == std::string::npos)
        return fail(ErrorCode::kInvalidArgument, "--adjust " + a + ": expected FROM,TO,FACTOR");
      double factor = 0;
      try {
        std::size_t used = 0;
        factor = std::stod(a.substr(c2 + 1), &used);
        if (used != a.size() - c2 - 1) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        return fail(ErrorCode::kInvalidArgument, "--adjust " + a + ": factor is not a number");
      }
      r["adjustments"].push_back(
          {{"from", a.substr(0, c1)}, {"to", a.substr(c1 + 1, c2 - c1 - 1)}, {"factor", factor}});
    }
    if (!r.contains("history") && !r.contains("history_csv"))
      return fail(ErrorCode::kInvalidArgument, "wfm forecast: --history FILE.csv is required");
    return r;
  }
  if (auto st = load_json(o.problem, "problem"); !st) return std::unexpected(st.error());
  if (op == "schedule" || op == "validate" || op == "check") {
    if (!o.demand.empty()) {
      auto d = csv_demand(o.demand);
      if (!d) return std::unexpected(d.error());
      r["demand"] = *d;
    }
    if (!r.contains("staffing")) r["staffing"] = json::object();
    target_into(r["staffing"]);
    if (r["staffing"].empty()) r.erase("staffing");
    if (o.time_limit) r["options"]["time_limit_s"] = *o.time_limit;
    if (op == "validate") {
      set(r, "replications", o.replications);
      set(r, "seed", o.seed);
    }
  }
  if (op == "validate" || op == "adherence" || op == "check") {
    if (auto st = load_json(o.schedule_file, "schedule"); !st) return std::unexpected(st.error());
  }
  if (op == "adherence") {
    if (!o.states.empty()) {
      auto text = wfm_io::read_text_file(o.states);
      if (!text) return std::unexpected(text.error());
      auto events = wfm_io::parse_states_csv(*text, o.states);
      if (!events) return std::unexpected(events.error());
      r["events"] = std::move(*events);
    }
    if (!o.week_start.empty()) r["week_start"] = o.week_start;
    set(r, "grace_s", o.grace);
  }
  if (!r.contains("problem"))
    return fail(ErrorCode::kInvalidArgument,
                "wfm " + std::string(op) + ": --problem FILE.json is required");
  return r;
}

}  // namespace

int WfmCli::run(std::ostream& out, std::ostream& err) {
  const Options& o = *o_;
  std::string_view op;
  if (o.erlang->parsed()) op = "erlang";
  if (o.forecast->parsed()) op = "forecast";
  if (o.schedule->parsed()) op = "schedule";
  if (o.validate->parsed()) op = "validate";
  if (o.adherence->parsed()) op = "adherence";
  if (o.check->parsed()) op = "check";
  const std::string prefix = "hotline wfm " + std::string(op) + ": ";
  auto report = [&](const Error& e) {
    err << prefix << "error: " << e.message << '\n';
    return e.code == ErrorCode::kInvalidArgument ? 2 : 1;
  };
  const auto format = wfm_io::parse_format(o.format);
  if (!format) return report(format.error());
  auto request = build_request(op, o);
  if (!request) return report(request.error());
  auto result = wfm_ops::run(op, *request);
  if (!result) return report(result.error());
  const auto rendered = wfm_io::render(op, *result, *format);
  out << rendered.out;
  if (*format == wfm_io::Format::kCsv && !rendered.notes.empty()) err << rendered.notes;
  if (op == "schedule" && result->contains("uncovered") && !(*result)["uncovered"].empty() &&
      *format == wfm_io::Format::kJson)
    err << prefix << "warning: " << (*result)["uncovered"].size()
        << " intervals under-staffed (listed under \"uncovered\")\n";
  return 0;
}

}  // namespace hotline::app
