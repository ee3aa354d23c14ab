#include "media/jitter_buffer.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace hotline::media {
namespace {

std::vector<std::uint8_t> payload_for(std::uint32_t n) {
  return {static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(n >> 8), 0x55};
}

// Simulates 20 ms ticks: packets arrive with a random 0-3 tick delay (so out of order);
// the buffer is read once per tick. Returns the payload indices played, in order.
std::vector<int> simulate(JitterBuffer& jb, int packets, int max_delay_ticks,
                          const std::vector<int>& lost, int* missing) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> delay(0, max_delay_ticks);
  std::multimap<int, int> arrivals;  // tick -> packet index
  for (int i = 0; i < packets; ++i) {
    if (std::find(lost.begin(), lost.end(), i) != lost.end()) continue;
    arrivals.emplace(i + delay(rng), i);
  }
  std::vector<int> played;
  *missing = 0;
  for (int tick = 0; tick < packets + 40; ++tick) {
    auto [b, e] = arrivals.equal_range(tick);
    for (auto it = b; it != e; ++it) {
      const auto i = static_cast<std::uint32_t>(it->second);
      EXPECT_TRUE(jb.put(payload_for(i), 1000 + 160 * i, static_cast<std::uint16_t>(i)));
    }
    std::vector<std::uint8_t> out;
    std::uint32_t ts = 0;
    if (jb.get(out, &ts) == PlayoutResult::kFrame) {
      EXPECT_EQ(out.size(), 3u);
      const int idx = out[0] | (out[1] << 8);
      EXPECT_EQ(ts, 1000u + 160u * static_cast<std::uint32_t>(idx));
      played.push_back(idx);
    } else if (!played.empty() && played.back() < packets - 1) {
      ++*missing;
    }
  }
  return played;
}

TEST(JitterBuffer, ReordersIntoTimestampOrder) {
  auto jb = JitterBuffer::create(160);
  ASSERT_TRUE(jb);
  int missing = 0;
  auto played = simulate(*jb, 300, 3, {}, &missing);
  ASSERT_FALSE(played.empty());
  for (std::size_t i = 1; i < played.size(); ++i) EXPECT_LT(played[i - 1], played[i]);
  // After it adapts to the jitter, nearly everything plays (a few early frames may be
  // judged late while the delay estimate grows).
  EXPECT_GE(played.size(), 285u);
  EXPECT_EQ(played.back(), 299);
}

TEST(JitterBuffer, LostPacketBecomesAMissingTick) {
  auto jb = JitterBuffer::create(160);
  ASSERT_TRUE(jb);
  int missing = 0;
  auto played = simulate(*jb, 100, 0, {50}, &missing);
  EXPECT_EQ(std::count(played.begin(), played.end(), 50), 0);
  EXPECT_EQ(std::count(played.begin(), played.end(), 51), 1);
  EXPECT_GE(missing, 1);
  for (std::size_t i = 1; i < played.size(); ++i) EXPECT_LT(played[i - 1], played[i]);
}

TEST(JitterBuffer, DuplicatesPlayOnce) {
  auto jb = JitterBuffer::create(160);
  ASSERT_TRUE(jb);
  std::vector<int> played;
  for (std::uint32_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(jb->put(payload_for(i), 160 * i, static_cast<std::uint16_t>(i)));
    ASSERT_TRUE(jb->put(payload_for(i), 160 * i, static_cast<std::uint16_t>(i)));
    std::vector<std::uint8_t> out;
    if (jb->get(out) == PlayoutResult::kFrame) played.push_back(out[0]);
  }
  for (std::size_t i = 1; i < played.size(); ++i) EXPECT_LT(played[i - 1], played[i]);
  EXPECT_GE(played.size(), 45u);
}

TEST(JitterBuffer, RejectsBadInput) {
  EXPECT_FALSE(JitterBuffer::create(0));
  auto jb = JitterBuffer::create(160);
  ASSERT_TRUE(jb);
  EXPECT_FALSE(jb->put(std::vector<std::uint8_t>(2000), 0, 0));
  std::vector<std::uint8_t> out{1, 2};
  EXPECT_EQ(jb->get(out), PlayoutResult::kMissing);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace hotline::media
