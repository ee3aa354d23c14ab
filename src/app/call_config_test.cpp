// calls.recording and calls.music_on_hold in hotline.yaml.
#include "app/call_config.hpp"

#include <gtest/gtest.h>

#include "app/config.hpp"
#include "support/test_support.hpp"

namespace hotline::app {
namespace {

TEST(CallConfig, RecordingModeDirAndOverrides) {
  const auto loaded = load_config_text(
      "calls:\n"
      "  recording:\n"
      "    mode: stereo\n"
      "    dir: /var/rec\n"
      "    queues: { sales: off, support: mixed }\n"
      "    extensions: { \"1002\": mixed }\n",
      "hotline.yaml");
  ASSERT_TRUE(loaded.config.has_value()) << loaded.errors.to_string();
  const sw::RecordingPolicy& r = loaded.config->calls.recording;
  EXPECT_EQ(r.mode, sw::RecordingMode::kStereo);
  EXPECT_EQ(r.dir, "/var/rec");
  EXPECT_EQ(r.for_call("sales", "1002"), sw::RecordingMode::kOff);
  EXPECT_EQ(r.for_call("support", ""), sw::RecordingMode::kMixed);
  EXPECT_EQ(r.for_call("", "1002"), sw::RecordingMode::kMixed);
}

TEST(CallConfig, RecordingIsOffByDefaultAndTheMusicIsTheB2buasDefault) {
  const auto loaded = load_config_text("", "hotline.yaml");
  ASSERT_TRUE(loaded.config.has_value());
  EXPECT_EQ(loaded.config->calls.recording.mode, sw::RecordingMode::kOff);
  EXPECT_TRUE(loaded.config->calls.recording.dir.empty());  // <data_dir>/recordings
  EXPECT_FALSE(loaded.config->calls.music_on_hold.has_value());
}

TEST(CallConfig, BadRecordingModesAreErrorsWithTheirPosition) {
  const auto loaded = load_config_text(
      "calls:\n"
      "  recording:\n"
      "    mode: loud\n"
      "    queues: { sales: sometimes }\n"
      "    format: mp3\n",
      "hotline.yaml");
  EXPECT_FALSE(loaded.config.has_value());
  const std::string errs = loaded.errors.to_string();
  EXPECT_NE(errs.find("unknown recording mode 'loud'"), std::string::npos) << errs;
  EXPECT_NE(errs.find("hotline.yaml:3:11"), std::string::npos) << errs;
  EXPECT_NE(errs.find("unknown recording mode 'sometimes'"), std::string::npos) << errs;
  EXPECT_NE(errs.find("unknown key 'format'"), std::string::npos) << errs;
}

TEST(CallConfig, MusicOnHoldIsAFileBesideTheConfigurationOrSpeech) {
  hotline::testing::TempDir dir;
  hotline::testing::write_file(dir / "hold.wav", "RIFF");
  auto file = load_config_text("calls: { music_on_hold: hold.wav }\n", "hotline.yaml", dir.path());
  ASSERT_TRUE(file.config.has_value()) << file.errors.to_string();
  const auto* play = std::get_if<cc::ivr::PlayFile>(&*file.config->calls.music_on_hold);
  ASSERT_NE(play, nullptr);
  EXPECT_EQ(play->file, (dir / "hold.wav").string());

  auto tts = load_config_text("calls: { music_on_hold: { tts: One moment. } }\n", "hotline.yaml");
  ASSERT_TRUE(tts.config.has_value()) << tts.errors.to_string();
  const auto* speech = std::get_if<cc::ivr::PlayTts>(&*tts.config->calls.music_on_hold);
  ASSERT_NE(speech, nullptr);
  EXPECT_EQ(speech->text, "One moment.");

  auto missing =
      load_config_text("calls: { music_on_hold: nope.wav }\n", "hotline.yaml", dir.path());
  EXPECT_FALSE(missing.config.has_value());
  EXPECT_NE(missing.errors.to_string().find("music_on_hold: no such file"), std::string::npos);
  auto both = load_config_text("calls: { music_on_hold: { tts: a, file: b } }\n", "hotline.yaml");
  EXPECT_NE(both.errors.to_string().find("give one of `file` or `tts`"), std::string::npos);
}

}  // namespace
}  // namespace hotline::app
