#include "media/sdp.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hotline::media {
namespace {

constexpr std::string_view kLinphoneOffer =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 198.51.100.7\r\n"
    "s=Talk\r\n"
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "a=sendrecv\r\n"
    "m=audio 49170 RTP/AVP 96 0 8 9 101\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 useinbandfec=1; stereo=0\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp:49171\r\n"
    "a=x-custom:keep me\r\n"
    "m=video 0 RTP/AVP 31\r\n";

TEST(Sdp, ParsesATypicalOffer) {
  auto sdp = parse_sdp(kLinphoneOffer);
  ASSERT_TRUE(sdp) << sdp.error().describe();
  EXPECT_EQ(sdp->origin_user, "alice");
  EXPECT_EQ(sdp->session_id, 2890844526u);
  EXPECT_EQ(sdp->session_name, "Talk");
  ASSERT_TRUE(sdp->connection);
  EXPECT_EQ(sdp->connection->address, "198.51.100.7");
  ASSERT_EQ(sdp->media.size(), 2u);
  const auto& m = sdp->media[0];
  EXPECT_EQ(m.port, 49170);
  EXPECT_EQ(m.formats, (std::vector<int>{96, 0, 8, 9, 101}));
  auto opus = m.rtpmap_for(96);
  ASSERT_TRUE(opus);
  EXPECT_EQ(opus->encoding, "opus");
  EXPECT_EQ(opus->clock_rate, 48000);
  EXPECT_EQ(opus->channels, 2);
  EXPECT_EQ(opus->fmtp, "useinbandfec=1; stereo=0");
  EXPECT_EQ(m.rtpmap_for(101)->fmtp, "0-15");
  EXPECT_EQ(m.rtpmap_for(8)->encoding, "PCMA");  // static payload type, no rtpmap line
  EXPECT_EQ(m.ptime, 20);
  EXPECT_TRUE(m.rtcp_mux);
  EXPECT_EQ(m.rtcp_port, 49171);
  ASSERT_EQ(m.other.size(), 1u);
  EXPECT_EQ(m.other[0].name, "x-custom");
  EXPECT_EQ(m.other[0].value, "keep me");
  EXPECT_EQ(sdp->direction_of(0), Direction::kSendRecv);
  EXPECT_EQ(sdp->media[1].port, 0);
}

TEST(Sdp, RoundTripsThroughTheSerializer) {
  auto sdp = parse_sdp(kLinphoneOffer);
  ASSERT_TRUE(sdp);
  auto text = to_string(*sdp);
  auto again = parse_sdp(text);
  ASSERT_TRUE(again) << again.error().describe() << "\n" << text;
  EXPECT_EQ(*again, *sdp);
}

TEST(Sdp, AcceptsBareLineFeedsAndMediaLevelConnection) {
  auto sdp = parse_sdp(
      "v=0\no=- 1 1 IN IP6 ::1\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\nc=IN IP6 ::1\na=inactive\n");
  ASSERT_TRUE(sdp) << sdp.error().describe();
  EXPECT_EQ(sdp->connection_of(0)->address, "::1");
  EXPECT_EQ(sdp->direction_of(0), Direction::kInactive);
}

TEST(Sdp, EmptySessionNameReadsAsDash) {
  // Found by sdp_fuzz: "s=" serialised as "s=-" and no longer compared equal.
  auto sdp = parse_sdp("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=\r\n");
  ASSERT_TRUE(sdp) << sdp.error().describe();
  EXPECT_EQ(sdp->session_name, "-");
  auto again = parse_sdp(to_string(*sdp));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *sdp);
}

TEST(Sdp, ParsesSdesCrypto) {
  auto sdp = parse_sdp(
      "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 "
      "UNENCRYPTED_SRTCP\r\n"
      "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj\r\n");
  ASSERT_TRUE(sdp) << sdp.error().describe();
  const auto& c = sdp->media[0].crypto;
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].tag, 1);
  EXPECT_EQ(c[0].suite, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(c[0].key_params, "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4");
  EXPECT_EQ(c[0].session_params, "UNENCRYPTED_SRTCP");
  EXPECT_EQ(c[1].session_params, "");
  auto again = parse_sdp(to_string(*sdp));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->media[0].crypto, c);
}

struct Bad {
  std::string name;
  std::string text;
  std::string expect_in_message;
};

class SdpRejects : public ::testing::TestWithParam<Bad> {};

