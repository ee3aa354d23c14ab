#include "media/inband_dtmf.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "media/signal_analysis.hpp"

namespace hotline::media {
namespace {

std::string digits_of(const std::vector<DtmfDigit>& ds) {
  std::string s;
  for (const auto& d : ds) s += d.digit;
  return s;
}

std::vector<DtmfDigit> detect(const std::vector<std::int16_t>& pcm, int rate, std::size_t frame) {
  auto det = InbandDtmfDetector::create(rate);
  EXPECT_TRUE(det);
  std::vector<DtmfDigit> all;
  for (std::size_t off = 0; off < pcm.size(); off += frame) {
    auto n = std::min(frame, pcm.size() - off);
    auto got = det->process(std::span(pcm).subspan(off, n));
    all.insert(all.end(), got.begin(), got.end());
  }
  return all;
}

TEST(InbandDtmf, DetectsEveryKeyOnceWithDuration) {
  auto pcm = generate_dtmf("0123456789*#ABCD", 8000, 100, 100);
  ASSERT_TRUE(pcm);
  auto got = detect(*pcm, 8000, 160);
  EXPECT_EQ(digits_of(got), "0123456789*#ABCD");
  for (const auto& d : got) {
    EXPECT_EQ(d.source, DtmfSource::kInband);
    EXPECT_NEAR(d.duration_ms, 100, 30) << d.digit;
  }
}

TEST(InbandDtmf, MeasuresLongPresses) {
  auto pcm = generate_dtmf("5", 8000, 600, 200);
  auto got = detect(*pcm, 8000, 160);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NEAR(got[0].duration_ms, 600, 30);
}

TEST(InbandDtmf, WorksOnWidebandAudio) {
  auto pcm = generate_dtmf("19#", 16000, 120, 80);
  ASSERT_TRUE(pcm);
  auto got = detect(*pcm, 16000, 320);
  EXPECT_EQ(digits_of(got), "19#");
}

TEST(InbandDtmf, DetectsTonesFromAnIndependentGenerator) {
  // 852 Hz + 1336 Hz is '8' (ITU-T Q.23), built here from two sines, not spandsp.
  auto low = analysis::sine(852, 8000, 960, 5000);
  auto high = analysis::sine(1336, 8000, 960, 5000);
  std::vector<std::int16_t> pcm(400, 0);
  for (std::size_t i = 0; i < low.size(); ++i)
    pcm.push_back(static_cast<std::int16_t>(low[i] + high[i]));
  pcm.resize(pcm.size() + 800, 0);
  auto got = detect(pcm, 8000, 160);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].digit, '8');
  EXPECT_NEAR(got[0].duration_ms, 120, 30);
}

TEST(InbandDtmf, SpeechLikeAudioYieldsNoDigits) {
  // A voiced "vowel": a glottal pulse train with wandering pitch, formant-like harmonics,
  // and breath noise. Rich in harmonics across the DTMF band, but never a clean pair.
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0.0, 600.0);
  std::vector<std::int16_t> pcm;
  double phase = 0.0;
  for (int i = 0; i < 8000 * 5; ++i) {
    const double t = i / 8000.0;
    const double f0 = 120.0 + 30.0 * std::sin(2 * std::numbers::pi * 0.7 * t);
    phase += 2 * std::numbers::pi * f0 / 8000.0;
    double v = 0.0;
    for (int h = 1; h <= 25; ++h) {
      const double hf = h * f0;
      const double formant = std::exp(-std::pow((hf - 700) / 300, 2)) +
                             0.6 * std::exp(-std::pow((hf - 1200) / 400, 2)) +
                             0.3 * std::exp(-std::pow((hf - 2500) / 500, 2));
      v += 3000.0 * formant * std::sin(h * phase) / std::sqrt(h);
    }
    pcm.push_back(static_cast<std::int16_t>(std::clamp(v + noise(rng), -32000.0, 32000.0)));
  }
  EXPECT_TRUE(detect(pcm, 8000, 160).empty());
}

TEST(InbandDtmf, WhiteNoiseAndSilenceYieldNoDigits) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 4000.0);
  std::vector<std::int16_t> pcm(8000 * 3);
  for (auto& s : pcm) s = static_cast<std::int16_t>(std::clamp(noise(rng), -32000.0, 32000.0));
  pcm.resize(pcm.size() + 8000, 0);
  EXPECT_TRUE(detect(pcm, 8000, 160).empty());
}

TEST(InbandDtmf, SingleToneIsNotADigit) {
  auto pcm = analysis::sine(697, 8000, 8000, 8000);
  EXPECT_TRUE(detect(pcm, 8000, 160).empty());
}

TEST(InbandDtmf, GeneratorRejectsBadInput) {
  EXPECT_FALSE(generate_dtmf("12x"));
  EXPECT_FALSE(generate_dtmf("1", 8000, 5));
  EXPECT_FALSE(generate_dtmf(std::string(100, '1')));
}

}  // namespace
}  // namespace hotline::media
