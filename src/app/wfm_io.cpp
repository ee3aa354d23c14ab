#include "app/wfm_io.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace hotline::app::wfm_io {

using nlohmann::json;

Result<Format> parse_format(std::string_view name) {
  if (name == "table") return Format::kTable;
  if (name == "csv") return Format::kCsv;
  if (name == "json") return Format::kJson;
  return fail(ErrorCode::kInvalidArgument,
              "unknown format '" + std::string(name) + "' (table, csv or json)");
}

Result<json> read_json_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  try {
    return json::parse(*text);
  } catch (const json::parse_error& e) {
    return fail(ErrorCode::kInvalidArgument, path + ": " + e.what());
  }
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  for (;;) {
    const auto comma = line.find(',', pos);
    out.push_back(trim(line.substr(pos, comma == std::string_view::npos ? comma : comma - pos)));
    if (comma == std::string_view::npos) return out;
    pos = comma + 1;
  }
}

bool looks_like_time(std::string_view s) {
  return s.size() >= 16 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' ') &&
         s[13] == ':' && std::all_of(s.begin(), s.begin() + 4, [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         });
}

}  // namespace

Result<json> parse_states_csv(std::string_view text, std::string_view source) {
  json events = json::array();
  std::optional<std::size_t> col_time, col_agent, col_state;
  std::size_t columns = 0;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  bool header = true;
  auto err = [&](std::string_view why) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("{}:{}: {}", source, line_no, why));
  };
  while (pos <= text.size()) {
    const auto nl = text.find('\n', pos);
    const auto line = trim(text.substr(pos, nl == std::string_view::npos ? nl : nl - pos));
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const auto cells = split(line);
    if (header) {
      header = false;
      columns = cells.size();
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "time" || cells[i] == "timestamp") col_time = i;
        if (cells[i] == "agent" || cells[i] == "agent_id") col_agent = i;
        if (cells[i] == "state") col_state = i;
      }
      if (!col_time || !col_agent || !col_state)
        return err("the header must name the columns time, agent and state");
      continue;
    }
    if (cells.size() != columns)
      return err(fmt::format("{} fields, the header has {}", cells.size(), columns));
    const auto t = cells[*col_time];
    if (!looks_like_time(t)) return err(fmt::format("time '{}' is not YYYY-MM-DDTHH:MM[:SS]", t));
    if (cells[*col_agent].empty()) return err("empty agent");
    if (cells[*col_state].empty()) return err("empty state");
    events.push_back({{"time", std::string(t)},
                      {"agent", std::string(cells[*col_agent])},
                      {"state", std::string(cells[*col_state])},
                      {"line", line_no}});
  }
  if (header) return fail(ErrorCode::kInvalidArgument, std::string(source) + ": empty file");
  return events;
}

namespace {

struct Column {
  std::string key;
  std::string title;
  int decimals = -1;     // -1: as is
  bool percent = false;  // fraction shown as percent in tables
};

std::string cell(const json& v, const Column& c, Format f) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : (f == Format::kCsv ? "no" : "");
  if (v.is_number_float() && f == Format::kTable && c.decimals >= 0) {
    const double d = v.get<double>() * (c.percent ? 100 : 1);
    return fmt::format("{:.{}f}", d, c.decimals);
  }
  if (v.is_array()) return std::to_string(v.size());
  return v.dump();
}

std::string table(const json& rows, const std::vector<Column>& cols, Format f) {
  std::vector<std::vector<std::string>> grid;
  std::vector<std::string> head;
  for (const auto& c : cols) head.push_back(f == Format::kCsv ? c.key : c.title);
  grid.push_back(head);
  for (const auto& r : rows) {
    std::vector<std::string> line;
    for (const auto& c : cols) line.push_back(r.contains(c.key) ? cell(r[c.key], c, f) : "");
    grid.push_back(std::move(line));
  }
  std::string out;
  if (f == Format::kCsv) {
    for (const auto& line : grid) {
      for (std::size_t i = 0; i < line.size(); ++i) out += (i ? "," : "") + line[i];
      out += '\n';
    }
    return out;
  }
  std::vector<std::size_t> width(cols.size(), 0);
  for (const auto& line : grid)
    for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  for (const auto& line : grid) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i)
      text += fmt::format("{}{:>{}}", i ? "  " : "", line[i], width[i]);
    out += text + '\n';
  }
  return out;
}

std::string pct(const json& v) {
  return v.is_number() ? fmt::format("{:.2f} %", v.get<double>() * 100) : "n/a";
}
std::string num(const json& v, int decimals = 3) {
  return v.is_number() ? fmt::format("{:.{}f}", v.get<double>(), decimals) : "n/a";
}

