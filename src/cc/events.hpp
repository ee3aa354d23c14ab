// The ACD event vocabulary: every state change the engine makes leaves as one of
// these plain structs, timestamped from the injected clock. The app serializes them
// into the append-only event log (DESIGN.md, principle 4); cc/ never serializes.
//
// Thread-safety: plain value types, no shared state.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "cc/agent.hpp"
#include "cc/ids.hpp"
#include "cc/interaction.hpp"
#include "common/clock.hpp"

namespace hotline::cc {

// A queue visit began (arrival, or a move by overflow). `visit` counts visits of
// this interaction from 1, so every queued event pairs with exactly one outcome.
struct InteractionQueued {
  static constexpr std::string_view kName = "interaction.queued";
  Timestamp at;
  InteractionId interaction;
  QueueId queue;
  std::uint32_t visit = 1;
  int priority = 0;
  std::uint32_t position = 0;  // 1-based place in line on entry
};

// Refused at the door (queue full, queue unknown); never counted as queued.
struct InteractionRejected {
  static constexpr std::string_view kName = "interaction.rejected";
  Timestamp at;
  QueueId queue;
  std::string reason;
};

struct InteractionOffered {
  static constexpr std::string_view kName = "interaction.offered";
  Timestamp at;
  InteractionId interaction;
  QueueId queue;
  AgentId agent;
  bool callback = false;  // the offer is a keep-my-place callback
};

// Redirect on no answer: the ring timeout passed (or the agent declined).
struct InteractionRona {
  static constexpr std::string_view kName = "interaction.rona";
  Timestamp at;
  InteractionId interaction;
  AgentId agent;
  Duration ring_time{0};
  bool declined = false;  // the agent's device refused rather than rang out
};

struct InteractionAnswered {
  static constexpr std::string_view kName = "interaction.answered";
  Timestamp at;
  InteractionId interaction;
  QueueId queue;
  AgentId agent;
  std::uint32_t visit = 1;
  Duration wait{0};       // queue entry to answer
  Duration ring_time{0};  // offer to answer, this agent
};

struct InteractionAbandoned {
  static constexpr std::string_view kName = "interaction.abandoned";
  Timestamp at;
  InteractionId interaction;
  QueueId queue;
  std::uint32_t visit = 1;
  Duration wait{0};
};

struct InteractionTimedOut {
  static constexpr std::string_view kName = "interaction.timed_out";
  Timestamp at;
  InteractionId interaction;
  QueueId queue;
  std::uint32_t visit = 1;
  Duration wait{0};
  std::string destination;
};

struct InteractionOverflowed {
  static constexpr std::string_view kName = "interaction.overflowed";
  Timestamp at;
  InteractionId interaction;
  QueueId queue;  // the queue left
  std::uint32_t visit = 1;
  QueueId target;
  Duration wait{0};
};

// An overflow rule widened the agents this interaction may be offered to.
struct InteractionTargetAdded {
  static constexpr std::string_view kName = "interaction.target_added";
  Timestamp at;
  InteractionId interaction;
  QueueId queue;
  QueueId target;
};

struct InteractionSkillsRelaxed {
  static constexpr std::string_view kName = "interaction.skills_relaxed";
  Timestamp at;
  InteractionId interaction;
  int reduced_by = 0;  // cumulative reduction of every minimum level
};

struct InteractionCallbackRequested {
  static constexpr std::string_view kName = "interaction.callback_requested";
  Timestamp at;
  InteractionId interaction;
  QueueId queue;
  std::string number;
};

// The place came up and an agent was free: the callback is placed now.
struct InteractionCalledBack {
  static constexpr std::string_view kName = "interaction.called_back";
  Timestamp at;
  InteractionId interaction;
  QueueId queue;
  AgentId agent;
  std::uint32_t visit = 1;
  Duration wait{0};  // queue entry to callback
  std::string number;
};

// The conversation (or the callback attempt) is over; the agent moves on.
struct InteractionEnded {
  static constexpr std::string_view kName = "interaction.ended";
  Timestamp at;
  InteractionId interaction;
  AgentId agent;
  Duration handle_time{0};  // answer to end
};

struct AgentStateChanged {
  static constexpr std::string_view kName = "agent.state_changed";
  Timestamp at;
  AgentId agent;
  AgentState from = AgentState::kLoggedOut;
  AgentState to = AgentState::kLoggedOut;
  std::string reason;  // not-ready reason code, or what caused the change
};

struct AgentWrapupStarted {
  static constexpr std::string_view kName = "agent.wrapup_started";
  Timestamp at;
  AgentId agent;
  InteractionId interaction;
  Duration duration{0};
};

struct AgentWrapupExtended {
  static constexpr std::string_view kName = "agent.wrapup_extended";
  Timestamp at;
  AgentId agent;
  Duration extra{0};
};

struct AgentWrapupEnded {
  static constexpr std::string_view kName = "agent.wrapup_ended";
  Timestamp at;
  AgentId agent;
  bool early = false;  // the agent ended it before the timer
};

// For supervisors: the agent let `missed` offers in a row ring out and was set not
// ready by the engine.
struct AgentMissedOffersLimit {
  static constexpr std::string_view kName = "agent.missed_offers_limit";
  Timestamp at;
  AgentId agent;
  std::uint32_t missed = 0;
};

using Event =
    std::variant<InteractionQueued, InteractionRejected, InteractionOffered, InteractionRona,
                 InteractionAnswered, InteractionAbandoned, InteractionTimedOut,
                 InteractionOverflowed, InteractionTargetAdded, InteractionSkillsRelaxed,
                 InteractionCallbackRequested, InteractionCalledBack, InteractionEnded,
                 AgentStateChanged, AgentWrapupStarted, AgentWrapupExtended, AgentWrapupEnded,
                 AgentMissedOffersLimit>;

inline std::string_view event_name(const Event& e) {
  return std::visit([](const auto& v) { return v.kName; }, e);
}
inline Timestamp event_time(const Event& e) {
  return std::visit([](const auto& v) { return v.at; }, e);
}

}  // namespace hotline::cc
