// Schedule adherence: compares a week's schedule with what the agents actually did (a
// sequence of agent state changes) and gives the in-adherence share per agent per day
// and the stretches out of adherence. Pure; thread-safe (no state).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "wfm/schedule_types.hpp"

namespace hotline::wfm {

// What an agent was actually doing, reduced to what adherence can compare.
enum class Activity {
  kOffline,  // logged out
  kWorking,  // on the phones: ready, reserved (ringing), busy, wrap-up
  kAway,     // logged in but not taking calls: not ready, break, lunch
};
std::string_view to_string(Activity a);

// Maps an ACD state name to an activity: logged_out/offline; ready, reserved, busy,
// wrap_up (also wrapup, talking, on_call, available); not_ready (also break, lunch,
// away, paused). Case-insensitive; nullopt for anything else.
std::optional<Activity> parse_activity(std::string_view state);

// One state change. `at_s` counts seconds from the schedule's Monday 00:00 (negative:
// before the week, which sets the state the week starts in).
struct StateEvent {
  long long at_s = 0;
  std::string agent;  // Agent::id
  Activity activity = Activity::kOffline;
};

struct AdherenceOptions {
  // Out-of-adherence stretches no longer than this count as in adherence (an agent
  // logging in a minute late is usually not an exception anyone acts on).
  int grace_s = 0;
};

// A stretch where the agent was not doing what the schedule said.
struct AdherenceException {
  long long from_s = 0;  // seconds from Monday 00:00, [from_s, to_s)
  long long to_s = 0;
  std::string scheduled;  // "work" or the break's name ("break", "lunch")
  Activity actual = Activity::kOffline;
};

// One agent on one scheduled day. Only scheduled time (the shift, breaks included)
// counts: during work the agent must be kWorking, during a break kAway or kOffline.
struct DayAdherence {
  std::string agent;
  int day = 0;                // of the shift's start, 0 = Monday
  long long scheduled_s = 0;  // shift length
  long long in_adherence_s = 0;
  double adherence = 1;  // in_adherence_s / scheduled_s
  std::vector<AdherenceException> exceptions;
};

struct AdherenceReport {
  std::vector<DayAdherence> days;  // by agent (problem order), then day
  long long scheduled_s = 0;
  long long in_adherence_s = 0;
  double adherence = 1;  // over every scheduled second
  // Events naming an agent the problem does not know (reported, not fatal: a state
  // log holds everyone, the schedule one team).
  std::vector<std::string> unknown_agents;
};

// Events may come in any order (they are sorted by time, stably). Errors: a shift
// naming no agent, or an option out of range.
Result<AdherenceReport> compute_adherence(const ScheduleProblem& problem,
                                          const std::vector<ScheduledShift>& shifts,
                                          std::vector<StateEvent> events,
                                          const AdherenceOptions& options = {});

}  // namespace hotline::wfm