TEST_P(SdpRejects, WithAReason) {
  auto sdp = parse_sdp(GetParam().text);
  ASSERT_FALSE(sdp);
  EXPECT_EQ(sdp.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(sdp.error().message.find(GetParam().expect_in_message), std::string::npos)
      << sdp.error().message;
}

const std::string kHead = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n";

INSTANTIATE_TEST_SUITE_P(
    Hostile, SdpRejects,
    ::testing::Values(
        Bad{"Empty", "", "empty"}, Bad{"NoVersion", "o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", "v=0"},
        Bad{"WrongVersion", "v=1\r\n", "v=0"}, Bad{"MissingOrigin", "v=0\r\ns=-\r\n", "missing o="},
        Bad{"MissingSessionName", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n", "missing s="},
        Bad{"ShortOrigin", "v=0\r\no=- 1 IN IP4 1.2.3.4\r\ns=-\r\n", "6 fields"},
        Bad{"OriginIdNotANumber", "v=0\r\no=- abc 1 IN IP4 1.2.3.4\r\ns=-\r\n", "session id"},
        Bad{"NoEquals", kHead + "m audio\r\n", "line 6"},
        Bad{"PortTooBig", kHead + "m=audio 70000 RTP/AVP 0\r\n", "bad port '70000'"},
        Bad{"PortNegative", kHead + "m=audio -1 RTP/AVP 0\r\n", "bad port"},
        Bad{"PortGarbage", kHead + "m=audio 12x RTP/AVP 0\r\n", "bad port"},
        Bad{"PayloadTypeTooBig", kHead + "m=audio 4000 RTP/AVP 128\r\n", "payload type"},
        Bad{"NoFormats", kHead + "m=audio 4000 RTP/AVP\r\n", "m= needs"},
        Bad{"DynamicWithoutRtpmap", kHead + "m=audio 4000 RTP/AVP 96\r\n", "no rtpmap"},
        Bad{"RtpmapNoClock", kHead + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus\r\n", "rtpmap"},
        Bad{"RtpmapHugeClock",
            kHead + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/99999999999\r\n", "clock"},
        Bad{"BadPtime", kHead + "m=audio 4000 RTP/AVP 0\r\na=ptime:0\r\n", "ptime"},
        Bad{"PtimeOverflow", kHead + "m=audio 4000 RTP/AVP 0\r\na=ptime:99999999999999\r\n",
            "ptime"},
        Bad{"CryptoNotInline",
            kHead + "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 key:abc\r\n",
            "inline"},
        Bad{"NoConnection",
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", "c="},
        Bad{"BadAddressType", "v=0\r\no=- 1 1 IN IP5 1.2.3.4\r\ns=-\r\n", "address type"},
        Bad{"UnknownLineType", kHead + "q=what\r\n", "unknown line type"},
        Bad{"HugeLine", kHead + "a=x:" + std::string(10000, 'a') + "\r\n", "too long"},
        Bad{"HugeBody", kHead + std::string(70000, 'a'), "too large"}),
    [](const ::testing::TestParamInfo<Bad>& p) { return p.param.name; });

TEST(Sdp, BoundsTheNumberOfMediaSections) {
  std::string text = kHead;
  for (int i = 0; i < 20; ++i) text += "m=audio 4000 RTP/AVP 0\r\n";
  auto sdp = parse_sdp(text);
  ASSERT_FALSE(sdp);
  EXPECT_NE(sdp.error().message.find("too many m="), std::string::npos);
}

TEST(Sdp, BoundsTheNumberOfAttributes) {
  std::string text = kHead + "m=audio 4000 RTP/AVP 0\r\n";
  for (int i = 0; i < 300; ++i) text += "a=x" + std::to_string(i) + "\r\n";
  auto sdp = parse_sdp(text);
  ASSERT_FALSE(sdp);
  EXPECT_NE(sdp.error().message.find("too many attributes"), std::string::npos);
}

TEST(Sdp, NeverCrashesOnTruncations) {
  // Every prefix of a valid SDP either parses or yields an error value.
  const std::string full(kLinphoneOffer);
  for (std::size_t n = 0; n <= full.size(); ++n) {
    auto sdp = parse_sdp(std::string_view(full).substr(0, n));
    if (!sdp) {
      EXPECT_FALSE(sdp.error().message.empty());
    }
  }
}

}  // namespace
}  // namespace hotline::media
