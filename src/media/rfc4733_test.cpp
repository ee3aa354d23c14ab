#include "media/rfc4733.hpp"

#include <gtest/gtest.h>

namespace hotline::media {
namespace {

std::array<std::uint8_t, 4> ev(int event, bool end, int duration) {
  return serialize(TelephoneEvent{event, end, 10, static_cast<std::uint16_t>(duration)});
}

TEST(Rfc4733, PayloadRoundTrips) {
  TelephoneEvent e{11, true, 37, 1234};
  auto bytes = serialize(e);
  EXPECT_EQ(bytes, (std::array<std::uint8_t, 4>{11, 0x80 | 37, 0x04, 0xd2}));
  auto back = parse_telephone_event(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->event, 11);
  EXPECT_TRUE(back->end);
  EXPECT_EQ(back->volume, 37);
  EXPECT_EQ(back->duration, 1234);
}

TEST(Rfc4733, ShortPayloadIsAnError) {
  const std::array<std::uint8_t, 3> three{1, 2, 3};
  EXPECT_FALSE(parse_telephone_event(three));
  Rfc4733Receiver rx;
  EXPECT_FALSE(rx.on_packet(three, 100));
}

TEST(Rfc4733, ThreeEndPacketsYieldOneDigitWithItsDuration) {
  Rfc4733Receiver rx(8000);
  const std::uint32_t ts = 16000;
  int reported = 0;
  for (int d : {160, 320, 480, 640}) {
    auto r = rx.on_packet(ev(5, false, d), ts);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->empty());
  }
  for (int copy = 0; copy < 3; ++copy) {
    auto r = rx.on_packet(ev(5, true, 800), ts);
    ASSERT_TRUE(r);
    for (const auto& d : *r) {
      ++reported;
      EXPECT_EQ(d.digit, '5');
      EXPECT_EQ(d.duration_ms, 100);
      EXPECT_EQ(d.source, DtmfSource::kRfc4733);
    }
  }
  EXPECT_EQ(reported, 1);
  EXPECT_FALSE(rx.flush());
}

TEST(Rfc4733, RepeatedSameDigitIsTwoDigits) {
  Rfc4733Receiver rx;
  int count = 0;
  for (std::uint32_t ts : {1000u, 3000u}) {
    ASSERT_TRUE(rx.on_packet(ev(1, false, 160), ts));
    for (int c = 0; c < 3; ++c)
      count += static_cast<int>(rx.on_packet(ev(1, true, 400), ts)->size());
  }
  EXPECT_EQ(count, 2);
}

TEST(Rfc4733, LostEndPacketsAreRecoveredWhenTheNextEventStarts) {
  Rfc4733Receiver rx;
  ASSERT_TRUE(rx.on_packet(ev(2, false, 160), 100));
  ASSERT_TRUE(rx.on_packet(ev(2, false, 480), 100));
  auto r = rx.on_packet(ev(12, false, 160), 2000);  // 'A' starts; '2' never ended
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].digit, '2');
  EXPECT_EQ((*r)[0].duration_ms, 60);
  auto end = rx.on_packet(ev(12, true, 640), 2000);
  ASSERT_EQ(end->size(), 1u);
  EXPECT_EQ((*end)[0].digit, 'A');
  EXPECT_EQ((*end)[0].duration_ms, 80);
}

TEST(Rfc4733, FlushReportsAnUnfinishedEventOnce) {
  Rfc4733Receiver rx;
  ASSERT_TRUE(rx.on_packet(ev(11, false, 320), 500));
  auto d = rx.flush();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digit, '#');
  EXPECT_EQ(d->duration_ms, 40);
  EXPECT_FALSE(rx.flush());
  // A straggler end packet for the flushed event is not a second digit.
  EXPECT_TRUE(rx.on_packet(ev(11, true, 800), 500)->empty());
}

TEST(Rfc4733, ReorderedPacketsKeepTheLongestDuration) {
  Rfc4733Receiver rx;
  ASSERT_TRUE(rx.on_packet(ev(3, false, 480), 10));
  ASSERT_TRUE(rx.on_packet(ev(3, false, 320), 10));
  EXPECT_EQ(rx.flush()->duration_ms, 60);
}

TEST(Rfc4733, NonDigitEventsAreIgnored) {
  Rfc4733Receiver rx;
  auto r = rx.on_packet(ev(16, true, 800), 10);  // flash
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  EXPECT_FALSE(rx.flush());
}

TEST(Rfc4733, WidebandClockScalesDuration) {
  Rfc4733Receiver rx(48000);
  auto r = rx.on_packet(ev(0, true, 4800), 1);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].duration_ms, 100);
}

TEST(Rfc4733, SenderSequenceIsUnderstoodByTheReceiver) {
  auto pkts = telephone_event_packets('#', 130, 8000, 20, 10);
  ASSERT_TRUE(pkts) << pkts.error().describe();
  // 7 packets of growing duration, the 7th repeated 3 times with the end bit.
  ASSERT_EQ(pkts->size(), 9u);
  EXPECT_TRUE((*pkts)[0].marker);
  for (std::size_t i = 1; i < pkts->size(); ++i) EXPECT_FALSE((*pkts)[i].marker);
  int prev_ms = -1;
  int ends = 0;
  for (const auto& p : *pkts) {
    EXPECT_GT(p.send_at_ms, prev_ms);
    prev_ms = p.send_at_ms;
    auto e = parse_telephone_event(p.payload);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->event, 11);
    ends += e->end ? 1 : 0;
  }
  EXPECT_EQ(ends, 3);
  EXPECT_EQ(parse_telephone_event(pkts->back().payload)->duration, 1040);

  Rfc4733Receiver rx;
  std::vector<DtmfDigit> got;
  for (const auto& p : *pkts) {
    auto r = rx.on_packet(p.payload, 777);
    ASSERT_TRUE(r);
    got.insert(got.end(), r->begin(), r->end());
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (DtmfDigit{'#', 130, DtmfSource::kRfc4733}));
}

TEST(Rfc4733, SenderRejectsBadInput) {
  EXPECT_FALSE(telephone_event_packets('x', 100));
  EXPECT_FALSE(telephone_event_packets('1', 5));
  EXPECT_FALSE(telephone_event_packets('1', 100000));
  EXPECT_FALSE(telephone_event_packets('1', 100, 8000, 0));
  EXPECT_FALSE(telephone_event_packets('1', 100, 8000, 20, 64));
}

TEST(Rfc4733, CharMappingCoversAllSixteenEvents) {
  for (int e = 0; e < 16; ++e) {
    auto c = dtmf_char_from_event(e);
    ASSERT_TRUE(c);
    EXPECT_EQ(dtmf_event_from_char(*c), e);
  }
  EXPECT_FALSE(dtmf_char_from_event(16));
  EXPECT_FALSE(dtmf_event_from_char('E'));
}

}  // namespace
}  // namespace hotline::media
