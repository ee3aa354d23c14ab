#include "media/tones.hpp"

#include <gtest/gtest.h>

#include "media/signal_analysis.hpp"

namespace hotline::media {
namespace {

std::vector<std::int16_t> render(AudioSource& s, std::size_t samples) {
  std::vector<std::int16_t> out(samples);
  EXPECT_EQ(s.read(out), samples);
  return out;
}

// Fraction of 10 ms blocks that carry energy.
double on_fraction(const std::vector<std::int16_t>& pcm, int rate) {
  const auto block = static_cast<std::size_t>(rate / 100);
  std::size_t on = 0, total = 0;
  for (std::size_t off = 0; off + block <= pcm.size(); off += block, ++total)
    on += analysis::rms(std::span(pcm).subspan(off, block)) > 300 ? 1 : 0;
  return total ? static_cast<double>(on) / static_cast<double>(total) : 0.0;
}

TEST(Tones, UsRingbackIs440And480TwoOnFourOff) {
  auto src = make_tone_source("us", ToneKind::kRingback, 8000);
  ASSERT_TRUE(src);
  auto pcm = render(**src, 8000 * 6);
  const auto on = std::span(pcm).subspan(0, 8000 * 2 - 400);
  EXPECT_GT(analysis::tone_amplitude(on, 440, 8000), 500);
  EXPECT_GT(analysis::tone_amplitude(on, 480, 8000), 500);
  EXPECT_LT(analysis::tone_amplitude(on, 620, 8000), 50);
  EXPECT_NEAR(on_fraction(pcm, 8000), 2.0 / 6.0, 0.03);
  EXPECT_FALSE((*src)->finished());
}

TEST(Tones, UkRingbackHasTheDoubleRing) {
  auto src = make_tone_source("uk", ToneKind::kRingback, 8000);
  ASSERT_TRUE(src);
  auto pcm = render(**src, 8000 * 3);  // one 3 s cadence: 0.4 on 0.2 off 0.4 on 2.0 off
  EXPECT_NEAR(on_fraction(pcm, 8000), 0.8 / 3.0, 0.03);
  EXPECT_LT(analysis::rms(std::span(pcm).subspan(3300, 1400)), 100);  // the 0.2 s gap at 0.4-0.6 s
  EXPECT_GT(analysis::tone_amplitude(std::span(pcm).subspan(0, 3000), 400, 8000), 500);
}

TEST(Tones, GermanBusyIs425HzAtHalfDuty) {
  auto src = make_tone_source("de", ToneKind::kBusy, 16000);
  ASSERT_TRUE(src);
  auto pcm = render(**src, 16000 * 4);
  EXPECT_NEAR(analysis::dominant_frequency(std::span(pcm).subspan(1600, 4800), 16000, 100, 2000),
              425, 10);
  EXPECT_NEAR(on_fraction(pcm, 16000), 0.5, 0.05);
}

TEST(Tones, EuAndUsBusyDiffer) {
  auto eu = tone_spec("eu", ToneKind::kBusy);
  auto us = tone_spec("us", ToneKind::kBusy);
  ASSERT_TRUE(eu && us);
  EXPECT_EQ(eu->f1, 425);
  EXPECT_EQ(us->f1, 480);
  EXPECT_EQ(us->f2, 620);
}

TEST(Tones, UnknownCountryAndBadSpecAreErrors) {
  auto r = make_tone_source("xx", ToneKind::kBusy, 8000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(make_tone_source(ToneSpec{0, 0, 100, 100, 0, 0}, 8000));
  EXPECT_FALSE(make_tone_source(ToneSpec{5000, 0, 100, 100, 0, 0}, 8000));
}

}  // namespace
}  // namespace hotline::media
