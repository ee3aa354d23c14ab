#include "media/speech.hpp"

#include <gtest/gtest.h>

#include "media/signal_analysis.hpp"
#include "support/test_support.hpp"

namespace hotline::media {
namespace {

TEST(Speech, SentenceHasPlausibleLengthAndIsNotSilence) {
  // 9 words at 160 wpm: about 3.4 s of speech; allow the engine its pauses.
  auto clip = synthesize("Thank you for calling. Please hold for the next agent.", {}, 8000);
  ASSERT_TRUE(clip) << clip.error().describe();
  EXPECT_EQ(clip->sample_rate, 8000);
  EXPECT_GT(clip->duration_ms(), 2000);
  EXPECT_LT(clip->duration_ms(), 6000);
  EXPECT_GT(analysis::rms(clip->samples), 300);
}

TEST(Speech, FasterRateIsShorter) {
  auto slow = synthesize("one two three four five six seven eight", {"en-us", 100}, 8000);
  auto fast = synthesize("one two three four five six seven eight", {"en-us", 300}, 8000);
  ASSERT_TRUE(slow && fast);
  EXPECT_LT(fast->samples.size() * 3 / 2, slow->samples.size());
}

TEST(Speech, OtherLanguagesWork) {
  auto de = synthesize("Bitte warten Sie.", {"de", 160}, 16000);
  ASSERT_TRUE(de) << de.error().describe();
  EXPECT_EQ(de->sample_rate, 16000);
  EXPECT_GT(de->duration_ms(), 500);
}

TEST(Speech, BadInputIsAnError) {
  EXPECT_FALSE(synthesize("", {}, 8000));
  EXPECT_FALSE(synthesize(std::string(kMaxSpeechTextBytes + 1, 'a'), {}, 8000));
  EXPECT_FALSE(synthesize("hello", {"en-us", 5}, 8000));
  auto unknown = synthesize("hello", {"no-such-voice-xyz", 160}, 8000);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST(Speech, CacheKeyDependsOnEveryInput) {
  const VoiceSettings v{"en-us", 160};
  const auto k = speech_cache_key("hello", v, 8000);
  EXPECT_EQ(k, speech_cache_key("hello", v, 8000));
  EXPECT_NE(k, speech_cache_key("hello!", v, 8000));
  EXPECT_NE(k, speech_cache_key("hello", {"en-gb", 160}, 8000));
  EXPECT_NE(k, speech_cache_key("hello", {"en-us", 170}, 8000));
  EXPECT_NE(k, speech_cache_key("hello", v, 16000));
  EXPECT_EQ(k.size(), 16u);
}

TEST(Speech, CacheSynthesisesOnce) {
  hotline::testing::TempDir dir;
  SpeechCache cache(dir / "tts");
  auto first = cache.get("Your call is important to us.", {}, 8000);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_TRUE(std::filesystem::exists(cache.path_for("Your call is important to us.", {}, 8000)));
  auto second = cache.get("Your call is important to us.", {}, 8000);
  ASSERT_TRUE(second);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(second->samples, first->samples);
  // A fresh cache object over the same directory (a restart) still hits.
  SpeechCache again(dir / "tts");
  ASSERT_TRUE(again.get("Your call is important to us.", {}, 8000));
  EXPECT_EQ(again.hits(), 1u);
  EXPECT_EQ(again.misses(), 0u);
}

TEST(Speech, CorruptCacheEntryIsResynthesised) {
  hotline::testing::TempDir dir;
  SpeechCache cache(dir.path());
  hotline::testing::write_file(cache.path_for("Goodbye.", {}, 8000), "garbage");
  auto clip = cache.get("Goodbye.", {}, 8000);
  ASSERT_TRUE(clip);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_GT(clip->duration_ms(), 200);
}

}  // namespace
}  // namespace hotline::media
