#include "media/recorder.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sndfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "media/audio_source.hpp"
#include "media/signal_analysis.hpp"
#include "media/wav_recovery.hpp"
#include "support/test_support.hpp"

namespace hotline::media {
namespace {

struct WavContents {
  int rate = 0;
  int channels = 0;
  std::vector<std::int16_t> left, right;  // right empty for mono
};

WavContents read_wav(const std::filesystem::path& p) {
  WavContents w;
  SF_INFO info{};
  SNDFILE* f = sf_open(p.c_str(), SFM_READ, &info);
  EXPECT_NE(f, nullptr) << sf_strerror(nullptr);
  if (!f) return w;
  w.rate = info.samplerate;
  w.channels = info.channels;
  std::vector<std::int16_t> all(static_cast<std::size_t>(info.frames * info.channels));
  sf_readf_short(f, all.data(), info.frames);
  sf_close(f);
  for (std::size_t i = 0; i < all.size(); i += static_cast<std::size_t>(info.channels)) {
    w.left.push_back(all[i]);
    if (info.channels == 2) w.right.push_back(all[i + 1]);
  }
  return w;
}

// Duration as sox reports it, in seconds (sox reads the header like any player would).
double sox_duration(const std::filesystem::path& p) {
  const std::string cmd = "soxi -D " + p.string() + " 2>/dev/null";
  std::FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return -1;
  char buf[64] = {};
  const bool ok = std::fgets(buf, sizeof buf, pipe) != nullptr;
  pclose(pipe);
  return ok ? std::atof(buf) : -1;
}

// Writes `seconds` of a 440 Hz caller and a 1000 Hz agent in 20 ms blocks.
void feed(Recorder& rec, int rate, int seconds) {
  const auto block = static_cast<std::size_t>(rate / 50);
  auto caller = analysis::sine(440, rate, static_cast<std::size_t>(rate * seconds), 6000);
  auto agent = analysis::sine(1000, rate, static_cast<std::size_t>(rate * seconds), 6000);
  for (std::size_t off = 0; off < caller.size(); off += block)
    ASSERT_TRUE(
        rec.write(std::span(caller).subspan(off, block), std::span(agent).subspan(off, block)));
}

TEST(Recorder, StereoPutsCallerLeftAndAgentRight) {
  hotline::testing::TempDir dir;
  auto rec = Recorder::start({dir / "call.wav", 8000, RecordingLayout::kStereo});
  ASSERT_TRUE(rec) << rec.error().describe();
  feed(**rec, 8000, 2);
  ASSERT_TRUE((*rec)->stop());
  EXPECT_EQ((*rec)->stats().frames_written, 16000u);
  EXPECT_EQ((*rec)->stats().frames_dropped, 0u);
  auto w = read_wav(dir / "call.wav");
  EXPECT_EQ(w.channels, 2);
  EXPECT_EQ(w.rate, 8000);
  ASSERT_EQ(w.left.size(), 16000u);
  EXPECT_NEAR(analysis::dominant_frequency(w.left, 8000), 440, 10);
  EXPECT_NEAR(analysis::dominant_frequency(w.right, 8000), 1000, 10);
  EXPECT_NEAR(sox_duration(dir / "call.wav"), 2.0, 0.001);
}

TEST(Recorder, MixedMonoCarriesBothParties) {
  hotline::testing::TempDir dir;
  auto rec = Recorder::start({dir / "mono.wav", 16000, RecordingLayout::kMixedMono});
  ASSERT_TRUE(rec);
  feed(**rec, 16000, 1);
  ASSERT_TRUE((*rec)->stop());
  auto w = read_wav(dir / "mono.wav");
  EXPECT_EQ(w.channels, 1);
  ASSERT_EQ(w.left.size(), 16000u);
  EXPECT_GT(analysis::tone_amplitude(w.left, 440, 16000), 5000);
  EXPECT_GT(analysis::tone_amplitude(w.left, 1000, 16000), 5000);
}

TEST(Recorder, PauseRecordsSilenceAndKeepsTheTimeline) {
  hotline::testing::TempDir dir;
  auto rec = Recorder::start({dir / "p.wav", 8000, RecordingLayout::kStereo});
  ASSERT_TRUE(rec);
  feed(**rec, 8000, 1);
  (*rec)->pause();
  EXPECT_TRUE((*rec)->paused());
  feed(**rec, 8000, 1);  // the card number
  (*rec)->resume();
  feed(**rec, 8000, 1);
  ASSERT_TRUE((*rec)->stop());
  EXPECT_EQ((*rec)->stats().frames_paused, 8000u);
  auto w = read_wav(dir / "p.wav");
  ASSERT_EQ(w.left.size(), 24000u);
  EXPECT_GT(analysis::rms(std::span(w.left).subspan(0, 8000)), 3000);
  EXPECT_EQ(analysis::rms(std::span(w.left).subspan(8000, 8000)), 0.0);
  EXPECT_EQ(analysis::rms(std::span(w.right).subspan(8000, 8000)), 0.0);
  EXPECT_GT(analysis::rms(std::span(w.right).subspan(16000, 8000)), 3000);
}

TEST(Recorder, UnevenBlocksArePaddedWithSilence) {
  hotline::testing::TempDir dir;
  auto rec = Recorder::start({dir / "u.wav", 8000, RecordingLayout::kStereo});
  ASSERT_TRUE(rec);
  std::vector<std::int16_t> caller(160, 1000), agent(80, 2000);
  ASSERT_TRUE((*rec)->write(caller, agent));
  ASSERT_TRUE((*rec)->stop());
  auto w = read_wav(dir / "u.wav");
  ASSERT_EQ(w.right.size(), 160u);
  EXPECT_EQ(w.right[79], 2000);
  EXPECT_EQ(w.right[80], 0);
}

TEST(Recorder, FullRingDropsInsteadOfBlocking) {
  hotline::testing::TempDir dir;
  auto rec = Recorder::start({dir / "d.wav", 8000, RecordingLayout::kStereo, 100});
  ASSERT_TRUE(rec);
  // One block bigger than the whole ring (100 ms) can never fit.
  std::vector<std::int16_t> big(8000, 1);
  EXPECT_FALSE((*rec)->write(big, big));
  EXPECT_EQ((*rec)->stats().frames_dropped, 8000u);
  ASSERT_TRUE((*rec)->stop());
  EXPECT_FALSE((*rec)->write(big, big));  // after stop, nothing is accepted
}

TEST(Recorder, BadOptionsAndUnwritablePathsAreErrors) {
  EXPECT_FALSE(Recorder::start({"/nonexistent-dir/x.wav", 8000, RecordingLayout::kStereo}));
  EXPECT_FALSE(Recorder::start({"/tmp/x.wav", 7, RecordingLayout::kStereo}));
}

TEST(WavRecovery, FinalisedFileIsLeftAlone) {
  hotline::testing::TempDir dir;
  ASSERT_TRUE(save_wav(dir / "ok.wav", AudioClip{8000, std::vector<std::int16_t>(8000, 5)}));
  auto r = recover_wav(dir / "ok.wav");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_FALSE(r->repaired);
  EXPECT_EQ(r->frames, 8000u);
}

TEST(WavRecovery, TruncatedMidSampleIsRepaired) {
  hotline::testing::TempDir dir;
  const auto p = dir / "t.wav";
  ASSERT_TRUE(save_wav(p, AudioClip{8000, std::vector<std::int16_t>(16000, 5)}));
  const auto full = std::filesystem::file_size(p);
  // Cut 0.5 s and one byte off the end: a torn write of the last sample.
  std::filesystem::resize_file(p, full - 8000 - 1);
  auto r = recover_wav(p);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r->repaired);
  EXPECT_EQ(r->frames, 16000u - 4000u - 1u);
  EXPECT_NEAR(sox_duration(p), (16000.0 - 4001.0) / 8000.0, 0.001);
  EXPECT_EQ(read_wav(p).left.size(), 11999u);
  auto again = recover_wav(p);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->repaired);
}