Rendered with_rows(std::string notes, const json& rows, const std::vector<Column>& cols, Format f) {
  Rendered r;
  r.notes = std::move(notes);
  r.out = table(rows, cols, f);
  if (f == Format::kTable) r.out = r.notes + (r.notes.empty() ? "" : "\n") + r.out;
  return r;
}

Rendered render_erlang(const json& j, Format f) {
  if (j.contains("intervals")) {
    std::string notes =
        fmt::format("model {}, shrinkage {}, required {} paid agent-hours, expected SL {}\n",
                    j.value("model", ""), pct(j["shrinkage"]), num(j["total_required_hours"], 1),
                    pct(j["period_sl"]));
    return with_rows(notes, j["intervals"],
                     {{"interval_start", "interval", -1},
                      {"calls", "calls", 1},
                      {"aht_s", "aht_s", 1},
                      {"traffic_erlangs", "erlangs", 2},
                      {"required", "required", -1},
                      {"required_gross", "gross", 2},
                      {"required_gross_ceil", "heads", -1},
                      {"expected_sl", "sl_%", 1, true},
                      {"expected_asa_s", "asa_s", 1},
                      {"expected_occupancy", "occ_%", 1, true},
                      {"expected_p_abandon", "abandon_%", 1, true}},
                     f);
  }
  std::vector<Column> cols = {{"model", "model"},
                              {"calls", "calls", 2},
                              {"interval_s", "interval_s", 0},
                              {"aht_s", "aht_s", 2},
                              {"traffic_erlangs", "traffic_erlangs", 4},
                              {"agents", "agents"},
                              {"min_agents", "min_agents"},
                              {"target_s", "target_s", 1},
                              {"p_wait", "p_wait", 6},
                              {"service_level", "service_level", 6},
                              {"asa_s", "asa_s", 4},
                              {"occupancy", "occupancy", 6}};
  if (j.contains("p_abandon")) {
    cols.push_back({"patience_s", "patience_s", 1});
    cols.push_back({"p_abandon", "p_abandon", 6});
    cols.push_back({"sl_answered", "sl_answered", 6});
  }
  if (f == Format::kCsv) return {table(json::array({j}), cols, f), ""};
  std::string out;
  for (const auto& c : cols)
    if (j.contains(c.key)) out += fmt::format("{:<16} {}\n", c.title, cell(j[c.key], c, f));
  return {out, ""};
}

Rendered render_forecast(const json& j, Format f) {
  std::string notes =
      fmt::format("method {} ({} intervals from {}, {} calls)\n", j.value("method", ""),
                  j["intervals"].size(), j.value("start", ""), num(j["total_calls"], 0));
  if (j["backtest"].is_object())
    notes += fmt::format("back-test WAPE {} MAPE {}\n", num(j["backtest"]["wape"], 4),
                         num(j["backtest"]["mape"], 4));
  else
    notes += "back-test: history too short to hold a week out\n";
  for (const auto& s : j["scores"])
    notes += fmt::format("  candidate {:<16} WAPE {} MAPE {}\n", s.value("method", ""),
                         num(s["wape"], 4), num(s["mape"], 4));
  return with_rows(
      notes, j["intervals"],
      {{"interval_start", "interval_start"}, {"calls", "calls", 2}, {"aht_s", "aht_s", 1}}, f);
}

