// Speech synthesis from text (espeak-ng) with a disk cache so a sentence is synthesised
// once: the cache key hashes text, voice, speaking rate and output rate.
//
// Threading: synthesis and cache I/O block (CPU and disk) and belong on a worker thread,
// never the media thread. espeak-ng is process-global state, so synthesize() serialises
// callers on an internal mutex; SpeechCache is safe to use from several workers (files are
// published by atomic rename, so a reader never sees a half-written prompt).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "media/audio_source.hpp"

namespace hotline::media {

struct VoiceSettings {
  std::string voice = "en-us";  // an espeak-ng voice/language name: "en-us", "de", "fr", "en-gb"
  int words_per_minute = 160;   // 80..450
};

inline constexpr std::size_t kMaxSpeechTextBytes = 4096;

// Synthesises `text` (UTF-8) and converts it to `sample_rate`.
Result<AudioClip> synthesize(std::string_view text, const VoiceSettings& voice, int sample_rate);

// The cache file name for a prompt: stable across runs and builds (FNV-1a, not std::hash).
std::string speech_cache_key(std::string_view text, const VoiceSettings& voice, int sample_rate);

class SpeechCache {
 public:
  explicit SpeechCache(std::filesystem::path directory) : dir_(std::move(directory)) {}
  // Returns the cached clip, or synthesises, stores and returns it.
  Result<AudioClip> get(std::string_view text, const VoiceSettings& voice, int sample_rate);
  std::filesystem::path path_for(std::string_view text, const VoiceSettings& voice,
                                 int sample_rate) const;
  // Counters for tests and metrics.
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  std::filesystem::path dir_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

}  // namespace hotline::media
