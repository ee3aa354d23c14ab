#include "media/codec.hpp"

#include <gtest/gtest.h>

#include "media/resampler.hpp"
#include "media/signal_analysis.hpp"

namespace hotline::media {
namespace {

using analysis::dominant_frequency;
using analysis::rms;
using analysis::sine;
using analysis::snr_db;

// Encodes `pcm` frame by frame and decodes each payload; returns the decoded stream.
std::vector<std::int16_t> round_trip(AudioCodec& codec, const std::vector<std::int16_t>& pcm,
                                     std::size_t* max_payload = nullptr) {
  std::vector<std::int16_t> out;
  std::vector<std::uint8_t> payload(kMaxEncodedFrameBytes);
  std::vector<std::int16_t> frame(static_cast<std::size_t>(codec.sample_rate()) * 120 / 1000);
  const auto step = static_cast<std::size_t>(codec.frame_samples());
  for (std::size_t off = 0; off + step <= pcm.size(); off += step) {
    auto n = codec.encode(std::span(pcm).subspan(off, step), payload);
    EXPECT_TRUE(n) << n.error().describe();
    if (!n) break;
    if (max_payload) *max_payload = std::max(*max_payload, *n);
    auto m = codec.decode(std::span(payload).first(*n), frame);
    EXPECT_TRUE(m) << m.error().describe();
    if (!m) break;
    EXPECT_EQ(*m, step);
    out.insert(out.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(*m));
  }
  return out;
}

std::unique_ptr<AudioCodec> codec(CodecId id, int pt, CodecOptions o = {}) {
  auto c = make_codec(CodecSpec{id, pt, id == CodecId::kOpus ? 48000 : 8000, 1, ""}, o);
  EXPECT_TRUE(c) << c.error().describe();
  return c ? std::move(*c) : nullptr;
}

TEST(Codec, PcmuRoundTripKeepsTheToneClean) {
  auto c = codec(CodecId::kPcmu, 0);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->frame_samples(), 160);
  EXPECT_EQ(c->frame_timestamp_step(), 160);
  auto in = sine(1000, 8000, 8000);
  std::size_t bytes = 0;
  auto out = round_trip(*c, in, &bytes);
  ASSERT_EQ(out.size(), in.size());
  EXPECT_EQ(bytes, 160u);
  EXPECT_GT(snr_db(in, out, 0), 30.0);  // G.711 gives ~38 dB on a loud tone
  EXPECT_EQ(dominant_frequency(out, 8000), 1000);
}

TEST(Codec, PcmaRoundTripKeepsTheToneClean) {
  auto c = codec(CodecId::kPcma, 8);
  ASSERT_TRUE(c);
  auto in = sine(440, 8000, 8000);
  auto out = round_trip(*c, in);
  EXPECT_GT(snr_db(in, out, 0), 30.0);
  EXPECT_EQ(dominant_frequency(out, 8000), 440);
}

TEST(Codec, G711AlawAndUlawBytesDiffer) {
  auto u = codec(CodecId::kPcmu, 0);
  auto a = codec(CodecId::kPcma, 8);
  std::vector<std::int16_t> in(160, 1000);
  std::vector<std::uint8_t> bu(160), ba(160);
  ASSERT_TRUE(u->encode(in, bu));
  ASSERT_TRUE(a->encode(in, ba));
  EXPECT_NE(bu, ba);
}

TEST(Codec, G722RoundTripIsWideband) {
  auto c = codec(CodecId::kG722, 9);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->sample_rate(), 16000);
  EXPECT_EQ(c->rtp_clock_rate(), 8000);
  EXPECT_EQ(c->frame_samples(), 320);
  EXPECT_EQ(c->frame_timestamp_step(), 160);
  // 5 kHz is above narrowband's 4 kHz limit: only a wideband codec carries it.
  auto in = sine(5000, 16000, 16000);
  std::size_t bytes = 0;
  auto out = round_trip(*c, in, &bytes);
  EXPECT_EQ(bytes, 160u);
  ASSERT_EQ(out.size(), in.size());
  EXPECT_GT(snr_db(std::span(in).subspan(0, 12000), std::span(out).subspan(0, 12000 + 64), 64),
            15.0);
  EXPECT_NEAR(dominant_frequency(std::span(out).subspan(1600), 16000, 100, 7900), 5000, 10);
}

