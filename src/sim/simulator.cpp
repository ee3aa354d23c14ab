#include "sim/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "cc/acd.hpp"

namespace hotline::sim {
namespace {

using cc::AgentId;
using cc::InteractionId;

double ratio(std::uint64_t num, std::uint64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

double seconds_of(Duration d) {
  return static_cast<double>(d.count()) / 1e6;
}

enum class Kind : std::uint8_t {
  kArrival,
  kAnswer,
  kEnd,
  kHangup,
  kCallbackRequest,
  kTimer,
  kLogin,
  kLogout,
};

struct Item {
  MonoTime at;
  std::uint64_t seq = 0;
  Kind kind = Kind::kArrival;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
};

struct Later {
  bool operator()(const Item& x, const Item& y) const {
    return std::tie(x.at, x.seq) > std::tie(y.at, y.seq);
  }
};

Status validate(const Scenario& s) {
  if (s.interval <= Duration::zero()) {
    return fail(ErrorCode::kInvalidArgument, "interval must be > 0");
  }
  if (s.queues.empty()) return fail(ErrorCode::kInvalidArgument, "no queues");
  for (const auto& q : s.queues) {
    for (double n : q.arrivals_per_interval) {
      if (!(n >= 0)) {  // also rejects NaN
        return fail(ErrorCode::kInvalidArgument,
                    "queue '" + q.config.name + "': arrivals must be >= 0");
      }
    }
    for (double f : q.handle_time_scale_per_interval) {
      if (!(f > 0) || !std::isfinite(f)) {
        return fail(ErrorCode::kInvalidArgument,
                    "queue '" + q.config.name + "': handle-time scale must be > 0");
      }
    }
    if (!(q.callback_share >= 0 && q.callback_share <= 1) || q.callback_after < Duration::zero()) {
      return fail(ErrorCode::kInvalidArgument,
                  "queue '" + q.config.name + "': callback share must be 0..1, delay >= 0");
    }
    if (auto ok = validate(q.handle_time); !ok) return ok;
    if (auto ok = validate(q.patience); !ok) return ok;
  }
  for (const auto& a : s.agents) {
    if (a.shift_start < Duration::zero() || a.shift_end < Duration::zero() ||
        (a.shift_end > Duration::zero() && a.shift_end <= a.shift_start)) {
      return fail(ErrorCode::kInvalidArgument, "agent '" + a.config.name + "': bad shift");
    }
  }
  if (s.answer_delay < Duration::zero() || s.warmup < Duration::zero() ||
      s.drain_limit < Duration::zero()) {
    return fail(ErrorCode::kInvalidArgument, "durations must be >= 0");
  }
  return {};
}

cc::AcdOptions with_seed(cc::AcdOptions o, std::uint64_t seed) {
  o.seed = seed;
  return o;
}

class Runner {
 public:
  explicit Runner(const Scenario& s)
      : s_(s),
        acd_(clock_, with_seed(s.acd, s.seed)),
        // Separate streams: changing patience does not move the arrivals.
        arrivals_rng_(s.seed ^ 0x9e3779b97f4a7c15ULL),
        handle_rng_(s.seed ^ 0xc2b2ae3d27d4eb4fULL),
        patience_rng_(s.seed ^ 0x165667b19e3779f9ULL) {}

  Result<Report> run() {
    if (auto ok = configure(); !ok) return std::unexpected(ok.error());
    start_ = clock_.mono();
    std::size_t intervals = 0;
    for (const auto& q : s_.queues) intervals = std::max(intervals, q.arrivals_per_interval.size());
    horizon_ = start_ + s_.interval * static_cast<std::int64_t>(intervals);
    warmup_end_ = start_ + s_.warmup;
    report_.per_interval.resize(intervals);
    report_.per_queue.resize(s_.queues.size());
    for (std::size_t q = 0; q < s_.queues.size(); ++q) schedule_arrival(q, start_);
    for (std::size_t a = 0; a < s_.agents.size(); ++a) {
      push(start_ + s_.agents[a].shift_start, Kind::kLogin, a);
      if (s_.agents[a].shift_end > Duration::zero()) {
        push(start_ + s_.agents[a].shift_end, Kind::kLogout, a);
      }
    }
    const MonoTime stop = horizon_ + s_.drain_limit;
    while (!agenda_.empty() && agenda_.top().at <= stop) {
      const Item item = agenda_.top();
      agenda_.pop();
      if (item.at > clock_.mono()) clock_.advance(item.at - clock_.mono());
      handle(item);
      drain();
    }
    finish();
    return std::move(report_);
  }

 private:
  struct Call {
    MonoTime arrived;
    std::size_t queue = 0;
    std::size_t interval = 0;
    bool counted = false;
    bool finished = false;  // outcome counted; kept until the conversation ends
  };
  struct AgentTrack {
    cc::AgentState state = cc::AgentState::kLoggedOut;
    MonoTime since{};
    bool pending_logout = false;
  };

  Status configure() {
    // Overflow rules may point at queues defined later: add all, then set rules.
    for (const auto& q : s_.queues) {
      cc::QueueConfig c = q.config;
      c.overflow.clear();
      if (auto id = acd_.add_queue(std::move(c)); !id) return std::unexpected(id.error());
    }
    for (std::size_t q = 0; q < s_.queues.size(); ++q) {
      if (s_.queues[q].config.overflow.empty()) continue;
      auto ok = acd_.update_queue(cc::QueueId{static_cast<std::uint32_t>(q)}, s_.queues[q].config);
      if (!ok) return ok;
    }
    for (const auto& a : s_.agents) {
      if (auto id = acd_.add_agent(a.config); !id) return std::unexpected(id.error());
      report_.agents.push_back({a.config.name, 0, Duration::zero(), Duration::zero()});
      agents_.push_back({cc::AgentState::kLoggedOut, clock_.mono(), false});
    }
    return {};
  }

  void push(MonoTime at, Kind kind, std::uint64_t a = 0, std::uint64_t b = 0) {
    agenda_.push({at, next_seq_++, kind, a, b});
  }

  // Next Poisson arrival after `from`: exponential gaps at the rate of the current
  // interval; a gap that crosses an interval end restarts there (memoryless).
  void schedule_arrival(std::size_t q, MonoTime from) {
    const auto& plan = s_.queues[q].arrivals_per_interval;
    const double interval_s = seconds_of(s_.interval);
    MonoTime t = from;
    for (;;) {
      const auto k = static_cast<std::size_t>((t - start_) / s_.interval);
      if (k >= plan.size()) return;
      const MonoTime end = start_ + s_.interval * static_cast<std::int64_t>(k + 1);
      if (plan[k] <= 0) {
        t = end;
        continue;
      }
      const double gap = exponential_seconds(interval_s / plan[k], arrivals_rng_);
      const MonoTime next = t + Duration(static_cast<std::int64_t>(gap * 1e6));
      if (next < end) {
        push(next, Kind::kArrival, q);
        return;
      }
      t = end;
    }
  }

  Stats* interval_stats(const Call& c) { return &report_.per_interval[c.interval]; }

  template <typename F>
  void count(const Call& c, F&& f) {
    if (!c.counted) return;
    f(report_.total);
    f(*interval_stats(c));
    f(report_.per_queue[c.queue]);
  }

  void handle(const Item& item) {
    const MonoTime now = clock_.mono();
    switch (item.kind) {
      case Kind::kArrival: {
        const std::size_t q = item.a;
        const SimQueue& sq = s_.queues[q];
        cc::InteractionSpec spec;
        spec.queue = cc::QueueId{static_cast<std::uint32_t>(q)};
        spec.priority = sq.priority;
        spec.skills = sq.skills;
        spec.caller = "sim";
        Call call{now, q, static_cast<std::size_t>((now - start_) / s_.interval),
                  now >= warmup_end_};
        auto id = acd_.arrive(std::move(spec));
        if (id) {
          count(call, [](Stats& st) { st.offered++; });
          calls_.emplace(id->value, call);
          if (auto p = sample(sq.patience, patience_rng_)) push(now + *p, Kind::kHangup, id->value);
          if (sq.callback_share > 0 && unit_open(patience_rng_) <= sq.callback_share) {
            push(now + sq.callback_after, Kind::kCallbackRequest, id->value);
          }
        } else {
          count(call, [](Stats& st) { st.rejected++; });
        }
        schedule_arrival(q, now);
        return;
      }
      case Kind::kAnswer: {
        const InteractionId i{item.a};
        if (!acd_.offer_answered(i, AgentId{static_cast<std::uint32_t>(item.b)})) return;
        auto it = calls_.find(i.value);
        if (it == calls_.end()) return;
        const SimQueue& sq = s_.queues[it->second.queue];
        if (auto h = sample(sq.handle_time, handle_rng_)) {
          if (it->second.interval < sq.handle_time_scale_per_interval.size()) {
            const double f = sq.handle_time_scale_per_interval[it->second.interval];
            h = Duration(static_cast<std::int64_t>(static_cast<double>(h->count()) * f));
          }
          push(now + *h, Kind::kEnd, i.value);
        }
        return;
      }
      case Kind::kEnd: check(acd_.conversation_ended(InteractionId{item.a})); return;
      case Kind::kHangup: {
        const auto phase = acd_.phase(InteractionId{item.a});
        if (phase == cc::InteractionPhase::kWaiting || phase == cc::InteractionPhase::kOffering) {
          check(acd_.caller_hung_up(InteractionId{item.a}));
        }
        return;
      }
      case Kind::kCallbackRequest: {
        const auto phase = acd_.phase(InteractionId{item.a});
        if (phase == cc::InteractionPhase::kWaiting || phase == cc::InteractionPhase::kOffering) {
          check(acd_.request_callback(InteractionId{item.a}, ""));
        }
        return;
      }
      case Kind::kTimer:
        if (cancelled_.erase(item.a) == 0) acd_.timer_fired(cc::TimerId{item.a});
        return;
      case Kind::kLogin:
        check(acd_.set_presence(AgentId{static_cast<std::uint32_t>(item.a)}, cc::Presence::kReady));
        return;
      case Kind::kLogout: {
        const AgentId a{static_cast<std::uint32_t>(item.a)};
        if (!acd_.set_presence(a, cc::Presence::kLoggedOut)) {
          // Busy: stop new offers now, log out when the work is done.
          agents_[item.a].pending_logout = true;
          check(acd_.set_presence(a, cc::Presence::kNotReady));
        }
        return;
      }
    }
  }

  // An input the simulator sends only when the engine must accept it; a refusal
  // means the simulator and the engine disagree, which the report shows.
  void check(const Status& status) {
    if (!status) report_.refused_inputs++;
  }

  void drain() {
    const MonoTime now = clock_.mono();
    for (const auto& c : acd_.take_commands()) {
      if (const auto* o = std::get_if<cc::OfferToAgent>(&c)) {
        push(now + s_.answer_delay, Kind::kAnswer, o->interaction.value, o->agent.value);
      } else if (const auto* p = std::get_if<cc::PlaceCallback>(&c)) {
        push(now + s_.answer_delay, Kind::kAnswer, p->interaction.value, p->agent.value);
      } else if (const auto* t = std::get_if<cc::StartTimer>(&c)) {
        push(t->deadline, Kind::kTimer, t->timer.value);
      } else if (const auto* x = std::get_if<cc::CancelTimer>(&c)) {
        cancelled_.insert(x->timer.value);
      }
    }
    for (const auto& e : acd_.take_events()) {
      report_.engine_events++;
      std::visit([&](const auto& ev) { on_event(ev, now); }, e);
    }
  }

  template <typename E>
  void on_event(const E&, MonoTime) {}

  void close_call(std::uint64_t id) { calls_.erase(id); }
  void on_event(const cc::InteractionEnded& e, MonoTime) { close_call(e.interaction.value); }

  void on_event(const cc::InteractionAnswered& e, MonoTime now) {
    auto it = calls_.find(e.interaction.value);
    if (it == calls_.end()) return;
    const Call& c = it->second;
    const Duration wait = now - c.arrived;
    const Duration threshold = s_.queues[c.queue].config.service_level_threshold;
    count(c, [&](Stats& st) {
      st.answered++;
      if (wait <= threshold) st.answered_within_threshold++;
      if (wait > Duration::zero()) st.waited++;
      st.answered_wait_total += wait;
    });
    if (c.counted) report_.agents[e.agent.value].answered++;
    it->second.finished = true;
  }
  void on_event(const cc::InteractionAbandoned& e, MonoTime now) {
    auto it = calls_.find(e.interaction.value);
    if (it == calls_.end()) return;
    const Duration wait = now - it->second.arrived;
    count(it->second, [&](Stats& st) {
      st.abandoned++;
      st.abandoned_wait_total += wait;
    });
    close_call(e.interaction.value);
  }
  void on_event(const cc::InteractionTimedOut& e, MonoTime) {
    auto it = calls_.find(e.interaction.value);
    if (it == calls_.end()) return;
    count(it->second, [](Stats& st) { st.timed_out++; });
    close_call(e.interaction.value);
  }
  void on_event(const cc::InteractionOverflowed& e, MonoTime) {
    auto it = calls_.find(e.interaction.value);
    if (it != calls_.end()) count(it->second, [](Stats& st) { st.overflowed++; });
  }
  void on_event(const cc::InteractionCalledBack& e, MonoTime) {
    auto it = calls_.find(e.interaction.value);
    if (it == calls_.end()) return;
    count(it->second, [](Stats& st) { st.called_back++; });
    it->second.finished = true;
  }
  void on_event(const cc::AgentStateChanged& e, MonoTime now) {
    account(e.agent.value, now);
    AgentTrack& t = agents_[e.agent.value];
    t.state = e.to;
    if (t.pending_logout && e.to == cc::AgentState::kNotReady) {
      t.pending_logout = false;
      push(now, Kind::kLogout, e.agent.value);
    }
  }

  // Adds the time since the last change, clipped to the measured window.
  void account(std::size_t agent, MonoTime now) {
    AgentTrack& t = agents_[agent];
    const MonoTime from = std::max(t.since, warmup_end_);
    const MonoTime to = std::min(now, horizon_);
    t.since = now;
    if (to <= from) return;
    const Duration d = to - from;
    AgentLoad& load = report_.agents[agent];
    if (t.state != cc::AgentState::kLoggedOut) load.staffed += d;
    if (t.state == cc::AgentState::kReserved || t.state == cc::AgentState::kBusy ||
        t.state == cc::AgentState::kWrapUp) {
      load.busy += d;
    }
  }

  void finish() {
    const MonoTime now = clock_.mono();
    for (std::size_t a = 0; a < agents_.size(); ++a) account(a, std::max(now, horizon_));
    for (const auto& [id, call] : calls_) {
      if (!call.finished) count(call, [](Stats& st) { st.unfinished++; });
    }
    Duration staffed{0};
    Duration busy{0};
    for (const auto& a : report_.agents) {
      staffed += a.staffed;
      busy += a.busy;
    }
    report_.occupancy = staffed > Duration::zero() ? seconds_of(busy) / seconds_of(staffed) : 0;
    report_.simulated = now - start_;
  }

  const Scenario& s_;
  ManualClock clock_;
  cc::Acd acd_;
  std::mt19937_64 arrivals_rng_;
  std::mt19937_64 handle_rng_;
  std::mt19937_64 patience_rng_;
  std::priority_queue<Item, std::vector<Item>, Later> agenda_;
  std::uint64_t next_seq_ = 0;
  std::unordered_set<std::uint64_t> cancelled_;
  std::unordered_map<std::uint64_t, Call> calls_;
  std::vector<AgentTrack> agents_;
  MonoTime start_{};
  MonoTime horizon_{};
  MonoTime warmup_end_{};
  Report report_;
};

}  // namespace

double Stats::service_level() const {
  return ratio(answered_within_threshold, offered);
}
double Stats::asa_seconds() const {
  return answered == 0 ? 0.0 : seconds_of(answered_wait_total) / static_cast<double>(answered);
}
double Stats::abandon_rate() const {
  return ratio(abandoned, offered);
}
double AgentLoad::occupancy() const {
  return staffed > Duration::zero() ? seconds_of(busy) / seconds_of(staffed) : 0.0;
}

Result<Report> simulate(const Scenario& scenario) {
  if (auto ok = validate(scenario); !ok) return std::unexpected(ok.error());
  Runner runner(scenario);
  return runner.run();
}

}  // namespace hotline::sim
