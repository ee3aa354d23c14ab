#include "app/sim_scenario.hpp"

#include <fmt/format.h>

#include <cmath>

#include "app/cc_config.hpp"
#include "common/text_file.hpp"

namespace hotline::app {
namespace {

constexpr Duration kMaxSpan = std::chrono::hours(24 * 31);

// Traffic of one queue: expected arrivals per interval, from a list or a rate.
void read_traffic(const ConfigNode& node, Duration interval, std::size_t& intervals,
                  sim::SimQueue& q) {
  if (!node.expect_keys({"arrivals", "calls_per_hour", "duration", "handle_time", "patience",
                         "callback", "priority"})) {
    return;
  }
  const bool listed = node.has("arrivals");
  const bool rated = node.has("calls_per_hour");
  if (listed == rated) {
    node.error("traffic needs exactly one of 'arrivals' (per interval) or 'calls_per_hour'");
  } else if (listed) {
    for (const ConfigNode& item : node.child("arrivals").items()) {
      auto text = item.as_string();
      char* end = nullptr;
      const double v = text ? std::strtod(text->c_str(), &end) : -1;
      if (!text || text->empty() || *end != '\0' || !std::isfinite(v) || v < 0) {
        item.error("arrivals must be numbers >= 0 (expected calls in the interval)");
        continue;
      }
      q.arrivals_per_interval.push_back(v);
    }
    if (q.arrivals_per_interval.empty()) node.child("arrivals").error("arrivals is empty");
  } else {
    double rate = 0;
    Duration span = std::chrono::hours(8);
    node.read_double("calls_per_hour", rate, 0, 1e7);
    node.read_duration("duration", span, interval, kMaxSpan);
    const auto n = static_cast<std::size_t>((span + interval - Duration(1)) / interval);
    const double per_interval =
        rate * std::chrono::duration<double, std::ratio<3600>>(interval).count();
    q.arrivals_per_interval.assign(n, per_interval);
  }
  intervals = std::max(intervals, q.arrivals_per_interval.size());
  if (node.has("handle_time")) {
    if (auto d = read_distribution(node.child("handle_time"))) q.handle_time = *d;
  }
  if (node.has("patience")) {
    if (auto d = read_distribution(node.child("patience"))) q.patience = *d;
  }
  const ConfigNode callback = node.child("callback");
  if (callback.defined() && callback.expect_keys({"share", "after"})) {
    callback.read_double("share", q.callback_share, 0, 1);
    callback.read_duration("after", q.callback_after, Duration::zero(), kMaxSpan);
  }
  std::int64_t priority = 0;
  if (node.read_int("priority", priority, 0, 1000)) q.priority = static_cast<int>(priority);
}

void read_shift(const ConfigNode& node, sim::SimAgent& agent) {
  if (!node.expect_keys({"start", "end"})) return;
  node.read_duration("start", agent.shift_start, Duration::zero(), kMaxSpan);
  node.read_duration("end", agent.shift_end, Duration::zero(), kMaxSpan);
  if (agent.shift_end != Duration::zero() && agent.shift_end <= agent.shift_start) {
    node.error("shift end must be after its start");
  }
}

}  // namespace

std::optional<sim::Distribution> read_distribution(const ConfigNode& node) {
  if (node.yaml().IsMap()) {
    if (!node.expect_keys({"samples"})) return std::nullopt;
    std::vector<Duration> samples;
    for (const ConfigNode& item : node.child("samples").items()) {
      auto text = item.as_string();
      auto d = text ? parse_duration(*text) : fail(ErrorCode::kInvalidArgument, "not a duration");
      if (!d || *d <= Duration::zero()) {
        item.error("samples must be durations > 0 (e.g. 95s)");
        return std::nullopt;
      }
      samples.push_back(*d);
    }
    if (samples.empty()) {
      node.error("samples is empty");
      return std::nullopt;
    }
    return sim::Distribution::empirical(std::move(samples));
  }
  auto text = node.as_string();
  if (!text) {
    node.error("expected 'exponential <mean>', 'fixed <duration>', 'never' or { samples: [...] }");
    return std::nullopt;
  }
  if (*text == "never") return sim::Distribution::never();
  const auto space = text->find(' ');
  const std::string kind = text->substr(0, space);
  if (space == std::string::npos || (kind != "exponential" && kind != "fixed")) {
    node.error(fmt::format(
        "'{}': expected 'exponential <mean>', 'fixed <duration>', 'never' or {{ samples: [...] }}",
        *text));
    return std::nullopt;
  }
  auto mean = parse_duration(std::string_view(*text).substr(space + 1));
  if (!mean || *mean <= Duration::zero()) {
    node.error(fmt::format("'{}': the {} needs a duration > 0 (e.g. 180s)", *text,
                           kind == "fixed" ? "value" : "mean"));
    return std::nullopt;
  }
  return kind == "fixed" ? sim::Distribution::fixed(*mean) : sim::Distribution::exponential(*mean);
}

LoadedScenario load_scenario_text(std::string_view text, const std::string& file) {
  LoadedScenario out;
  auto doc = parse_yaml(text, file, out.errors);
  if (!doc) return out;
  const ConfigNode root = ConfigNode::root(*doc, file, out.errors);
  if (!root.expect_keys({"seed", "interval", "warmup", "answer_delay", "drain_limit", "skills",
                         "acd", "queues", "agents", "traffic", "shifts"})) {
    return out;
  }
  sim::Scenario s;
  std::int64_t seed = 1;
  if (root.read_int("seed", seed, 0, INT64_MAX)) s.seed = static_cast<std::uint64_t>(seed);
  root.read_duration("interval", s.interval, std::chrono::minutes(1), std::chrono::hours(24));
  root.read_duration("warmup", s.warmup, Duration::zero(), kMaxSpan);
  root.read_duration("answer_delay", s.answer_delay, Duration::zero(), std::chrono::minutes(10));
  root.read_duration("drain_limit", s.drain_limit, Duration::zero(), kMaxSpan);

  ContactCenterConfig cc;
  read_contact_center(root, cc);
  s.acd = cc.acd;
  for (const CcQueue& q : cc.queues) {
    sim::SimQueue sq;
    sq.config = q.config;
    sq.skills = q.skills;
    s.queues.push_back(std::move(sq));
    out.queue_names.push_back(q.config.name);
  }
  for (const cc::AgentConfig& a : cc.agents) s.agents.push_back({a, {}, {}});
  if (s.queues.empty() && out.errors.empty()) root.error("the scenario defines no queues");

  std::size_t intervals = 0;
  const ConfigNode traffic = root.child("traffic");
  if (traffic.defined() && traffic.expect_map()) {
    for (const auto& [name, node] : traffic.entries()) {
      auto id = cc.queue_id(name);
      if (!id) {
        std::vector<std::string_view> names(out.queue_names.begin(), out.queue_names.end());
        auto near = closest_match(name, names);
        node.error(
            near ? fmt::format("traffic for unknown queue '{}' (did you mean '{}'?)", name, *near)
                 : fmt::format("traffic for unknown queue '{}'", name));
        continue;
      }
      read_traffic(node, s.interval, intervals, s.queues[id->value]);
    }
  }
  if (intervals == 0 && out.errors.empty()) root.error("the scenario has no traffic");
  // Queues with a shorter list get no calls in the later intervals.
  for (sim::SimQueue& q : s.queues) q.arrivals_per_interval.resize(intervals, 0.0);

  // Shifts by agent name; a group name (an agent with `count`) covers its members.
  const ConfigNode shifts = root.child("shifts");
  if (shifts.defined() && shifts.expect_map()) {
    for (const auto& [name, node] : shifts.entries()) {
      sim::SimAgent shift;
      read_shift(node, shift);
      bool matched = false;
      for (sim::SimAgent& agent : s.agents) {
        const std::string& n = agent.config.name;
        if (n == name ||
            (n.size() > name.size() + 1 && n.starts_with(name) && n[name.size()] == '-')) {
          agent.shift_start = shift.shift_start;
          agent.shift_end = shift.shift_end;
          matched = true;
        }
      }
      if (!matched) node.error(fmt::format("shift for unknown agent or group '{}'", name));
    }
  }
  if (out.errors.empty()) out.scenario = std::move(s);
  return out;
}

LoadedScenario load_scenario_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) {
    LoadedScenario out;
    out.errors.add(ConfigError{"", "cannot read the scenario file", path, 0, 0});
    return out;
  }
  return load_scenario_text(*text, path);
}

}  // namespace hotline::app
