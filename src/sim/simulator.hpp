// A discrete-event simulator of a contact center over the real cc::Acd engine: the
// same routing code as the live server, driven by a virtual ManualClock. Callers
// arrive as a Poisson process per interval, hold for a drawn handle time and hang up
// when their drawn patience runs out. Deterministic for a seed; no I/O (the
// `hotline sim` command reads scenario files and prints reports).
//
// Thread-safety: simulate() is a pure function of its scenario; concurrent calls
// on different scenarios are independent.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cc/acd.hpp"
#include "cc/agent.hpp"
#include "cc/interaction.hpp"
#include "cc/queue.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "sim/distribution.hpp"

namespace hotline::sim {

struct SimQueue {
  cc::QueueConfig config;
  // Expected arrivals in each interval (Poisson, constant rate within an interval).
  std::vector<double> arrivals_per_interval;
  Distribution handle_time = Distribution::exponential(std::chrono::seconds(180));
  Distribution patience = Distribution::never();
  // Empty, or one factor (> 0) per interval that scales the handle times drawn for
  // calls arriving in it: a forecast's AHT varies through the day.
  std::vector<double> handle_time_scale_per_interval;
  std::vector<cc::SkillRequirement> skills;  // required of every arrival
  int priority = 0;
  // Keep-my-place: this share of callers, if still waiting after `callback_after`,
  // hang up and ask to be called back.
  double callback_share = 0;
  Duration callback_after = std::chrono::seconds(60);
};

struct SimAgent {
  // Memberships name queues by their index in Scenario::queues.
  cc::AgentConfig config;
  // Logged in (ready) during [shift_start, shift_end); shift_end 0 = to the end.
  Duration shift_start{0};
  Duration shift_end{0};
};

struct Scenario {
  std::uint64_t seed = 1;
  Duration interval = std::chrono::minutes(30);
  std::vector<SimQueue> queues;  // queue i gets cc::QueueId{i}
  std::vector<SimAgent> agents;
  Duration answer_delay{0};  // time an agent takes to pick up an offer
  // Arrivals before `warmup` are routed but not counted (an empty center at t=0 is
  // not steady state).
  Duration warmup{0};
  // After the last interval, stop anyway after this long (callers who never give up
  // and no agents left would otherwise wait forever); what is left is `unfinished`.
  Duration drain_limit = std::chrono::hours(24);
  cc::AcdOptions acd;  // the seed inside is replaced by `seed`
};

struct Stats {
  std::uint64_t offered = 0;   // entered a queue (not rejected)
  std::uint64_t rejected = 0;  // refused at the door (queue full)
  std::uint64_t answered = 0;
  std::uint64_t answered_within_threshold = 0;
  std::uint64_t waited = 0;  // answered after a non-zero wait
  std::uint64_t abandoned = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t called_back = 0;
  std::uint64_t unfinished = 0;  // still in a queue when the run stopped
  std::uint64_t overflowed = 0;  // moves to another queue (not an end: the call goes on)
  Duration answered_wait_total{0};
  Duration abandoned_wait_total{0};

  // Answered within the service-level threshold of the arrival queue, over offered
  // (abandoned, timed-out and unfinished calls count against it).
  double service_level() const;
  // Average speed of answer: mean wait of answered calls, seconds.
  double asa_seconds() const;
  double abandon_rate() const;  // abandoned / offered
};

struct AgentLoad {
  std::string name;
  std::uint64_t answered = 0;
  Duration staffed{0};  // logged in
  Duration busy{0};     // reserved + busy + wrap-up
  double occupancy() const;
};

struct Report {
  Stats total;
  std::vector<Stats> per_interval;  // by arrival interval
  std::vector<Stats> per_queue;     // by arrival queue
  std::vector<AgentLoad> agents;
  double occupancy = 0;  // sum busy / sum staffed, over all agents
  std::uint64_t engine_events = 0;
  // Inputs the engine refused although the simulator's view said they were valid
  // (a call ending, a login...). Always 0 unless simulator and engine disagree.
  std::uint64_t refused_inputs = 0;
  Duration simulated{0};
};

Result<Report> simulate(const Scenario& scenario);

}  // namespace hotline::sim
