#include "media/audio_source.hpp"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <cstdlib>

#include "media/inband_dtmf.hpp"
#include "media/signal_analysis.hpp"
#include "support/test_support.hpp"

namespace hotline::media {
namespace {

using analysis::dominant_frequency;
using analysis::rms;

// Writes an interleaved WAV with libsndfile directly (any rate, channels, format).
void write_raw_wav(const std::filesystem::path& p, int rate, int channels, int format,
                   const std::vector<std::int16_t>& interleaved) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = SF_FORMAT_WAV | format;
  SNDFILE* f = sf_open(p.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr);
  sf_writef_short(f, interleaved.data(), static_cast<sf_count_t>(interleaved.size()) / channels);
  sf_close(f);
}

TEST(AudioFile, StereoFloat44kIsMixedDownAndResampled) {
  hotline::testing::TempDir dir;
  auto left = analysis::sine(500, 44100, 44100, 6000);
  std::vector<std::int16_t> inter;
  for (auto s : left) {
    inter.push_back(s);
    inter.push_back(s);
  }
  write_raw_wav(dir / "in.wav", 44100, 2, SF_FORMAT_FLOAT, inter);
  auto clip = load_audio_file(dir / "in.wav", 8000);
  ASSERT_TRUE(clip) << clip.error().describe();
  EXPECT_EQ(clip->sample_rate, 8000);
  EXPECT_EQ(clip->samples.size(), 8000u);
  EXPECT_EQ(clip->duration_ms(), 1000);
  EXPECT_NEAR(dominant_frequency(clip->samples, 8000, 100, 3000), 500, 10);
  EXPECT_NEAR(rms(clip->samples), 6000 / std::sqrt(2.0), 300);
}

TEST(AudioFile, SoxMadeStereoDtmfSurvivesConversion) {
  hotline::testing::TempDir dir;
  const auto path = dir / "six.wav";
  // '6' = 770 Hz + 1477 Hz, 200 ms, with silence around it, stereo at 44.1 kHz.
  const std::string cmd = "sox -n -r 44100 -b 16 -c 2 " + path.string() +
                          " synth 0.2 sine 770 sine 1477 remix 1,2 vol 0.4 pad 0.1 0.3";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto clip = load_audio_file(path, 8000);
  ASSERT_TRUE(clip) << clip.error().describe();
  EXPECT_NEAR(clip->duration_ms(), 600, 2);
  auto det = InbandDtmfDetector::create(8000);
  ASSERT_TRUE(det);
  auto digits = det->process(clip->samples);
  ASSERT_EQ(digits.size(), 1u);
  EXPECT_EQ(digits[0].digit, '6');
  EXPECT_NEAR(digits[0].duration_ms, 200, 30);
}

TEST(AudioFile, SaveThenLoadKeepsSamples) {
  hotline::testing::TempDir dir;
  AudioClip clip{16000, analysis::sine(300, 16000, 3200)};
  ASSERT_TRUE(save_wav(dir / "x.wav", clip));
  auto back = load_audio_file(dir / "x.wav", 16000);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->samples, clip.samples);
}

TEST(AudioFile, MissingOrGarbageFilesAreErrors) {
  hotline::testing::TempDir dir;
  EXPECT_FALSE(load_audio_file(dir / "nope.wav", 8000));
  hotline::testing::write_file(dir / "junk.wav", "RIFF this is not audio at all");
  auto r = load_audio_file(dir / "junk.wav", 8000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(AudioFile, OverlongFilesAreRefused) {
  hotline::testing::TempDir dir;
  write_raw_wav(dir / "long.wav", 8000, 1, SF_FORMAT_PCM_16,
                std::vector<std::int16_t>(8000 * 3, 1));
  auto r = load_audio_file(dir / "long.wav", 8000, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
}

std::shared_ptr<const AudioClip> clip_of(std::vector<std::int16_t> s) {
  return std::make_shared<const AudioClip>(AudioClip{8000, std::move(s)});
}

TEST(ClipSource, PlaysOnceThenFinishes) {
  ClipSource src(clip_of({1, 2, 3, 4, 5}));
  std::vector<std::int16_t> out(3);
  EXPECT_EQ(src.read(out), 3u);
  EXPECT_EQ(out, (std::vector<std::int16_t>{1, 2, 3}));
  EXPECT_FALSE(src.finished());
  EXPECT_EQ(src.read(out), 2u);
  EXPECT_TRUE(src.finished());
  EXPECT_EQ(src.read(out), 0u);
}

TEST(ClipSource, MusicOnHoldLoops) {
  ClipSource moh(clip_of({1, 2, 3}), /*loop=*/true);
  std::vector<std::int16_t> out(8);
  EXPECT_EQ(moh.read(out), 8u);
  EXPECT_EQ(out, (std::vector<std::int16_t>{1, 2, 3, 1, 2, 3, 1, 2}));
  EXPECT_FALSE(moh.finished());
}

TEST(Playlist, PlaysItemsInTurnAcrossReadBoundaries) {
  Playlist p;
  p.enqueue(std::make_unique<ClipSource>(clip_of({1, 2, 3})));
  p.enqueue(std::make_unique<ClipSource>(clip_of({7, 8})));
  std::vector<std::int16_t> out(4);
  EXPECT_EQ(p.read(out), 4u);
  EXPECT_EQ(out, (std::vector<std::int16_t>{1, 2, 3, 7}));
  EXPECT_EQ(p.read(out), 1u);
  EXPECT_EQ(out[0], 8);
  EXPECT_TRUE(p.finished());
}

TEST(Playlist, DtmfBargesIntoAnInterruptiblePrompt) {
  Playlist p;
  p.enqueue(std::make_unique<ClipSource>(clip_of(std::vector<std::int16_t>(800, 5))));
  p.enqueue(std::make_unique<ClipSource>(clip_of(std::vector<std::int16_t>(800, 6))));
  std::vector<std::int16_t> out(160);
  EXPECT_EQ(p.read(out), 160u);
  EXPECT_TRUE(p.on_dtmf('1'));
  EXPECT_TRUE(p.finished());
  EXPECT_EQ(p.read(out), 0u);
}

TEST(Playlist, NonInterruptibleItemIgnoresDtmf) {
  Playlist p;
  p.enqueue(std::make_unique<ClipSource>(clip_of(std::vector<std::int16_t>(320, 5))), false);
  p.enqueue(std::make_unique<ClipSource>(clip_of(std::vector<std::int16_t>(320, 6))), true);
  std::vector<std::int16_t> out(160);
  p.read(out);
  EXPECT_FALSE(p.on_dtmf('1'));
  EXPECT_EQ(p.pending(), 2u);
  p.read(out);
  p.read(out);  // now into the second, interruptible item
  EXPECT_EQ(out[0], 6);
  EXPECT_TRUE(p.on_dtmf('#'));
  EXPECT_TRUE(p.finished());
}

}  // namespace
}  // namespace hotline::media
