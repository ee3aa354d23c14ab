// Test-only stand-in for the switch around an ivr::Session: keeps the prompt, timer
// and HTTP request the session has outstanding, fires timers as a ManualClock is
// moved, and records every command. Header-only, used by the *_test.cpp files of
// cc/ivr/ (never linked into the library).
//
// Thread-safety: single-threaded, like the Session.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cc/ivr/calendar.hpp"
#include "cc/ivr/flow_loader.hpp"
#include "cc/ivr/session.hpp"
#include "common/clock.hpp"

namespace hotline::cc::ivr::testing {

// Loads flows from YAML text, failing the test on any error.
inline FlowSet load_or_fail(std::string_view text, const ZoneResolver& zones,
                            const std::string& file = "test.yaml") {
  ConfigErrors errors;
  LoadOptions options;
  options.zones = &zones;
  auto set = load_flows_from_text(text, file, options, errors);
  EXPECT_TRUE(errors.empty()) << errors.to_string();
  return set ? std::move(*set) : FlowSet{};
}

// Wall time at a local date and time in a zone with a fixed UTC offset.
inline Timestamp local_time(std::chrono::year_month_day day, std::chrono::minutes time_of_day,
                            std::chrono::minutes utc_offset) {
  return Timestamp(std::chrono::sys_days(day) + time_of_day - utc_offset);
}

class Driver {
 public:
  explicit Driver(Timestamp start = Timestamp(std::chrono::seconds(1'700'000'000))) : clock(start) {
    zones.add("Europe/Paris", std::chrono::hours(1));
  }

  void begin(std::shared_ptr<const Flow> flow, CallContext call) {
    session = std::make_unique<Session>(std::move(flow), std::move(call), clock, zones);
    take(session->start());
  }

  // Whatever id the event carries is no longer outstanding (a confused switch may
  // fire a live timer early or finish a prompt twice; the session must cope).
  void send(const Event& e) {
    if (const auto* t = std::get_if<TimerFired>(&e)) timers.erase(t->id);
    if (const auto* p = std::get_if<PromptFinished>(&e); p && playing == p->id) playing.reset();
    if (const auto* h = std::get_if<HttpResponse>(&e); h && http == h->id) http.reset();
    if (const auto* h = std::get_if<HttpFailed>(&e); h && http == h->id) http.reset();
    take(session->on_event(e));
  }
  void digit(char d) { send(DigitReceived{d}); }
  void digits(std::string_view ds) {
    for (char d : ds) digit(d);
  }
  // The outstanding prompt ends.
  void finish_prompt(bool failed = false) {
    ASSERT_TRUE(playing.has_value()) << "no prompt is playing";
    const PromptId id = *playing;
    playing.reset();
    send(PromptFinished{id, failed});
  }
  void http_reply(int status, std::string body) {
    ASSERT_TRUE(http.has_value()) << "no HTTP request outstanding";
    const RequestId id = *http;
    http.reset();
    send(HttpResponse{id, status, std::move(body)});
  }
  void http_fail(std::string reason) {
    ASSERT_TRUE(http.has_value()) << "no HTTP request outstanding";
    const RequestId id = *http;
    http.reset();
    send(HttpFailed{id, std::move(reason)});
  }
  // Moves time forward by `d`, firing every timer that falls due, in order.
  void advance(Duration d) {
    const MonoTime target = clock.mono() + d;
    while (!timers.empty()) {
      auto it = std::min_element(timers.begin(), timers.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
      if (it->second > target) break;
      const auto [id, when] = *it;
      timers.erase(it);
      if (when > clock.mono()) clock.advance(when - clock.mono());
      send(TimerFired{id});
    }
    if (target > clock.mono()) clock.advance(target - clock.mono());
  }
  // Fires the next timer, however far away.
  bool fire_next_timer() {
    if (timers.empty()) return false;
    auto it = std::min_element(timers.begin(), timers.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
    const MonoTime when = it->second;
    advance(when > clock.mono() ? when - clock.mono() : Duration(0));
    return true;
  }

  template <typename T>
  const T* last() const {
    for (auto it = commands.rbegin(); it != commands.rend(); ++it) {
      if (const auto* c = std::get_if<T>(&*it)) return c;
    }
    return nullptr;
  }
  template <typename T>
  std::size_t count() const {
    std::size_t n = 0;
    for (const auto& c : commands) n += std::holds_alternative<T>(c) ? 1 : 0;
    return n;
  }
  // Text of the prompt playing now ("" when none, the file name for a file).
  std::string playing_text() const {
    if (!playing) return "";
    for (auto it = commands.rbegin(); it != commands.rend(); ++it) {
      if (const auto* t = std::get_if<PlayTts>(&*it); t && t->id == *playing) return t->text;
      if (const auto* f = std::get_if<PlayFile>(&*it); f && f->id == *playing) return f->file;
    }
    return "";
  }
  // The nodes entered so far, in order (from the trace).
  std::vector<std::string> nodes() {
    drain_trace();
    std::vector<std::string> out;
    for (const auto& t : trace) {
      if (t.kind == TraceEntry::Kind::kNodeEntered) out.push_back(t.node);
    }
    return out;
  }
  void drain_trace() {
    for (auto& t : session->take_trace()) trace.push_back(std::move(t));
  }

  ManualClock clock;
  FixedOffsetZones zones;
  std::unique_ptr<Session> session;
  std::vector<Command> commands;
  std::vector<Command> batch;  // the commands of the last start()/event
  std::vector<TraceEntry> trace;
  std::optional<PromptId> playing;
  std::map<IvrTimerId, MonoTime> timers;
  std::optional<RequestId> http;
  std::size_t terminal_commands = 0;

 private:
  void take(std::vector<Command> cmds) {
    batch = cmds;
    for (auto& c : cmds) {
      if (const auto* f = std::get_if<PlayFile>(&c)) playing = f->id;
      if (const auto* t = std::get_if<PlayTts>(&c)) playing = t->id;
      if (const auto* s = std::get_if<StopPrompt>(&c); s && playing == s->id) playing.reset();
      if (const auto* s = std::get_if<StartTimer>(&c)) timers[s->id] = s->deadline;
      if (const auto* x = std::get_if<CancelTimer>(&c)) timers.erase(x->id);
      if (const auto* h = std::get_if<HttpGet>(&c)) http = h->id;
      if (const auto* x = std::get_if<CancelHttp>(&c); x && http == x->id) http.reset();
      if (is_terminal(c)) {
        ++terminal_commands;
        playing.reset();
      }
      commands.push_back(std::move(c));
    }
  }
};

}  // namespace hotline::cc::ivr::testing
