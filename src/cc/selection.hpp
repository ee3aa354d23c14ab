// The rule for a free agent who serves several queues with interactions waiting:
// which interaction comes first. Pure, so it is tested on hand-built situations.
//
//   1. Higher interaction priority first (an explicit, absolute preference: VIP).
//   2. Then the larger weighted wait, wait × queue priority: a queue of priority 2
//      is served as if its callers had waited twice as long. Because every waiting
//      interaction's score grows without bound while it waits, a low-priority queue
//      is never starved by a busier or higher-priority one of equal interaction
//      priority: its head is chosen once it has waited (weight ratio) times as long.
//   3. Then earlier arrival (engine sequence), so the choice is always total.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "cc/ids.hpp"
#include "common/clock.hpp"

namespace hotline::cc {

struct WaitingCandidate {
  InteractionId interaction;
  int priority = 0;            // the interaction's own priority
  int queue_priority = 1;      // weight of the queue it is taken from (>= 1)
  Duration waited{0};          // since it entered that queue
  std::uint64_t sequence = 0;  // engine-wide arrival order
};

// True when `a` must be served before `b`.
bool serve_before(const WaitingCandidate& a, const WaitingCandidate& b);

// Index of the candidate to serve, or nullopt when there is none.
std::optional<std::size_t> pick_waiting(std::span<const WaitingCandidate> candidates);

}  // namespace hotline::cc
