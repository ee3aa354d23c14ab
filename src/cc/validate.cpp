// Range checks for queue and agent configuration: bad config is a precise error.
#include <string>

#include "cc/agent.hpp"
#include "cc/queue.hpp"

namespace hotline::cc {
namespace {

Status bad(const std::string& what, const std::string& name, const std::string& why) {
  return fail(ErrorCode::kInvalidArgument, what + " '" + name + "': " + why);
}

// Every configured duration lies in [0, kMaxConfigDuration]: a deadline is then
// always far from overflowing the clock's range.
bool out_of_range(Duration d) {
  return d < Duration::zero() || d > kMaxConfigDuration;
}

}  // namespace

Status validate(const QueueConfig& c, std::size_t queue_count) {
  if (c.name.empty()) return fail(ErrorCode::kInvalidArgument, "queue: name is empty");
  for (Duration d :
       {c.ring_timeout, c.wrapup, c.max_wait, c.announce_period, c.service_level_threshold}) {
    if (out_of_range(d)) return bad("queue", c.name, "durations must be 0..7 days");
  }
  for (const auto& r : c.overflow) {
    if (out_of_range(r.after)) return bad("queue", c.name, "overflow 'after' must be 0..7 days");
  }
  for (const auto& r : c.relaxation) {
    if (out_of_range(r.after)) return bad("queue", c.name, "relaxation 'after' must be 0..7 days");
  }
  if (c.ring_timeout <= Duration::zero()) return bad("queue", c.name, "ring_timeout must be > 0");
  if (c.wrapup < Duration::zero()) return bad("queue", c.name, "wrapup must be >= 0");
  if (c.priority < 1 || c.priority > kMaxQueuePriority) {
    return bad("queue", c.name, "priority must be 1.." + std::to_string(kMaxQueuePriority));
  }
  if (c.max_wait < Duration::zero()) return bad("queue", c.name, "max_wait must be >= 0");
  if (c.max_wait > Duration::zero() && c.exit_destination.empty()) {
    return bad("queue", c.name, "max_wait needs an exit_destination");
  }
  if (c.announce_period < Duration::zero()) {
    return bad("queue", c.name, "announce_period must be >= 0");
  }
  if (c.service_level_threshold < Duration::zero()) {
    return bad("queue", c.name, "service_level_threshold must be >= 0");
  }
  for (const auto& r : c.overflow) {
    if (r.after < Duration::zero()) return bad("queue", c.name, "overflow 'after' must be >= 0");
    if (r.target.value >= queue_count) {
      return bad("queue", c.name,
                 "overflow target " + std::to_string(r.target.value) + " is not a known queue");
    }
  }
  for (const auto& r : c.relaxation) {
    if (r.after < Duration::zero()) return bad("queue", c.name, "relaxation 'after' must be >= 0");
    if (r.reduce_by < 1 || r.reduce_by > kMaxSkillLevel) {
      return bad("queue", c.name, "relaxation reduce_by must be 1..10");
    }
  }
  return {};
}

Status validate(const AgentConfig& c, std::size_t queue_count) {
  if (c.name.empty()) return fail(ErrorCode::kInvalidArgument, "agent: name is empty");
  for (int cap : c.capacity) {
    if (cap < 0 || cap > 100) return bad("agent", c.name, "capacity must be 0..100");
  }
  for (const auto& s : c.skills) {
    if (s.level < kMinSkillLevel || s.level > kMaxSkillLevel) {
      return bad("agent", c.name, "skill level must be 1..10");
    }
  }
  for (std::size_t i = 0; i < c.memberships.size(); ++i) {
    const auto& m = c.memberships[i];
    if (m.queue.value >= queue_count) {
      return bad("agent", c.name, "member of unknown queue " + std::to_string(m.queue.value));
    }
    if (m.penalty < 0 || m.penalty > kMaxPenalty) {
      return bad("agent", c.name, "penalty must be 0.." + std::to_string(kMaxPenalty));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (c.memberships[j].queue == m.queue) return bad("agent", c.name, "duplicate membership");
    }
  }
  return {};
}

}  // namespace hotline::cc