class OpusRates : public ::testing::TestWithParam<int> {};

TEST_P(OpusRates, RoundTripPreservesPitchAndLevel) {
  const int rate = GetParam();
  auto c = codec(CodecId::kOpus, 111, CodecOptions{rate, 32000});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->rtp_clock_rate(), 48000);
  EXPECT_EQ(c->frame_timestamp_step(), 960);
  EXPECT_EQ(c->frame_samples(), rate / 50);
  auto in = sine(700, rate, static_cast<std::size_t>(rate));  // one second
  std::size_t bytes = 0;
  auto out = round_trip(*c, in, &bytes);
  ASSERT_EQ(out.size(), in.size());
  EXPECT_LT(bytes, 200u);  // compressed, unlike G.711's 160 bytes per 20 ms at 8 kHz
  const auto tail = std::span(out).subspan(out.size() / 4);
  EXPECT_NEAR(dominant_frequency(tail, rate, 100, 3900), 700, 10);
  EXPECT_NEAR(rms(tail) / rms(in), 1.0, 0.25);
}

INSTANTIATE_TEST_SUITE_P(Rates, OpusRates, ::testing::Values(8000, 16000, 48000));

TEST(Codec, OpusRejectsAnUnsupportedRate) {
  auto c = make_codec(CodecSpec{CodecId::kOpus, 111, 48000, 2, ""}, CodecOptions{44100, 24000});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
}

TEST(Codec, OpusGarbagePayloadIsAnErrorNotACrash) {
  auto c = codec(CodecId::kOpus, 111, CodecOptions{16000, 24000});
  std::vector<std::int16_t> out(320 * 6);
  // TOC says code 3 (arbitrary frames) with a frame count byte of 0: invalid.
  const std::vector<std::uint8_t> bad = {0x03, 0x00};
  auto r = c->decode(bad, out);
  EXPECT_FALSE(r);
}

TEST(Codec, OutputBufferTooSmallIsAnError) {
  auto c = codec(CodecId::kPcmu, 0);
  std::vector<std::int16_t> in(160, 0);
  std::vector<std::uint8_t> small(10);
  EXPECT_FALSE(c->encode(in, small));
  std::vector<std::int16_t> out(10);
  std::vector<std::uint8_t> payload(160, 0xff);
  EXPECT_FALSE(c->decode(payload, out));
}

TEST(Resampler, UpAndDownKeepPitchAndLength) {
  for (auto [from, to] : {std::pair{8000, 16000},
                          {16000, 8000},
                          {8000, 48000},
                          {48000, 8000},
                          {22050, 8000},
                          {44100, 16000}}) {
    auto in = sine(600, from, static_cast<std::size_t>(from));
    auto out = resample_all(in, from, to);
    ASSERT_TRUE(out) << out.error().describe();
    EXPECT_EQ(out->size(), static_cast<std::size_t>(to)) << from << "->" << to;
    const auto mid = std::span(*out).subspan(out->size() / 4, out->size() / 2);
    EXPECT_NEAR(dominant_frequency(mid, to, 100, 3000), 600, 10) << from << "->" << to;
    EXPECT_NEAR(rms(mid) / rms(in), 1.0, 0.1) << from << "->" << to;
  }
}

TEST(Resampler, StreamingFramesMatchTheRateRatio) {
  auto r = Resampler::create(8000, 16000);
  ASSERT_TRUE(r);
  auto in = sine(500, 8000, 8000);
  std::vector<std::int16_t> out;
  for (std::size_t off = 0; off < in.size(); off += 160)
    r->process(std::span(in).subspan(off, 160), out);
  // Streaming loses at most the filter delay at the end.
  EXPECT_LE(out.size(), 16000u);
  EXPECT_GE(out.size(), 16000u - 2u * static_cast<std::size_t>(r->input_latency()) - 2u);
  EXPECT_NEAR(dominant_frequency(std::span(out).subspan(4000, 8000), 16000, 100, 3000), 500, 10);
}

TEST(Resampler, RejectsNonsenseRates) {
  EXPECT_FALSE(Resampler::create(0, 8000));
  EXPECT_FALSE(Resampler::create(8000, 10'000'000));
  EXPECT_FALSE(Resampler::create(8000, 16000, 11));
}

}  // namespace
}  // namespace hotline::media
