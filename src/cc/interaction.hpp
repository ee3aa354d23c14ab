// An interaction is one customer contact routed by the ACD (a call today; a chat or
// an email later). This header holds its routing-relevant data and the closed set
// of outcomes a queue visit can end in.
//
// Thread-safety: plain value types, no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cc/ids.hpp"
#include "common/clock.hpp"

namespace hotline::cc {

using SkillId = std::uint32_t;

inline constexpr int kMaxPriority = 1000;
inline constexpr int kMinSkillLevel = 1;
inline constexpr int kMaxSkillLevel = 10;

struct SkillRequirement {
  SkillId skill = 0;
  int min_level = kMinSkillLevel;  // 1..10; relaxation may lower it to 0 (dropped)
};

// What arrives at a queue.
struct InteractionSpec {
  QueueId queue;
  Channel channel = Channel::kVoice;
  int priority = 0;  // -kMaxPriority..kMaxPriority; higher is served first, across queues
  std::vector<SkillRequirement> skills;
  std::string caller;  // caller identity (number), used for callbacks
};

// Each visit to a queue ends in exactly one of these (the "never lost" invariant).
enum class Outcome : std::uint8_t {
  kAnswered,    // an agent accepted the offer
  kAbandoned,   // the caller hung up while waiting or ringing
  kTimedOut,    // max wait reached; sent to the queue's exit destination
  kOverflowed,  // moved to another queue by an overflow rule
  kCalledBack,  // left with keep-my-place; called back when an agent came free
};

std::string_view to_string(Outcome outcome);

// Where an interaction is in its life inside the engine.
enum class InteractionPhase : std::uint8_t {
  kWaiting,       // in one or more queue waiting lists
  kOffering,      // offered to one agent (or several for ring-all), ringing
  kConnected,     // answered; an agent is busy with it
  kCallbackWait,  // caller left, keeps the place; no media
  kCallingBack,   // callback placed, agent reserved for it
};

// A step of an interaction's history, kept with the interaction while it lives
// (at most kMaxHistory steps: the first and the most recent; the event log has all).
inline constexpr std::size_t kMaxHistory = 64;

struct HistoryEntry {
  Timestamp at;
  std::string_view what;      // an event name, e.g. "interaction.offered"
  std::uint32_t subject = 0;  // the agent or queue id the step concerns
};

}  // namespace hotline::cc
