#include "cc/selection.hpp"

#include <algorithm>

namespace hotline::cc {

bool serve_before(const WaitingCandidate& a, const WaitingCandidate& b) {
  if (a.priority != b.priority) return a.priority > b.priority;
  // Waits are microseconds and priorities at most 100: a year of waiting times 100
  // stays far below the int64 range.
  const std::int64_t wa = a.waited.count() * std::max(a.queue_priority, 1);
  const std::int64_t wb = b.waited.count() * std::max(b.queue_priority, 1);
  if (wa != wb) return wa > wb;
  return a.sequence < b.sequence;
}

std::optional<std::size_t> pick_waiting(std::span<const WaitingCandidate> candidates) {
  if (candidates.empty()) return std::nullopt;
  std::size_t best = 0;
  for (std::size_t i = 1; i < candidates.size(); ++i) {
    if (serve_before(candidates[i], candidates[best])) best = i;
  }
  return best;
}

}  // namespace hotline::cc
