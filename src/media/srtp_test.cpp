#include "media/srtp.hpp"

#include <gtest/gtest.h>

#include "media/rtcp.hpp"
#include "media/rtp.hpp"
#include "media/sdp_negotiation.hpp"

namespace hotline::media {
namespace {

CryptoAttribute attr(const std::string& key, const std::string& suite = "AES_CM_128_HMAC_SHA1_80") {
  return CryptoAttribute{1, suite, "inline:" + key, ""};
}

std::vector<std::uint8_t> rtp_packet(std::uint16_t seq) {
  RtpPacketizer p(0x1234, 0, seq, seq * 160u);
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> payload(160);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i);
  p.build(payload, false, out);
  return out;
}

TEST(Srtp, GeneratedKeysAreThirtyBytesAndDiffer) {
  auto a = generate_sdes_key();
  auto b = generate_sdes_key();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 40u);  // base64 of 30 bytes
  EXPECT_NE(*a, *b);
}

TEST(Srtp, ProtectThenUnprotectRoundTrips) {
  for (const char* suite : {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"}) {
    auto key = generate_sdes_key();
    auto tx = SrtpContext::create(attr(*key, suite), SrtpDirection::kOutbound);
    auto rx = SrtpContext::create(attr(*key, suite), SrtpDirection::kInbound);
    ASSERT_TRUE(tx && rx) << suite;
    const auto plain = rtp_packet(7);
    auto pkt = plain;
    ASSERT_TRUE(tx->protect_rtp(pkt));
    EXPECT_EQ(pkt.size(), plain.size() + (std::string(suite).ends_with("80") ? 10u : 4u));
    EXPECT_NE(std::vector(pkt.begin() + 12, pkt.begin() + 172),
              std::vector(plain.begin() + 12, plain.end()));
    EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 12, pkt.begin()));  // header in clear
    ASSERT_TRUE(rx->unprotect_rtp(pkt));
    EXPECT_EQ(pkt, plain);
  }
}

TEST(Srtp, TamperingReplayAndWrongKeyAreRejected) {
  auto key = generate_sdes_key();
  auto tx = SrtpContext::create(attr(*key), SrtpDirection::kOutbound);
  auto rx = SrtpContext::create(attr(*key), SrtpDirection::kInbound);
  auto other = SrtpContext::create(attr(*generate_sdes_key()), SrtpDirection::kInbound);
  ASSERT_TRUE(tx && rx && other);
  auto pkt = rtp_packet(1);
  ASSERT_TRUE(tx->protect_rtp(pkt));
  auto tampered = pkt;
  tampered[20] ^= 1;
  EXPECT_FALSE(rx->unprotect_rtp(tampered));
  auto wrong = pkt;
  EXPECT_FALSE(other->unprotect_rtp(wrong));
  auto good = pkt;
  ASSERT_TRUE(rx->unprotect_rtp(good));
  auto replay = pkt;
  auto r = rx->unprotect_rtp(replay);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(Srtp, RtcpRoundTrips) {
  auto key = generate_sdes_key();
  auto tx = SrtpContext::create(attr(*key), SrtpDirection::kOutbound);
  auto rx = SrtpContext::create(attr(*key), SrtpDirection::kInbound);
  std::vector<std::uint8_t> rr;
  build_rtcp(RtcpReport{0x1234, std::nullopt, {ReportBlock{9, 1, 2, 3, 4, 0, 0}}}, "me", rr);
  auto pkt = rr;
  ASSERT_TRUE(tx->protect_rtcp(pkt));
  EXPECT_GT(pkt.size(), rr.size());
  ASSERT_TRUE(rx->unprotect_rtcp(pkt));
  EXPECT_EQ(pkt, rr);
}

TEST(Srtp, BadKeyParamsAreErrors) {
  EXPECT_FALSE(SrtpContext::create({1, "AES_CM_128_HMAC_SHA1_80", "inline:QUJD", ""},
                                   SrtpDirection::kInbound));
  EXPECT_FALSE(
      SrtpContext::create({1, "AES_CM_128_HMAC_SHA1_80", "key:abc", ""}, SrtpDirection::kInbound));
  EXPECT_FALSE(SrtpContext::create({1, "AES_CM_128_HMAC_SHA1_80", "inline:!!!!", ""},
                                   SrtpDirection::kInbound));
  auto key = *generate_sdes_key();
  EXPECT_FALSE(SrtpContext::create(attr(key + "|2^20|1:4"), SrtpDirection::kInbound));  // MKI
  EXPECT_TRUE(SrtpContext::create(attr(key + "|2^20"), SrtpDirection::kInbound));  // lifetime ok
  EXPECT_FALSE(SrtpContext::create(attr(key, "F8_128_HMAC_SHA1_80"), SrtpDirection::kInbound));
  auto ctx = SrtpContext::create(attr(key), SrtpDirection::kInbound);
  std::vector<std::uint8_t> tiny(4);
  EXPECT_FALSE(ctx->unprotect_rtp(tiny));
}

TEST(Srtp, NegotiatedKeysInteroperate) {
  // Our offer with our key; the peer answers with its key; each side's outbound context
  // is the other's inbound one.
  LocalMediaOptions us;
  us.address = "192.0.2.1";
  us.port = 20000;
  us.srtp_inline_key = *generate_sdes_key();
  LocalMediaOptions peer = us;
  peer.address = "192.0.2.2";
  peer.srtp_inline_key = *generate_sdes_key();
  auto offer = build_offer(us);
  auto answer = answer_offer(*parse_sdp(to_string(*offer)), peer);
  ASSERT_TRUE(answer) << answer.error().describe();
  auto ours = apply_answer(*offer, *parse_sdp(to_string(answer->sdp)));
  ASSERT_TRUE(ours) << ours.error().describe();
  auto our_tx = SrtpContext::create(*ours->local_crypto, SrtpDirection::kOutbound);
  auto peer_rx = SrtpContext::create(*answer->media.remote_crypto, SrtpDirection::kInbound);
  auto peer_tx = SrtpContext::create(*answer->media.local_crypto, SrtpDirection::kOutbound);
  auto our_rx = SrtpContext::create(*ours->remote_crypto, SrtpDirection::kInbound);
  ASSERT_TRUE(our_tx && peer_rx && peer_tx && our_rx);
  auto a = rtp_packet(1), b = rtp_packet(2);
  ASSERT_TRUE(our_tx->protect_rtp(a));
  ASSERT_TRUE(peer_rx->unprotect_rtp(a));
  ASSERT_TRUE(peer_tx->protect_rtp(b));
  ASSERT_TRUE(our_rx->unprotect_rtp(b));
  EXPECT_EQ(b, rtp_packet(2));
}

}  // namespace
}  // namespace hotline::media
