#include "app/sim_cli.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/sim_scenario.hpp"

namespace hotline::app {
namespace {

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

// "08:30" for an offset from the start of the simulated day (days beyond the first
// are written "d2 08:30").
std::string clock_label(Duration offset) {
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(offset).count();
  const auto day = minutes / (24 * 60);
  const auto hh = (minutes / 60) % 24;
  const auto mm = minutes % 60;
  return day == 0 ? fmt::format("{:02}:{:02}", hh, mm)
                  : fmt::format("d{} {:02}:{:02}", day + 1, hh, mm);
}

nlohmann::json stats_json(const sim::Stats& s) {
  return {{"offered", s.offered},
          {"answered", s.answered},
          {"answered_within_threshold", s.answered_within_threshold},
          {"abandoned", s.abandoned},
          {"timed_out", s.timed_out},
          {"called_back", s.called_back},
          {"overflowed", s.overflowed},
          {"rejected", s.rejected},
          {"unfinished", s.unfinished},
          {"service_level", s.service_level()},
          {"asa_s", s.asa_seconds()},
          {"abandon_rate", s.abandon_rate()}};
}

const char* const kStatsHeader =
    "offered,answered,service_level,asa_s,abandoned,abandon_rate,"
    "timed_out,overflowed,called_back,rejected,unfinished";

std::string stats_csv(const sim::Stats& s) {
  return fmt::format("{},{},{:.4f},{:.2f},{},{:.4f},{},{},{},{},{}", s.offered, s.answered,
                     s.service_level(), s.asa_seconds(), s.abandoned, s.abandon_rate(), s.timed_out,
                     s.overflowed, s.called_back, s.rejected, s.unfinished);
}

std::string stats_row(std::string_view label, const sim::Stats& s) {
  return fmt::format("{:<12} {:>8} {:>8} {:>6.1f}% {:>7.1f} {:>9} {:>6.1f}%\n", label, s.offered,
                     s.answered, 100 * s.service_level(), s.asa_seconds(), s.abandoned,
                     100 * s.abandon_rate());
}

const char* const kTableHeader =
    "             offered answered     SL  ASA (s) abandoned  aband.\n";

void print_table(const sim::Scenario& sc, const LoadedScenario& loaded, const sim::Report& r,
                 std::string_view report, std::ostream& out) {
  const bool all = report == "all";
  out << fmt::format("{} queue(s), {} agent(s), {} interval(s) of {}s, seed {}\n\n",
                     sc.queues.size(), sc.agents.size(), r.per_interval.size(),
                     seconds(sc.interval), sc.seed);
  if (all || report == "intervals") {
    out << "interval" << std::string(kTableHeader).substr(8);
    for (std::size_t i = 0; i < r.per_interval.size(); ++i) {
      out << stats_row(clock_label(sc.interval * static_cast<std::int64_t>(i)), r.per_interval[i]);
    }
    out << stats_row("total", r.total) << '\n';
  }
  if (all || report == "queues") {
    out << "queue   " << std::string(kTableHeader).substr(8);
    for (std::size_t q = 0; q < r.per_queue.size(); ++q) {
      out << stats_row(loaded.queue_names[q], r.per_queue[q]);
    }
    out << '\n';
  }
  if (all || report == "agents") {
    out << fmt::format("{:<16} {:>8} {:>10}\n", "agent", "answered", "occupancy");
    for (const sim::AgentLoad& a : r.agents) {
      out << fmt::format("{:<16} {:>8} {:>9.1f}%\n", a.name, a.answered, 100 * a.occupancy());
    }
    out << fmt::format("{:<16} {:>8} {:>9.1f}%\n\n", "all agents", r.total.answered,
                       100 * r.occupancy);
  }
  if (r.refused_inputs != 0) {
    out << fmt::format("warning: the engine refused {} simulator input(s)\n", r.refused_inputs);
  }
}

nlohmann::json report_json(const sim::Scenario& sc, const LoadedScenario& loaded,
                           const sim::Report& r) {
  nlohmann::json intervals = nlohmann::json::array();
  for (std::size_t i = 0; i < r.per_interval.size(); ++i) {
    auto j = stats_json(r.per_interval[i]);
    j["start_s"] = seconds(sc.interval * static_cast<std::int64_t>(i));
    intervals.push_back(std::move(j));
  }
  nlohmann::json queues = nlohmann::json::array();
  for (std::size_t q = 0; q < r.per_queue.size(); ++q) {
    auto j = stats_json(r.per_queue[q]);
    j["queue"] = loaded.queue_names[q];
    queues.push_back(std::move(j));
  }
  nlohmann::json agents = nlohmann::json::array();
  for (const sim::AgentLoad& a : r.agents) {
    agents.push_back({{"agent", a.name},
                      {"answered", a.answered},
                      {"staffed_s", seconds(a.staffed)},
                      {"busy_s", seconds(a.busy)},
                      {"occupancy", a.occupancy()}});
  }
  return {{"seed", sc.seed},
          {"interval_s", seconds(sc.interval)},
          {"total", stats_json(r.total)},
          {"occupancy", r.occupancy},
          {"intervals", std::move(intervals)},
          {"queues", std::move(queues)},
          {"agents", std::move(agents)},
          {"engine_events", r.engine_events},
          {"refused_inputs", r.refused_inputs},
          {"simulated_s", seconds(r.simulated)}};
}

void print_csv(const sim::Scenario& sc, const LoadedScenario& loaded, const sim::Report& r,
               std::string_view report, std::ostream& out) {
  if (report == "queues") {
    out << "queue," << kStatsHeader << '\n';
    for (std::size_t q = 0; q < r.per_queue.size(); ++q) {
      out << loaded.queue_names[q] << ',' << stats_csv(r.per_queue[q]) << '\n';
    }
  } else if (report == "agents") {
    out << "agent,answered,staffed_s,busy_s,occupancy\n";
    for (const sim::AgentLoad& a : r.agents) {
      out << fmt::format("{},{},{:.0f},{:.0f},{:.4f}\n", a.name, a.answered, seconds(a.staffed),
                         seconds(a.busy), a.occupancy());
    }
  } else {
    out << "interval_start_s," << kStatsHeader << '\n';
    for (std::size_t i = 0; i < r.per_interval.size(); ++i) {
      out << fmt::format("{:.0f},", seconds(sc.interval * static_cast<std::int64_t>(i)))
          << stats_csv(r.per_interval[i]) << '\n';
    }
    out << "total," << stats_csv(r.total) << '\n';
  }
}

}  // namespace

int run_sim_command(const SimCommand& command, std::ostream& out, std::ostream& err) {
  if (command.format != "table" && command.format != "csv" && command.format != "json") {
    err << "error: --format must be table, csv or json, not '" << command.format << "'\n";
    return 2;
  }
  if (command.report != "all" && command.report != "intervals" && command.report != "queues" &&
      command.report != "agents") {
    err << "error: --report must be all, intervals, queues or agents, not '" << command.report
        << "'\n";
    return 2;
  }
  LoadedScenario loaded = load_scenario_file(command.scenario_path);
  if (!loaded.scenario) {
    for (const auto& e : loaded.errors.all()) err << "error: " << e.to_string() << '\n';
    err << loaded.errors.size() << (loaded.errors.size() == 1 ? " error" : " errors") << '\n';
    return 2;
  }
  sim::Scenario& sc = *loaded.scenario;
  if (command.seed) sc.seed = *command.seed;
  auto report = sim::simulate(sc);
  if (!report) {
    err << "error: " << command.scenario_path << ": " << report.error().message << '\n';
    return report.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  if (command.format == "json") {
    out << report_json(sc, loaded, *report).dump(2) << '\n';
  } else if (command.format == "csv") {
    print_csv(sc, loaded, *report, command.report, out);
  } else {
    print_table(sc, loaded, *report, command.report, out);
  }
  return 0;
}

}  // namespace hotline::app
