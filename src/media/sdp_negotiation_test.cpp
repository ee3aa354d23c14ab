#include "media/sdp_negotiation.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hotline::media {
namespace {

SessionDescription parse_or_die(std::string_view text) {
  auto sdp = parse_sdp(text);
  EXPECT_TRUE(sdp) << sdp.error().describe();
  return sdp ? *sdp : SessionDescription{};
}

LocalMediaOptions local(std::vector<CodecId> codecs) {
  LocalMediaOptions o;
  o.address = "192.0.2.10";
  o.port = 20000;
  o.codecs = std::move(codecs);
  return o;
}

const std::string kHead =
    "v=0\r\no=- 7 7 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n";

TEST(Negotiation, AnswerUsesOurPreferenceAndTheOfferersPayloadTypes) {
  auto offer = parse_or_die(kHead +
                            "m=audio 5004 RTP/AVP 0 8 97 98 100\r\n"
                            "a=rtpmap:97 opus/48000/2\r\n"
                            "a=rtpmap:98 telephone-event/48000\r\n"
                            "a=rtpmap:100 telephone-event/8000\r\n");
  auto a = answer_offer(offer, local({CodecId::kOpus, CodecId::kPcmu}));
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(a->media.codec.id, CodecId::kOpus);
  EXPECT_EQ(a->media.codec.payload_type, 97);
  EXPECT_EQ(a->media.codec.clock_rate, 48000);
  EXPECT_EQ(a->media.telephone_event_pt, 98);  // matches the codec's clock rate
  EXPECT_EQ(a->media.remote_address, "198.51.100.7");
  EXPECT_EQ(a->media.remote_rtp_port, 5004);
  EXPECT_EQ(a->media.remote_rtcp_port, 5005);
  EXPECT_FALSE(a->media.rtcp_mux);
  ASSERT_EQ(a->sdp.media.size(), 1u);
  EXPECT_EQ(a->sdp.media[0].formats, (std::vector<int>{97, 98}));
  EXPECT_EQ(a->sdp.media[0].port, 20000);
  // The answer text parses back to the same agreement from the offerer's side.
  auto answer_sdp = parse_or_die(to_string(a->sdp));
  auto n = apply_answer(offer, answer_sdp);
  ASSERT_TRUE(n) << n.error().describe();
  EXPECT_EQ(n->codec.id, CodecId::kOpus);
  EXPECT_EQ(n->telephone_event_pt, 98);
  EXPECT_EQ(n->remote_address, "192.0.2.10");
}

TEST(Negotiation, G711OnlyPhoneGetsPcmaWhenWePreferIt) {
  auto offer =
      parse_or_die(kHead + "m=audio 5004 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n");
  auto a = answer_offer(offer, local({CodecId::kG722, CodecId::kPcma, CodecId::kPcmu}));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->media.codec.id, CodecId::kPcma);
  EXPECT_EQ(a->media.codec.payload_type, 8);
  EXPECT_EQ(a->media.telephone_event_pt, 101);
}

TEST(Negotiation, NoCommonCodecIsAnIncompatibilityError) {
  auto offer = parse_or_die(kHead + "m=audio 5004 RTP/AVP 18 3\r\n");
  auto a = answer_offer(offer, local({CodecId::kPcmu, CodecId::kPcma}));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(a.error().message.find("no common codec"), std::string::npos);
}

TEST(Negotiation, OfferWithoutAudioIsRejected) {
  auto offer = parse_or_die(kHead + "m=video 5004 RTP/AVP 31\r\n");
  auto a = answer_offer(offer, local({CodecId::kPcmu}));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kInvalidArgument);
}

TEST(Negotiation, TelephoneEventIsOmittedWhenNotOffered) {
  auto offer = parse_or_die(kHead + "m=audio 5004 RTP/AVP 0\r\n");
  auto a = answer_offer(offer, local({CodecId::kPcmu}));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->media.telephone_event_pt);
  EXPECT_EQ(a->sdp.media[0].formats, (std::vector<int>{0}));
}

