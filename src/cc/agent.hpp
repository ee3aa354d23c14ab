// Agent configuration and the agent states the ACD reports. The engine owns the
// runtime record; this header is the vocabulary shared with the app and reports.
//
// Thread-safety: plain value types, no shared state.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cc/ids.hpp"
#include "cc/interaction.hpp"
#include "common/error.hpp"

namespace hotline::cc {

// Reported state. Presence (logged out / ready / not ready) is chosen by the agent or
// a supervisor; reserved, busy and wrap-up come from work and take precedence while
// they last (an agent who asks for "not ready" during a call is busy until the call
// and its wrap-up end, then not ready).
enum class AgentState : std::uint8_t {
  kLoggedOut,
  kReady,
  kNotReady,
  kReserved,  // an offer is ringing on the agent's devices
  kBusy,      // handling an interaction
  kWrapUp,    // after-call work; never offered anything
};

std::string_view to_string(AgentState state);

// What an agent (or supervisor) may ask for; work states are never requested.
enum class Presence : std::uint8_t { kLoggedOut, kReady, kNotReady };

struct Membership {
  QueueId queue;
  int penalty = 0;  // tier: 0 is offered first; 0..kMaxPenalty
};

inline constexpr int kMaxPenalty = 1000;

struct SkillLevel {
  SkillId skill = 0;
  int level = kMinSkillLevel;  // 1..10
};

struct AgentConfig {
  std::string name;
  std::vector<std::string> devices;  // SIP extensions / contacts to ring
  // Simultaneous interactions per channel (voice 1; chat N later). A voice
  // interaction always takes the whole agent, whatever the other capacities.
  std::array<int, kChannelCount> capacity{1, 0, 0};
  std::vector<SkillLevel> skills;
  std::vector<Membership> memberships;
};

// Checks ranges; `queue_count` bounds membership queue ids.
Status validate(const AgentConfig& config, std::size_t queue_count);

// Reason recorded when the engine itself sets an agent not ready after missed offers.
inline constexpr std::string_view kReasonMissedOffers = "missed-offers";

}  // namespace hotline::cc
