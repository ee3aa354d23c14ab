#include "media/source_latch.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <set>

#include "media/port_allocator.hpp"

namespace hotline::media {
namespace {

sockaddr_in addr(const char* ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

TEST(SourceLatch, SendsToSignalledAddressUntilFirstPacketThenLatches) {
  SourceLatch latch(1'000'000);
  latch.set_signalled(addr("192.168.1.20", 4000));
  EXPECT_FALSE(latch.latched());
  EXPECT_TRUE(same_endpoint(latch.target(), addr("192.168.1.20", 4000)));
  // The phone is behind NAT: its packets come from the router's public mapping.
  EXPECT_EQ(latch.on_packet(addr("203.0.113.7", 61000), 0), SourceLatch::Verdict::kAccept);
  EXPECT_TRUE(latch.latched());
  EXPECT_TRUE(same_endpoint(latch.target(), addr("203.0.113.7", 61000)));
}

TEST(SourceLatch, RejectsOtherSendersWhileTheLatchedOneIsAlive) {
  SourceLatch latch(1'000'000);
  latch.set_signalled(addr("10.0.0.1", 4000));
  latch.on_packet(addr("10.0.0.1", 4000), 0);
  EXPECT_EQ(latch.on_packet(addr("6.6.6.6", 1234), 20'000), SourceLatch::Verdict::kReject);
  EXPECT_EQ(latch.on_packet(addr("10.0.0.1", 4000), 40'000), SourceLatch::Verdict::kAccept);
  EXPECT_EQ(latch.on_packet(addr("6.6.6.6", 1234), 999'999), SourceLatch::Verdict::kReject);
  EXPECT_EQ(latch.rejected(), 2u);
  EXPECT_TRUE(same_endpoint(latch.target(), addr("10.0.0.1", 4000)));
}

TEST(SourceLatch, RelatchesAfterTheSourceFallsSilent) {
  SourceLatch latch(1'000'000);
  latch.on_packet(addr("10.0.0.1", 4000), 0);
  // NAT rebinding: the same phone reappears on a new public port after a silence.
  EXPECT_EQ(latch.on_packet(addr("10.0.0.1", 4002), 1'000'000),
            SourceLatch::Verdict::kAcceptRelatched);
  EXPECT_TRUE(same_endpoint(latch.target(), addr("10.0.0.1", 4002)));
  EXPECT_EQ(latch.relatches(), 1u);
  EXPECT_EQ(latch.on_packet(addr("10.0.0.1", 4000), 1'020'000), SourceLatch::Verdict::kReject);
}

TEST(SourceLatch, NewSdpForgetsTheLatch) {
  SourceLatch latch;
  latch.on_packet(addr("10.0.0.1", 4000), 0);
  latch.set_signalled(addr("10.0.0.9", 5000));
  EXPECT_FALSE(latch.latched());
  EXPECT_EQ(latch.on_packet(addr("10.0.0.9", 5000), 10), SourceLatch::Verdict::kAccept);
}

TEST(PortAllocator, HandsOutEvenPortsOnceUntilReleased) {
  auto pool = PortAllocator::create(20001, 20010);
  ASSERT_TRUE(pool.has_value());
  // 20002..20010: pairs 20002/3, 20004/5, 20006/7, 20008/9 (20010 has no +1 inside).
  EXPECT_EQ(pool->capacity(), 4u);
  std::set<std::uint16_t> got;
  for (int i = 0; i < 4; ++i) {
    auto p = pool->allocate();
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(*p % 2, 0);
    EXPECT_GE(*p, 20002);
    EXPECT_LE(*p + 1, 20010);
    got.insert(*p);
  }
  EXPECT_EQ(got.size(), 4u);
  EXPECT_FALSE(pool->allocate().has_value());
  pool->release(20004);
  EXPECT_EQ(pool->in_use(), 3u);
  EXPECT_EQ(pool->allocate(), std::optional<std::uint16_t>(20004));
  for (auto p : got) pool->release(p);
  pool->release(20004);  // a second release of the same port changes nothing
  EXPECT_EQ(pool->in_use(), 0u);
}

TEST(PortAllocator, RotatesSoAReleasedPortIsNotReusedAtOnce) {
  auto pool = PortAllocator::create(30000, 30007);
  ASSERT_TRUE(pool.has_value());
  auto a = pool->allocate();
  pool->release(*a);
  EXPECT_NE(pool->allocate(), a);
}

TEST(PortAllocator, RefusesRangesWithoutAPair) {
  EXPECT_FALSE(PortAllocator::create(20001, 20002).has_value());
  EXPECT_FALSE(PortAllocator::create(80, 2000).has_value());
  EXPECT_FALSE(PortAllocator::create(3000, 3000).has_value());
}

}  // namespace
}  // namespace hotline::media