TEST(Negotiation, HoldDirectionsAreMirrored) {
  struct Case {
    std::string offered;
    Direction local_dir;
    Direction expect;
  };
  for (const auto& c : {Case{"sendonly", Direction::kSendRecv, Direction::kRecvOnly},
                        Case{"recvonly", Direction::kSendRecv, Direction::kSendOnly},
                        Case{"inactive", Direction::kSendRecv, Direction::kInactive},
                        Case{"sendrecv", Direction::kSendOnly, Direction::kSendOnly},
                        Case{"sendonly", Direction::kSendOnly, Direction::kInactive}}) {
    auto offer = parse_or_die(kHead + "m=audio 5004 RTP/AVP 0\r\na=" + c.offered + "\r\n");
    auto opts = local({CodecId::kPcmu});
    opts.direction = c.local_dir;
    auto a = answer_offer(offer, opts);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->media.direction, c.expect) << c.offered;
    EXPECT_EQ(a->sdp.media[0].direction, c.expect);
  }
}

TEST(Negotiation, SessionLevelDirectionApplies) {
  auto offer = parse_or_die(kHead + "a=sendonly\r\nm=audio 5004 RTP/AVP 0\r\n");
  auto a = answer_offer(offer, local({CodecId::kPcmu}));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->media.direction, Direction::kRecvOnly);
}

TEST(Negotiation, RtcpMuxIsAcceptedWhenBothSidesWantIt) {
  auto offer = parse_or_die(kHead + "m=audio 5004 RTP/AVP 0\r\na=rtcp-mux\r\n");
  auto a = answer_offer(offer, local({CodecId::kPcmu}));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->media.rtcp_mux);
  EXPECT_EQ(a->media.remote_rtcp_port, 5004);
  EXPECT_TRUE(a->sdp.media[0].rtcp_mux);
  auto opts = local({CodecId::kPcmu});
  opts.rtcp_mux = false;
  auto b = answer_offer(offer, opts);
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->media.rtcp_mux);
  EXPECT_FALSE(b->sdp.media[0].rtcp_mux);
}

TEST(Negotiation, ExtraStreamsAreRejectedWithPortZero) {
  auto offer = parse_or_die(kHead + "m=video 6000 RTP/AVP 31\r\nm=audio 5004 RTP/AVP 0\r\n");
  auto a = answer_offer(offer, local({CodecId::kPcmu}));
  ASSERT_TRUE(a);
  ASSERT_EQ(a->sdp.media.size(), 2u);
  EXPECT_EQ(a->sdp.media[0].port, 0);
  EXPECT_EQ(a->sdp.media[1].port, 20000);
  EXPECT_EQ(a->media.media_index, 1u);
}

TEST(Negotiation, T38ImageStreamIsRejectedButKeptWellFormed) {
  auto offer = parse_or_die(kHead + "m=audio 5004 RTP/AVP 0\r\nm=image 6000 udptl t38\r\n");
  EXPECT_EQ(offer.media[1].other_formats, (std::vector<std::string>{"t38"}));
  auto a = answer_offer(offer, local({CodecId::kPcmu}));
  ASSERT_TRUE(a);
  auto text = to_string(a->sdp);
  EXPECT_NE(text.find("m=image 0 udptl t38\r\n"), std::string::npos) << text;
  auto reparsed = parse_sdp(text);
  ASSERT_TRUE(reparsed) << reparsed.error().describe();
  EXPECT_EQ(reparsed->media.size(), 2u);
}

TEST(Negotiation, SecondAudioStreamWithDynamicTypeIsRejectedParseably) {
  // Found by sdp_fuzz: the rejected copy echoed PT 96 without its rtpmap, and our own
  // parser then refused our own answer.
  auto offer = parse_or_die(kHead +
                            "m=audio 5004 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n"
                            "m=audio 5006 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n");
  auto a = answer_offer(offer, local({CodecId::kOpus}));
  ASSERT_TRUE(a);
  auto reparsed = parse_sdp(to_string(a->sdp));
  ASSERT_TRUE(reparsed) << reparsed.error().describe();
  EXPECT_EQ(reparsed->media[1].port, 0);
}

