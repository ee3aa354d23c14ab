// Queue configuration: how interactions waiting in one queue are distributed and
// what happens to them when they wait too long. Plain data plus validation; the
// runtime state (who waits, round-robin cursor) lives in the Acd engine.
//
// Thread-safety: plain value types, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cc/ids.hpp"
#include "cc/strategy.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"

namespace hotline::cc {

// What an overflow rule does once an interaction has waited `after`.
enum class OverflowAction : std::uint8_t {
  kAlsoOffer,  // keep waiting here, and also offer to the agents of `target`
  kMoveTo,     // leave this queue (outcome: overflowed) and join `target`
};

struct OverflowRule {
  Duration after{0};
  OverflowAction action = OverflowAction::kAlsoOffer;
  QueueId target;
};

// After `after` of waiting, every required minimum skill level drops by `reduce_by`
// (a level that reaches 0 is no longer required). Steps are cumulative, measured from
// the moment the interaction entered the queue.
struct SkillRelaxation {
  Duration after{0};
  int reduce_by = 1;
};

struct QueueConfig {
  std::string name;
  Strategy strategy = Strategy::kLongestIdle;
  Duration ring_timeout = std::chrono::seconds(15);  // per offer, then RONA
  Duration wrapup = std::chrono::seconds(0);         // after-call work per call
  // Weight of this queue's waiting time when a free agent serves several queues
  // (see docs/acd.md, "Choosing among queues"). 1 = normal, 2 = twice as urgent.
  int priority = 1;
  std::uint32_t max_length = 0;                 // 0 = unbounded (engine bound applies)
  Duration max_wait = std::chrono::seconds(0);  // 0 = wait forever
  std::string exit_destination;                 // where a max-wait timeout goes
  Duration service_level_threshold = std::chrono::seconds(20);  // reporting only
  Duration announce_period = std::chrono::seconds(0);           // 0 = no announcements
  std::string music_on_hold = "default";
  std::vector<OverflowRule> overflow;
  std::vector<SkillRelaxation> relaxation;
};

inline constexpr int kMaxQueuePriority = 100;
inline constexpr Duration kMaxConfigDuration = std::chrono::hours(24 * 7);

// Checks ranges and required fields; `queue_count` bounds overflow targets.
Status validate(const QueueConfig& config, std::size_t queue_count);

}  // namespace hotline::cc
