// The ACD command vocabulary: effects the engine asks the outside (the switch, or the
// simulator) to carry out. Timers are commands too; their expiry comes back as
// Acd::timer_fired, so live time and virtual time drive the same code.
//
// Thread-safety: plain value types, no shared state.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "cc/ids.hpp"
#include "common/clock.hpp"

namespace hotline::cc {

// Ring the agent's devices with this interaction; answer -> Acd::offer_answered,
// refusal -> Acd::offer_declined. The engine runs the ring timeout itself.
struct OfferToAgent {
  InteractionId interaction;
  AgentId agent;
  std::vector<std::string> devices;
};

// Stop ringing (another agent answered, the caller left, or the ring timed out).
struct CancelOffer {
  InteractionId interaction;
  AgentId agent;
};

// Hold the caller with music while waiting.
struct HoldWithMusic {
  InteractionId interaction;
  std::string music_class;
};

// Tell the caller their place and the expected wait.
struct PlayAnnouncement {
  InteractionId interaction;
  std::uint32_t position = 0;
  Duration estimated_wait{0};
};

// Take the interaction out of ACD to a dial-plan destination (max wait reached).
struct MoveToExit {
  InteractionId interaction;
  std::string destination;
};

// Keep-my-place: call the customer back and connect the reserved agent. Success ->
// Acd::offer_answered, failure -> Acd::callback_failed.
struct PlaceCallback {
  InteractionId interaction;
  AgentId agent;
  std::string number;
  std::vector<std::string> devices;
};

// Fire Acd::timer_fired(id) at `deadline` (monotonic), unless cancelled first.
struct StartTimer {
  TimerId timer;
  MonoTime deadline;
};

struct CancelTimer {
  TimerId timer;
};

using Command = std::variant<OfferToAgent, CancelOffer, HoldWithMusic, PlayAnnouncement, MoveToExit,
                             PlaceCallback, StartTimer, CancelTimer>;

}  // namespace hotline::cc
