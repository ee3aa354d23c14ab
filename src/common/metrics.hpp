// Process metrics in the Prometheus text exposition format (GET /metrics).
// Counters and gauges are registered once and then updated lock-free; rendering
// takes the registry lock only to walk the series.
//
// Thread-safety: all members may be used from any thread. References returned by
// counter()/gauge() stay valid for the registry's lifetime.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hotline {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry {
 public:
  // Returns the series `name{labels}`, creating it on first use. REQUIRES: the same
  // name is always registered with the same kind.
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  // A gauge computed when scraped (uptime, queue depth owned by another thread).
  void gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn);

  std::string render() const;

 private:
  enum class Kind { kCounter, kGauge, kGaugeFn };
  struct Family {
    Kind kind;
    std::string help;
    std::map<std::string, Counter*> counters;  // rendered labels -> series
    std::map<std::string, Gauge*> gauges;
    std::function<double()> fn;
  };
  Family& family(std::string_view name, std::string_view help, Kind kind);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  std::deque<Counter> counters_;
  std::deque<Gauge> gauges_;
};

// "{a=\"1\",b=\"x\"}" with Prometheus escaping; empty string for no labels.
std::string render_labels(const Labels& labels);

}  // namespace hotline
