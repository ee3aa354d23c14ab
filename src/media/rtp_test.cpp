#include "media/rtp.hpp"

#include <gtest/gtest.h>

#include "media/rtcp.hpp"
#include "media/rtp_stats.hpp"

namespace hotline::media {
namespace {

TEST(Rtp, PacketizerNumbersAndParserReadsBack) {
  RtpPacketizer p(0xdeadbeef, 0, 65534, 1000);
  std::vector<std::uint8_t> pkt;
  const std::vector<std::uint8_t> payload(160, 0xff);
  std::vector<std::uint16_t> seqs;
  for (int i = 0; i < 3; ++i) {
    p.build(payload, i == 0, pkt);
    auto v = parse_rtp(pkt);
    ASSERT_TRUE(v) << v.error().describe();
    EXPECT_EQ(v->header.ssrc, 0xdeadbeefu);
    EXPECT_EQ(v->header.timestamp, 1000u + 160u * static_cast<unsigned>(i));
    EXPECT_EQ(v->header.marker, i == 0);
    EXPECT_EQ(v->payload.size(), 160u);
    seqs.push_back(v->header.sequence);
    p.advance_timestamp(160);
  }
  EXPECT_EQ(seqs, (std::vector<std::uint16_t>{65534, 65535, 0}));  // wraps
  EXPECT_EQ(p.packets_sent(), 3u);
  EXPECT_EQ(p.octets_sent(), 480u);
  p.build(payload, true, pkt, 101);
  EXPECT_EQ(parse_rtp(pkt)->header.payload_type, 101);
}

TEST(Rtp, ParsesCsrcExtensionAndPadding) {
  std::vector<std::uint8_t> d = {0xb1, 0x08, 0x00, 0x01, 0,   0, 0, 2, 0, 0, 0, 3,  // V=2 P X CC=1
                                 0,    0,    0,    9,                               // CSRC
                                 0xbe, 0xde, 0x00, 0x01, 1,   2, 3, 4,              // extension
                                 0xaa, 0xbb, 0x00, 0x00, 0x03};  // payload + 3 pad
  auto v = parse_rtp(d);
  ASSERT_TRUE(v) << v.error().describe();
  EXPECT_EQ(v->header.csrc_count, 1);
  EXPECT_EQ(v->header.csrc[0], 9u);
  EXPECT_EQ(v->header.extension_profile, 0xbede);
  EXPECT_EQ(v->extension.size(), 4u);
  ASSERT_EQ(v->payload.size(), 2u);
  EXPECT_EQ(v->payload[0], 0xaa);
  EXPECT_EQ(v->header.payload_type, 8);
}

TEST(Rtp, MalformedPacketsAreErrors) {
  EXPECT_FALSE(parse_rtp(std::vector<std::uint8_t>(11, 0x80)));
  std::vector<std::uint8_t> v1(12, 0);
  v1[0] = 0x40;  // version 1
  EXPECT_FALSE(parse_rtp(v1));
  std::vector<std::uint8_t> cc(12, 0);
  cc[0] = 0x8f;  // 15 CSRCs promised, none present
  EXPECT_FALSE(parse_rtp(cc));
  std::vector<std::uint8_t> ext = {0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0xff, 0xff};
  EXPECT_FALSE(parse_rtp(ext));
  std::vector<std::uint8_t> pad(14, 0);
  pad[0] = 0xa0;
  pad[13] = 9;  // more padding than payload
  EXPECT_FALSE(parse_rtp(pad));
  pad[13] = 0;  // zero padding count is invalid too
  EXPECT_FALSE(parse_rtp(pad));
}

TEST(Rtp, RtcpIsRecognisedOnAMuxedPort) {
  std::vector<std::uint8_t> rr;
  build_rtcp(RtcpReport{1, std::nullopt, {}}, "x", rr);
  EXPECT_TRUE(looks_like_rtcp(rr));
  std::vector<std::uint8_t> rtp;
  RtpPacketizer(1, 0, 1, 1).build(std::vector<std::uint8_t>(10), true, rtp);
  EXPECT_FALSE(looks_like_rtcp(rtp));
}

RtpHeader hdr(std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc = 7) {
  RtpHeader h;
  h.sequence = seq;
  h.timestamp = ts;
  h.ssrc = ssrc;
  return h;
}

TEST(RtpStats, CountsLossAcrossSequenceWrap) {
  RtpReceiveStats s(8000);
  EXPECT_EQ(s.on_packet(hdr(65530, 0), 0), RtpVerdict::kNewSource);
  std::int64_t t = 0;
  std::uint32_t ts = 0;
  for (std::uint16_t seq = 65531; seq != 20; ++seq) {
    t += 20000;
    ts += 160;
    if (seq % 10 == 3) continue;  // drop every tenth
    EXPECT_EQ(s.on_packet(hdr(seq, ts), t), RtpVerdict::kAccepted);
  }
  EXPECT_EQ(s.extended_max_sequence(), 65536u + 19u);
  EXPECT_EQ(s.expected(), 26);
  EXPECT_EQ(s.cumulative_lost(), 3);  // 65533, 3, 13
  auto b = s.make_report_block();
  EXPECT_EQ(b.cumulative_lost, 3);
  EXPECT_EQ(b.fraction_lost, 3 * 256 / 26);
  EXPECT_EQ(b.jitter, 0u);  // perfectly paced
  // Nothing lost since the last report: fraction goes back to zero.
  s.on_packet(hdr(20, ts + 160), t + 20000);
  EXPECT_EQ(s.make_report_block().fraction_lost, 0);
}

TEST(RtpStats, JitterFollowsArrivalVariation) {
  RtpReceiveStats s(8000);
  std::uint32_t ts = 0;
  std::int64_t t = 0;
  for (std::uint16_t seq = 1; seq < 2000; ++seq) {
    ts += 160;
    // Every other packet arrives 5 ms late: transit alternates 0, +5 ms.
    s.on_packet(hdr(seq, ts), t + (seq % 2 ? 5000 : 0));
    t += 20000;
  }
  // |D| is 5 ms for every packet, so the estimate converges on 5 ms.
  EXPECT_NEAR(s.jitter_ms(), 5.0, 0.2);
}

TEST(RtpStats, DuplicatesLateAndSsrcChange) {
  RtpReceiveStats s(8000);
  s.on_packet(hdr(100, 0), 0);
  s.on_packet(hdr(102, 320), 40000);
  EXPECT_EQ(s.on_packet(hdr(102, 320), 40001), RtpVerdict::kDuplicate);
  EXPECT_EQ(s.on_packet(hdr(101, 160), 41000), RtpVerdict::kLate);
  EXPECT_EQ(s.cumulative_lost(), 0);
  EXPECT_EQ(s.on_packet(hdr(5000, 99999, 8), 60000), RtpVerdict::kNewSource);
  EXPECT_EQ(s.ssrc(), 8u);
  EXPECT_EQ(s.received(), 1u);
}

TEST(RtpStats, BigJumpIsBelievedOnlyWhenConfirmed) {
  RtpReceiveStats s(8000);
  s.on_packet(hdr(10, 0), 0);
  EXPECT_EQ(s.on_packet(hdr(30000, 160), 20000), RtpVerdict::kBadSequence);
  EXPECT_EQ(s.on_packet(hdr(11, 160), 20000), RtpVerdict::kAccepted);
  EXPECT_EQ(s.on_packet(hdr(40000, 320), 40000), RtpVerdict::kBadSequence);
  EXPECT_EQ(s.on_packet(hdr(40001, 480), 60000), RtpVerdict::kAccepted);  // restart confirmed
  EXPECT_EQ(s.extended_max_sequence(), 40001u);
}

TEST(Rtcp, SenderReportRoundTrips) {
  RtcpReport r;
  r.ssrc = 0x11223344;
  r.sender = SenderInfo{0x0102030405060708ull, 160000, 1000, 160000};
  r.blocks.push_back(ReportBlock{7, 25, -3, 70000, 44, 0x05060000, 0x8000});
  r.blocks.push_back(ReportBlock{8, 0, 123456, 5, 1, 0, 0});
  std::vector<std::uint8_t> out;
  build_rtcp(r, "hotline@example", out);
  append_rtcp_bye(r.ssrc, out);
  EXPECT_EQ(out.size() % 4, 0u);
  auto c = parse_rtcp(out);
  ASSERT_TRUE(c) << c.error().describe();
  ASSERT_EQ(c->reports.size(), 1u);
  EXPECT_EQ(c->reports[0], r);
  EXPECT_EQ(c->cname, "hotline@example");
  EXPECT_TRUE(c->bye);
}

TEST(Rtcp, ReceiverReportFromStats) {
  RtpReceiveStats s(8000);
  for (std::uint16_t seq = 1; seq <= 50; ++seq)
    if (seq != 25) s.on_packet(hdr(seq, seq * 160u), seq * 20000);
  RtcpReport rr{99, std::nullopt, {s.make_report_block()}};
  std::vector<std::uint8_t> out;
  build_rtcp(rr, "c", out);
  auto c = parse_rtcp(out);
  ASSERT_TRUE(c);
  ASSERT_FALSE(c->reports[0].sender);
  ASSERT_EQ(c->reports[0].blocks.size(), 1u);
  EXPECT_EQ(c->reports[0].blocks[0].cumulative_lost, 1);
  EXPECT_EQ(c->reports[0].blocks[0].extended_highest_sequence, 50u);
}

TEST(Rtcp, RoundTripTimeFromLsrAndDlsr) {
  // SR sent at NTP middle 0x00010000 (1 s); peer held it 0.25 s; it came back at 1.5 s.
  ReportBlock b;
  b.last_sr = 0x00010000;
  b.delay_since_last_sr = 0x4000;
  auto rtt = round_trip_ms(b, std::uint64_t{0x00018000} << 16);
  ASSERT_TRUE(rtt);
  EXPECT_NEAR(*rtt, 250.0, 0.1);
  EXPECT_FALSE(round_trip_ms(ReportBlock{}, 12345));
}

TEST(Rtcp, MalformedCompoundsAreErrors) {
  EXPECT_FALSE(parse_rtcp(std::vector<std::uint8_t>{0x80, 201}));
  // Length says 10 words, only 2 present.
  EXPECT_FALSE(parse_rtcp(std::vector<std::uint8_t>{0x80, 201, 0, 10, 0, 0, 0, 1}));
  // Claims 3 report blocks in an 8-byte RR.
  EXPECT_FALSE(parse_rtcp(std::vector<std::uint8_t>{0x83, 201, 0, 1, 0, 0, 0, 1}));
  // Starts with SDES.
  EXPECT_FALSE(parse_rtcp(std::vector<std::uint8_t>{0x81, 202, 0, 1, 0, 0, 0, 1}));
  // SDES item longer than its packet.
  std::vector<std::uint8_t> ok;
  build_rtcp(RtcpReport{1, std::nullopt, {}}, "abc", ok);
  ok[ok.size() - 7] = 200;  // CNAME length byte
  EXPECT_FALSE(parse_rtcp(ok));
}

}  // namespace
}  // namespace hotline::media