Rendered render_schedule(const json& j, Format f) {
  std::string notes = fmt::format(
      "shifts {}{}, coverage gap {}, under-staffed {} agent-hours, over-staffed {} "
      "agent-hours\n",
      j["shifts"].size(),
      j.contains("shift_status")
          ? fmt::format(" (solver: shifts {}, breaks {})", j.value("shift_status", ""),
                        j.value("break_status", ""))
          : std::string(),
      pct(j["coverage_gap"]), num(j["under_staffed_agent_hours"], 1),
      num(j["over_staffed_agent_hours"], 1));
  if (!j.contains("shift_status"))
    notes += j["violations"].empty()
                 ? "every labour rule holds\n"
                 : fmt::format("{} labour-rule violations\n", j["violations"].size());
  if (!j["uncovered"].empty()) {
    notes += fmt::format("warning: {} intervals under-staffed:", j["uncovered"].size());
    std::size_t shown = 0;
    for (const auto& u : j["uncovered"]) {
      if (++shown > 20) {
        notes += " ...";
        break;
      }
      notes += fmt::format(" {} ({}/{})", u.value("start", ""), num(u["covered"], 1),
                           num(u["required"], 1));
    }
    notes += '\n';
  }
  for (const auto& c : j["contract_shortfalls"])
    notes += fmt::format("contract: {} gets {} of {} hours\n", c.value("agent", ""),
                         num(c["scheduled_hours"], 2), num(c["contract_hours"], 2));
  for (const auto& v : j["violations"])
    notes += fmt::format("VIOLATION {} day {}: {} {}\n", v.value("agent", ""), v.value("day", 0),
                         v.value("rule", ""), v.value("detail", ""));
  json rows = json::array();
  for (const auto& s : j["shifts"]) {
    json r = s;
    std::string breaks;
    for (const auto& b : s["breaks"]) {
      const auto start = b.value("start", "");
      const auto end = b.value("end", "");
      breaks += fmt::format("{}{} {}-{}", breaks.empty() ? "" : "; ", b.value("name", ""),
                            start.size() > 4 ? start.substr(4) : start,
                            end.size() > 4 ? end.substr(4) : end);
    }
    r["breaks"] = breaks;
    rows.push_back(r);
  }
  return with_rows(notes, rows,
                   {{"agent", "agent"},
                    {"template", "template"},
                    {"start", "start"},
                    {"end", "end"},
                    {"paid_hours", "paid_h", 2},
                    {"breaks", "breaks"}},
                   f);
}

Rendered render_validate(const json& j, Format f) {
  std::string notes =
      fmt::format("model {} ({} replications, SL within {} s): period SL Erlang {} simulated {}\n",
                  j.value("model", ""), j.value("replications", 0), num(j["target_s"], 0),
                  pct(j["erlang_period_sl"]), pct(j["simulated_period_sl"]));
  json rows = json::array();
  for (const auto& iv : j["intervals"]) {
    if (f == Format::kTable && iv.value("calls", 0.0) <= 0 && iv.value("agents", 0.0) <= 0)
      continue;  // closed hours: nothing to compare
    json r = iv;
    r["difference"] = iv.value("simulated_sl", 0.0) - iv.value("erlang_sl", 0.0);
    rows.push_back(r);
  }
  return with_rows(notes, rows,
                   {{"interval_start", "interval"},
                    {"calls", "calls", 1},
                    {"aht_s", "aht_s", 0},
                    {"agents", "agents", 1},
                    {"erlang_sl", "erlang_sl_%", 1, true},
                    {"unstable", "unstable"},
                    {"simulated_sl", "sim_sl_%", 1, true},
                    {"difference", "diff_%", 1, true},
                    {"offered", "offered"},
                    {"abandoned", "abandoned"},
                    {"simulated_asa_s", "sim_asa_s", 1}},
                   f);
}

Rendered render_adherence(const json& j, Format f) {
  std::string notes =
      fmt::format("adherence {} over {} scheduled minutes (grace {} s)\n", pct(j["adherence"]),
                  num(j["scheduled_min"], 0), j.value("grace_s", 0));
  if (!j["unknown_agents"].empty())
    notes += fmt::format("note: {} agents in the states are not in the problem\n",
                         j["unknown_agents"].size());
  Rendered r = with_rows(notes, j["days"],
                         {{"agent", "agent"},
                          {"date", "date"},
                          {"scheduled_min", "scheduled_min", 0},
                          {"in_adherence_min", "in_adherence_min", 0},
                          {"adherence", "adherence_%", 1, true},
                          {"exceptions", "exceptions"}},
                         f);
  if (f == Format::kTable) {
    std::string ex;
    for (const auto& d : j["days"])
      for (const auto& x : d["exceptions"])
        ex += fmt::format("  {} {} - {}  scheduled {}, was {}\n", d.value("agent", ""),
                          x.value("from", ""), x.value("to", "").substr(11),
                          x.value("scheduled", ""), x.value("actual", ""));
    if (!ex.empty()) r.out += "\nout of adherence:\n" + ex;
  }
  return r;
}

}  // namespace

Rendered render(std::string_view op, const json& result, Format f) {
  if (f == Format::kJson) return {result.dump(2) + "\n", ""};
  if (op == "erlang") return render_erlang(result, f);
  if (op == "forecast") return render_forecast(result, f);
  if (op == "schedule" || op == "check") return render_schedule(result, f);
  if (op == "validate") return render_validate(result, f);
  if (op == "adherence") return render_adherence(result, f);
  return {result.dump(2) + "\n", ""};
}

}  // namespace hotline::app::wfm_io
