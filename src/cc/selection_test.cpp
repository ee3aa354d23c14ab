#include "cc/selection.hpp"

#include <gtest/gtest.h>

namespace hotline::cc {
namespace {

using std::chrono::seconds;

WaitingCandidate cand(std::uint64_t id, int priority, int queue_priority, int waited_s,
                      std::uint64_t seq) {
  return {InteractionId{id}, priority, queue_priority, seconds(waited_s), seq};
}

TEST(Selection, NothingToPick) {
  EXPECT_FALSE(pick_waiting({}).has_value());
}

TEST(Selection, InteractionPriorityComesFirst) {
  std::vector<WaitingCandidate> c{cand(1, 0, 10, 600, 1), cand(2, 1, 1, 1, 2)};
  EXPECT_EQ(pick_waiting(c), 1u);
}

TEST(Selection, WaitIsWeightedByQueuePriority) {
  // 10 s in a priority-2 queue counts as 20 s: more than 15 s in a priority-1 queue.
  std::vector<WaitingCandidate> c{cand(1, 0, 1, 15, 1), cand(2, 0, 2, 10, 2)};
  EXPECT_EQ(pick_waiting(c), 1u);
  c[0].waited = seconds(21);
  EXPECT_EQ(pick_waiting(c), 0u);
}

TEST(Selection, EqualScoresGoToEarlierArrival) {
  std::vector<WaitingCandidate> c{cand(1, 0, 2, 10, 9), cand(2, 0, 1, 20, 4)};
  EXPECT_EQ(pick_waiting(c), 1u);
  EXPECT_TRUE(serve_before(c[1], c[0]));
  EXPECT_FALSE(serve_before(c[0], c[1]));
}

TEST(Selection, LowPriorityQueueIsServedOnceItHasWaitedLongEnough) {
  // A priority-5 queue whose head always waited 30 s cannot hold back a priority-1
  // queue forever: after 150 s the low queue's head wins.
  const WaitingCandidate high = cand(1, 0, 5, 30, 100);
  for (int w = 0; w <= 150; w += 10) {
    const WaitingCandidate low = cand(2, 0, 1, w, 1);
    EXPECT_EQ(serve_before(low, high), w >= 150) << w;
  }
}

}  // namespace
}  // namespace hotline::cc
