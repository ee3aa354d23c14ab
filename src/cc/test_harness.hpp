// Test-only driver for the Acd: collects its commands and events, keeps the timers
// it asks for and fires them as a ManualClock is moved. Header-only, used by the
// *_test.cpp files of cc/ (never linked into the library).
//
// Thread-safety: single-threaded, like the Acd.
#pragma once

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "cc/acd.hpp"
#include "common/clock.hpp"

namespace hotline::cc::testing {

class Harness {
 public:
  explicit Harness(AcdOptions options = {}) : acd(clock, std::move(options)) {}

  // Moves the engine's outputs into the logs and the timer table.
  void pump() {
    for (auto& c : acd.take_commands()) {
      if (const auto* s = std::get_if<StartTimer>(&c)) {
        deadlines_[s->timer] = s->deadline;
        due_.insert({s->deadline, s->timer});
      } else if (const auto* x = std::get_if<CancelTimer>(&c)) {
        if (auto it = deadlines_.find(x->timer); it != deadlines_.end()) {
          due_.erase({it->second, x->timer});
          deadlines_.erase(it);
        }
      }
      commands.push_back(std::move(c));
    }
    for (auto& e : acd.take_events()) events.push_back(std::move(e));
  }

  // Moves time forward by `d`, firing every timer that falls due, in order.
  void advance(Duration d) {
    pump();
    const MonoTime target = clock.mono() + d;
    while (!due_.empty() && due_.begin()->first <= target) {
      const auto [when, id] = *due_.begin();
      due_.erase(due_.begin());
      deadlines_.erase(id);
      if (when > clock.mono()) clock.advance(when - clock.mono());
      acd.timer_fired(id);
      pump();
    }
    if (target > clock.mono()) clock.advance(target - clock.mono());
  }

  std::optional<MonoTime> next_deadline() const {
    if (due_.empty()) return std::nullopt;
    return due_.begin()->first;
  }
  std::size_t pending_timers() const { return due_.size(); }

  template <typename T>
  std::vector<T> events_of() const {
    std::vector<T> out;
    for (const auto& e : events) {
      if (const auto* v = std::get_if<T>(&e)) out.push_back(*v);
    }
    return out;
  }
  template <typename T>
  std::vector<T> commands_of() const {
    std::vector<T> out;
    for (const auto& c : commands) {
      if (const auto* v = std::get_if<T>(&c)) out.push_back(*v);
    }
    return out;
  }
  void clear_logs() {
    pump();
    commands.clear();
    events.clear();
  }

  ManualClock clock;
  Acd acd;
  std::vector<Command> commands;
  std::vector<Event> events;

 private:
  std::map<TimerId, MonoTime> deadlines_;
  std::set<std::pair<MonoTime, TimerId>> due_;
};

}  // namespace hotline::cc::testing
