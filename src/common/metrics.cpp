#include "common/metrics.hpp"

#include <fmt/format.h>

namespace hotline {

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    for (char c : v) {
      if (c == '\\')
        out += "\\\\";
      else if (c == '"')
        out += "\\\"";
      else if (c == '\n')
        out += "\\n";
      else
        out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, std::string_view help,
                                                 Kind kind) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{kind, std::string(help), {}, {}, {}}).first;
  }
  return it->second;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const Labels& labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, Kind::kCounter);
  const std::string key = render_labels(labels);
  if (auto it = f.counters.find(key); it != f.counters.end()) return *it->second;
  Counter& c = counters_.emplace_back();
  f.counters.emplace(key, &c);
  return c;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, Kind::kGauge);
  const std::string key = render_labels(labels);
  if (auto it = f.gauges.find(key); it != f.gauges.end()) return *it->second;
  Gauge& g = gauges_.emplace_back();
  f.gauges.emplace(key, &g);
  return g;
}

void MetricsRegistry::gauge_fn(std::string_view name, std::string_view help,
                               std::function<double()> fn) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, Kind::kGaugeFn);
  f.fn = std::move(fn);
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name,
                       f.kind == Kind::kCounter ? "counter" : "gauge");
    for (const auto& [labels, c] : f.counters)
      out += fmt::format("{}{} {}\n", name, labels, c->value());
    for (const auto& [labels, g] : f.gauges)
      out += fmt::format("{}{} {}\n", name, labels, g->value());
    if (f.fn) out += fmt::format("{} {}\n", name, f.fn());
  }
  return out;
}

}  // namespace hotline