TEST(WavRecovery, NonWavIsAnError) {
  hotline::testing::TempDir dir;
  hotline::testing::write_file(dir / "x.wav", "hello world, not a wav file");
  auto r = recover_wav(dir / "x.wav");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(recover_wav(dir / "missing.wav"));
}

TEST(WavRecovery, RecordingOfAKilledProcessIsRecovered) {
  hotline::testing::TempDir dir;
  const auto p = dir / "killed.wav";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: record 3 s, make sure it reached the OS, then die without finalising.
    auto rec = Recorder::start({p, 8000, RecordingLayout::kStereo, 5000, 60000});
    if (!rec) _exit(2);
    const auto caller = analysis::sine(440, 8000, 24000, 6000);
    const auto agent = analysis::sine(1000, 8000, 24000, 6000);
    for (std::size_t off = 0; off < caller.size(); off += 160)
      if (!(*rec)->write(std::span(caller).subspan(off, 160), std::span(agent).subspan(off, 160)))
        _exit(3);
    (*rec)->flush();
    raise(SIGKILL);
    _exit(4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exit " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  // Before recovery the header undercounts (refresh was set to 60 s: never refreshed).
  EXPECT_LT(sox_duration(p), 1.0);
  auto r = recover_wav(p);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r->repaired);
  EXPECT_EQ(r->channels, 2);
  EXPECT_EQ(r->frames, 24000u);
  EXPECT_NEAR(sox_duration(p), 3.0, 0.001);
  auto w = read_wav(p);
  ASSERT_EQ(w.left.size(), 24000u);
  EXPECT_NEAR(analysis::dominant_frequency(w.left, 8000), 440, 10);
  EXPECT_NEAR(analysis::dominant_frequency(w.right, 8000), 1000, 10);
}

}  // namespace
}  // namespace hotline::media