TEST(Negotiation, SrtpOfferNeedsALocalKey) {
  auto offer = parse_or_die(
      kHead +
      "m=audio 5004 RTP/SAVP 0\r\n"
      "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0\r\n");
  auto refused = answer_offer(offer, local({CodecId::kPcmu}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);

  auto opts = local({CodecId::kPcmu});
  opts.srtp_inline_key = "MTIzNDU2Nzg5MEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZX";
  auto a = answer_offer(offer, opts);
  ASSERT_TRUE(a) << a.error().describe();
  ASSERT_TRUE(a->media.remote_crypto);
  EXPECT_EQ(a->media.remote_crypto->tag, 3);
  ASSERT_EQ(a->sdp.media[0].crypto.size(), 1u);
  EXPECT_EQ(a->sdp.media[0].crypto[0].tag, 3);
  EXPECT_EQ(a->sdp.media[0].crypto[0].key_params, "inline:" + *opts.srtp_inline_key);
  EXPECT_EQ(a->sdp.media[0].proto, "RTP/SAVP");
}

TEST(Negotiation, SrtpOfferWithUnknownSuiteIsRefused) {
  auto offer = parse_or_die(
      kHead + "m=audio 5004 RTP/SAVP 0\r\na=crypto:1 F8_128_HMAC_SHA1_80 inline:QUJD\r\n");
  auto opts = local({CodecId::kPcmu});
  opts.srtp_inline_key = "MTIz";
  auto a = answer_offer(offer, opts);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("crypto suite"), std::string::npos);
}

TEST(Negotiation, OfferListsCodecsAndDtmf) {
  auto opts = local({CodecId::kOpus, CodecId::kG722, CodecId::kPcmu});
  opts.srtp_inline_key = "MTIzNDU2Nzg5MEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZX";
  auto offer = build_offer(opts);
  ASSERT_TRUE(offer);
  auto parsed = parse_or_die(to_string(*offer));
  const auto& m = parsed.media.at(0);
  EXPECT_EQ(m.proto, "RTP/SAVP");
  EXPECT_EQ(m.formats, (std::vector<int>{111, 9, 0, 110, 101}));
  EXPECT_EQ(m.rtpmap_for(111)->clock_rate, 48000);
  EXPECT_EQ(m.rtpmap_for(110)->encoding, "telephone-event");
  EXPECT_EQ(m.ptime, 20);
  EXPECT_TRUE(m.rtcp_mux);
  EXPECT_EQ(m.crypto.size(), 1u);
}

TEST(Negotiation, ApplyAnswerDetectsRejectionAndForeignCodecs) {
  auto offer = build_offer(local({CodecId::kPcmu}));
  ASSERT_TRUE(offer);
  auto rejected = parse_or_die(kHead + "m=audio 0 RTP/AVP 0\r\n");
  auto r = apply_answer(*offer, rejected);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);

  auto foreign = parse_or_die(kHead + "m=audio 5004 RTP/AVP 8\r\n");
  auto f = apply_answer(*offer, foreign);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("no codec we offered"), std::string::npos);

  auto extra = parse_or_die(kHead + "m=audio 5004 RTP/AVP 0\r\nm=audio 5006 RTP/AVP 0\r\n");
  EXPECT_FALSE(apply_answer(*offer, extra));
}

TEST(Negotiation, G722KeepsItsEightKilohertzRtpClock) {
  auto offer =
      parse_or_die(kHead + "m=audio 5004 RTP/AVP 9 101\r\na=rtpmap:101 telephone-event/8000\r\n");
  auto a = answer_offer(offer, local({CodecId::kG722}));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->media.codec.id, CodecId::kG722);
  EXPECT_EQ(a->media.codec.clock_rate, 8000);
  EXPECT_EQ(a->media.telephone_event_pt, 101);
}

}  // namespace
}  // namespace hotline::media
